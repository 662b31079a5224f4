#include "reader/span_dimensions.hpp"

#include <algorithm>
#include <cctype>

#include "reader/attrs_json.hpp"
#include "reader/metric_series.hpp"

namespace spanlog::reader {

std::vector<std::string> attribute_list(std::string_view text) {
  std::vector<std::string> keys;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view key = text.substr(0, comma);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.remove_prefix(1);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.remove_suffix(1);
    if (!key.empty()) keys.emplace_back(key);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return keys;
}

OwnedAttrs dimension_values(const OwnedAttrs& attrs, const std::vector<std::string>& keys) {
  OwnedAttrs values;
  for (const std::string& key : keys) {
    const auto it =
        std::find_if(attrs.begin(), attrs.end(), [&](const OwnedAttr& a) { return a.key == key; });
    if (it != attrs.end()) values.push_back(*it);
  }
  return values;
}

std::string dimension_key(const OwnedAttrs& values, const std::vector<std::string>& keys) {
  if (keys.size() == 1) return values.empty() ? std::string("-") : label_value_text(values.front());
  std::string key;
  for (const std::string& name : keys) {
    if (!key.empty()) key += ", ";
    const auto it =
        std::find_if(values.begin(), values.end(), [&](const OwnedAttr& a) { return a.key == name; });
    if (it == values.end())
      key += '-';
    else
      append_attr_value(key, *it);
  }
  return key;
}

}  // namespace spanlog::reader
