// The JSON text the history stores in its `attrs` columns (written by reader/attrs_json.hpp), back into the
// reader's records when a stored run is replayed. Integers stay integers and doubles stay doubles.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reader/attrs_json.hpp"
#include "reader/records.hpp"
#include "reader/units.hpp"

namespace spanlog::history {

using reader::append_attrs_json;
using reader::append_json_string;

// Parsed attributes whose string_views point into `strings` (kept alive beside them).
struct DecodedAttrs {
  std::vector<reader::Attr> attrs;
  std::vector<std::string> strings;
};
// Throws HistoryError on text that is not an object of scalars.
DecodedAttrs decode_attrs_json(std::string_view json);

}  // namespace spanlog::history
