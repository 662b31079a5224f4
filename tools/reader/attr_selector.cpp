#include "reader/attr_selector.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "reader/metric_series.hpp"

namespace spanlog::reader {
namespace {

bool key_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '/' ||
         c == '-';
}

bool number_character(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' || c == 'e' ||
         c == 'E';
}

// Reads one selector; `at` is the position in the text, errors name it as a 1-based column.
class SelectorParser {
 public:
  SelectorParser(std::string_view text, std::size_t column_offset)
      : text_(text), column_offset_(column_offset) {}

  ParsedSelector parse() {
    expect('{');
    ParsedSelector parsed;
    skip_space();
    if (peek() == '}') fail("expected an attribute filter such as key=\"value\" inside '{}'");
    for (;;) {
      OwnedAttr filter = parse_filter();
      const bool repeated = std::any_of(parsed.selector.filters.begin(), parsed.selector.filters.end(),
                                        [&](const OwnedAttr& f) { return f.key == filter.key; });
      if (repeated) fail(fmt::format("attribute '{}' filtered twice", filter.key));
      parsed.selector.filters.push_back(std::move(filter));
      skip_space();
      if (peek() == ',') {
        ++at_;
        skip_space();
        continue;
      }
      if (peek() == '}') break;
      fail(at_ < text_.size() ? fmt::format("expected ',' or '}}', got '{}'", text_[at_])
                              : std::string("expected ',' or '}'"));
    }
    ++at_;
    parsed.length = at_;
    // In key order, as a metric series' labels are: filters written in any order name the same spans.
    std::sort(parsed.selector.filters.begin(), parsed.selector.filters.end(),
              [](const OwnedAttr& a, const OwnedAttr& b) { return a.key < b.key; });
    return parsed;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw AttrSelectorError(fmt::format("attribute filter, column {}: {}", column_offset_ + at_ + 1, what));
  }
  char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++at_;
  }

  OwnedAttr parse_filter() {
    OwnedAttr filter;
    const std::size_t begin = at_;
    while (at_ < text_.size() && key_character(text_[at_])) ++at_;
    if (at_ == begin)
      fail(at_ < text_.size() ? fmt::format("expected an attribute name, got '{}'", text_[at_])
                              : std::string("expected an attribute name"));
    filter.key = std::string(text_.substr(begin, at_ - begin));
    skip_space();
    if (peek() != '=') fail(fmt::format("expected '=' after '{}'", filter.key));
    ++at_;
    skip_space();
    parse_value(filter);
    return filter;
  }

  void parse_value(OwnedAttr& filter) {
    if (peek() == '"') {
      filter.type = AttrValue::Type::string;
      filter.string = parse_string();
      return;
    }
    const std::size_t begin = at_;
    while (at_ < text_.size() && (key_character(text_[at_]) || number_character(text_[at_]))) ++at_;
    const std::string_view word = text_.substr(begin, at_ - begin);
    if (word == "true" || word == "false") {
      filter.type = AttrValue::Type::boolean;
      filter.boolean = word == "true";
      return;
    }
    if (word.empty() || !parse_number(word, filter.number)) {
      at_ = begin;
      fail(fmt::format("expected a quoted string, a number, true or false after '{}='", filter.key));
    }
    filter.type = AttrValue::Type::number;
  }

  std::string parse_string() {
    ++at_;  // the opening quote
    std::string value;
    while (at_ < text_.size() && text_[at_] != '"') {
      if (text_[at_] == '\\') {
        ++at_;
        if (peek() != '"' && peek() != '\\') fail("expected \\\" or \\\\ in a quoted value");
      }
      value += text_[at_++];
    }
    if (at_ >= text_.size()) fail("a quoted value without its closing '\"'");
    ++at_;
    return value;
  }

  static bool parse_number(std::string_view word, Number& number) {
    const char* end = word.data() + word.size();
    std::int64_t integer = 0;
    if (const auto r = std::from_chars(word.data(), end, integer); r.ec == std::errc() && r.ptr == end) {
      number = Number{static_cast<double>(integer), integer, true};
      return true;
    }
    double value = 0;
    const auto r = std::from_chars(word.data(), end, value);
    if (r.ec != std::errc() || r.ptr != end || !std::isfinite(value)) return false;
    // -0 equals 0, and is written as 0: the text of a selector reads back as the same selector.
    if (value == 0) value = 0.0;
    number = Number{value, 0, false};
    return true;
  }

  std::string_view text_;
  std::size_t column_offset_;
  std::size_t at_ = 0;
};

}  // namespace

bool same_attr_value(const OwnedAttr& a, const OwnedAttr& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case AttrValue::Type::null:
      return true;
    case AttrValue::Type::boolean:
      return a.boolean == b.boolean;
    case AttrValue::Type::string:
      return a.string == b.string;
    case AttrValue::Type::number:
      if (a.number.is_integer && b.number.is_integer) return a.number.as_integer == b.number.as_integer;
      return a.number.as_double == b.number.as_double;
  }
  return false;
}

bool AttrSelector::matches(const OwnedAttrs& attrs) const {
  return std::all_of(filters.begin(), filters.end(), [&](const OwnedAttr& filter) {
    return std::any_of(attrs.begin(), attrs.end(), [&](const OwnedAttr& attr) {
      return attr.key == filter.key && same_attr_value(attr, filter);
    });
  });
}

std::string AttrSelector::text() const {
  return "{" + label_text(filters) + "}";
}

ParsedSelector parse_attr_selector(std::string_view text, std::size_t column_offset) {
  return SelectorParser(text, column_offset).parse();
}

}  // namespace spanlog::reader
