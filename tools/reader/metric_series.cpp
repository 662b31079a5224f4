#include "reader/metric_series.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace spanlog::reader {
namespace {

void append_value(std::string& out, AttrValue::Type type, const Number& number, bool boolean,
                  std::string_view string) {
  switch (type) {
    case AttrValue::Type::string:
      out += '"';
      for (const char c : string) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
      break;
    case AttrValue::Type::number:
      out += number.is_integer ? fmt::format("{}", number.as_integer) : fmt::format("{}", number.as_double);
      break;
    case AttrValue::Type::boolean:
      out += boolean ? "true" : "false";
      break;
    case AttrValue::Type::null:
      out += "null";
      break;
  }
}

}  // namespace

std::string label_text(Labels labels) {
  std::string text;
  for (const Attr& label : labels) {
    if (!text.empty()) text += ',';
    text.append(label.key);
    text += '=';
    append_value(text, label.value.type, label.value.number, label.value.boolean, label.value.string);
  }
  return text;
}

std::string label_text(const OwnedAttrs& labels) {
  std::string text;
  for (const OwnedAttr& label : labels) {
    if (!text.empty()) text += ',';
    text += label.key;
    text += '=';
    append_value(text, label.type, label.number, label.boolean, label.string);
  }
  return text;
}

std::string series_name(std::string_view name, std::string_view label_text) {
  return label_text.empty() ? std::string(name) : fmt::format("{}{{{}}}", name, label_text);
}

std::string label_value_text(const OwnedAttr& label) {
  if (label.type == AttrValue::Type::string) return label.string;
  std::string text;
  append_value(text, label.type, label.number, label.boolean, label.string);
  return text;
}

OwnedAttrs owned_labels(Labels labels) {
  OwnedAttrs owned;
  owned.reserve(labels.size());
  for (const Attr& label : labels)
    owned.push_back(OwnedAttr{std::string(label.key), label.value.type, label.value.number,
                              label.value.boolean, std::string(label.value.string)});
  return owned;
}

const OwnedAttr* find_label(const OwnedAttrs& labels, std::string_view key) {
  const auto it =
      std::find_if(labels.begin(), labels.end(), [&](const OwnedAttr& l) { return l.key == key; });
  return it == labels.end() ? nullptr : &*it;
}

bool is_vital(std::string_view metric_name) {
  return metric_name.starts_with("spanlog.");
}

}  // namespace spanlog::reader
