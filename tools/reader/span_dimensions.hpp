// The attributes a view splits spans by (`summary --by`, `--sum`, `prom --labels`): the list as written on
// the command line, the values a span has for them, and the text that names a combination of values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reader/owned_attrs.hpp"

namespace spanlog::reader {

// "http.route, http.status" -> {"http.route", "http.status"}: comma-separated, spaces around a name ignored,
// empty names dropped.
std::vector<std::string> attribute_list(std::string_view text);

// The values `attrs` has for `keys`, in the order of `keys`; a key the span does not have is left out.
OwnedAttrs dimension_values(const OwnedAttrs& attrs, const std::vector<std::string>& keys);

// What names a combination of values among others of the same keys: for one key, the value's text (a
// string as it is: label_value_text, reader/metric_series.hpp); for several, each key's value as JSON, or `-`
// where the span has none, joined by ", ".
std::string dimension_key(const OwnedAttrs& values, const std::vector<std::string>& keys);

}  // namespace spanlog::reader
