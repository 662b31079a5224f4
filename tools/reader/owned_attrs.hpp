// Attribute values copied out of the reader's buffers, for exporters that write a span or a run's resource
// after the callback that delivered its attributes has returned.
#pragma once

#include <string>
#include <vector>

#include "reader/records.hpp"

namespace spanlog::reader {

struct OwnedAttr {
  std::string key;
  AttrValue::Type type = AttrValue::Type::null;
  Number number;
  bool boolean = false;
  std::string string;
};
using OwnedAttrs = std::vector<OwnedAttr>;

// Appends `later` to `attrs`; a key already present takes the later value (an attribute set while a span was
// open replaces the one given at its start), keeping its first position.
void merge_attrs(OwnedAttrs& attrs, Attrs later);

}  // namespace spanlog::reader
