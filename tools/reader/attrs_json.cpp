#include "reader/attrs_json.hpp"

#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "reader/units.hpp"

namespace spanlog::reader {
namespace {

void append_number(std::string& out, const Number& number) {
  if (number.is_integer) {
    fmt::format_to(std::back_inserter(out), "{}", number.as_integer);
    return;
  }
  if (!std::isfinite(number.as_double)) {  // JSON has no infinity; the recorder writes such a value as null
    out += "null";
    return;
  }
  const std::size_t from = out.size();
  fmt::format_to(std::back_inserter(out), "{}", number.as_double);
  // "2" would come back as an integer: keep it a double.
  if (out.find_first_of(".eE", from) == std::string::npos) out += ".0";
}

template <class Text>
void append_value(std::string& out, AttrValue::Type type, const Number& number, bool boolean,
                  const Text& text) {
  switch (type) {
    case AttrValue::Type::null:
      out += "null";
      break;
    case AttrValue::Type::number:
      append_number(out, number);
      break;
    case AttrValue::Type::boolean:
      out += boolean ? "true" : "false";
      break;
    case AttrValue::Type::string:
      append_json_string(out, text);
      break;
  }
}

template <class Each>
void append_object(std::string& out, std::size_t count, Each each) {
  out += '{';
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ',';
    each(i);
  }
  out += '}';
}

}  // namespace

void append_attr_value(std::string& out, const AttrValue& value) {
  append_value(out, value.type, value.number, value.boolean, value.string);
}

void append_attr_value(std::string& out, const OwnedAttr& attr) {
  append_value(out, attr.type, attr.number, attr.boolean, attr.string);
}

void append_attrs_json(std::string& out, Attrs attrs) {
  append_object(out, attrs.size(), [&](std::size_t i) {
    append_json_string(out, attrs[i].key);
    out += ':';
    append_attr_value(out, attrs[i].value);
  });
}

void append_attrs_json(std::string& out, const OwnedAttrs& attrs) {
  append_object(out, attrs.size(), [&](std::size_t i) {
    append_json_string(out, attrs[i].key);
    out += ':';
    append_attr_value(out, attrs[i]);
  });
}

std::string attrs_json(const OwnedAttrs& attrs) {
  std::string out;
  append_attrs_json(out, attrs);
  return out;
}

}  // namespace spanlog::reader
