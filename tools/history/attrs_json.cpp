#include "history/attrs_json.hpp"

#include <deque>

#include <fmt/format.h>
#include <simdjson.h>

#include "history/store.hpp"

namespace spanlog::history {
DecodedAttrs decode_attrs_json(std::string_view json) {
  DecodedAttrs decoded;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(simdjson::padded_string(json)).get_object().get(object))
    throw HistoryError(fmt::format("stored attributes are not a JSON object: {}", json));
  // Keys and strings first, so that growing `strings` does not move what the views point at.
  for (auto [key, value] : object) {
    decoded.strings.emplace_back(key);
    if (value.is_string()) decoded.strings.emplace_back(std::string_view(value.get_string().value()));
  }
  std::size_t next = 0;
  for (auto [key, value] : object) {
    reader::Attr attr;
    attr.key = decoded.strings[next++];
    if (value.is_string()) {
      attr.value.type = reader::AttrValue::Type::string;
      attr.value.string = decoded.strings[next++];
    } else if (value.is_bool()) {
      attr.value.type = reader::AttrValue::Type::boolean;
      attr.value.boolean = value.get_bool().value();
    } else if (value.is_int64()) {
      attr.value.type = reader::AttrValue::Type::number;
      attr.value.number.as_integer = value.get_int64().value();
      attr.value.number.as_double = static_cast<double>(attr.value.number.as_integer);
    } else if (value.is_number()) {
      attr.value.type = reader::AttrValue::Type::number;
      attr.value.number.is_integer = false;
      attr.value.number.as_double = value.get_double().value();
    }
    decoded.attrs.push_back(attr);
  }
  return decoded;
}

}  // namespace spanlog::history
