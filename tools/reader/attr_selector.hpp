// Attribute filters on a rule's subject, `{http.route="GET /search",http.status=500}`: what picks spans (and,
// once metric series carry labels, those series) by the values recorded with them. Parsing reads text only;
// matching compares each filter's value with the attribute's value as recorded, its type included.
//
//   selector  := "{" filter ("," filter)* "}"
//   filter    := KEY "=" value           KEY: letters, digits and _ . : / -
//   value     := STRING | NUMBER | "true" | "false"
//   STRING    := '"' characters, with \" and \\ '"'
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "reader/owned_attrs.hpp"

namespace spanlog::reader {

class AttrSelectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AttrSelector {
  OwnedAttrs filters;  // each key once, with the value it must have; sorted by key

  // Every filter's key is among `attrs` with an equal value: a string equals the same string, a number the
  // same number (500 and 500.0 alike), a boolean the same boolean; a string never equals a number.
  bool matches(const OwnedAttrs& attrs) const;
  // `{http.route="GET /search",http.status=500}`: the filters by key, written as a labelled metric series'
  // labels are (reader/metric_series.hpp, label_text), so that `llm.tokens{model="x"}` reads the same as a
  // subject and as a series' name; filters written in another order name the same text.
  std::string text() const;
};

struct ParsedSelector {
  AttrSelector selector;
  std::size_t length = 0;  // the characters taken, up to and including the '}'
};

// Parses the selector `text` starts with (its first character is '{'). Throws AttrSelectorError saying what
// was expected, and where: a 1-based column, counted from `column_offset` characters before `text` (where
// the selector sits in a rule).
ParsedSelector parse_attr_selector(std::string_view text, std::size_t column_offset = 0);

bool same_attr_value(const OwnedAttr& a, const OwnedAttr& b);

}  // namespace spanlog::reader
