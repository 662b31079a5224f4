// Attributes as the JSON text the history stores in its `attrs` columns, and back into the reader's records
// when a stored run is replayed. Integers stay integers and doubles stay doubles, both ways.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reader/owned_attrs.hpp"
#include "reader/records.hpp"
#include "reader/units.hpp"

namespace spanlog::history {

using reader::append_json_string;
void append_attrs_json(std::string& out, reader::Attrs attrs);
void append_attrs_json(std::string& out, const reader::OwnedAttrs& attrs);

// Parsed attributes whose string_views point into `strings` (kept alive beside them).
struct DecodedAttrs {
  std::vector<reader::Attr> attrs;
  std::vector<std::string> strings;
};
// Throws HistoryError on text that is not an object of scalars.
DecodedAttrs decode_attrs_json(std::string_view json);

}  // namespace spanlog::history
