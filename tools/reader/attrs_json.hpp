// Attributes written as JSON: one value, or an object of them. Every view that writes attributes (the Chrome
// trace's args, the report's spans, the history's `attrs` columns) writes them here, so they read the same
// everywhere. Integers stay integers and a whole double stays a double ("2.0"): read back, each is the type
// it was recorded as.
#pragma once

#include <string>
#include <string_view>

#include "reader/owned_attrs.hpp"
#include "reader/records.hpp"

namespace spanlog::reader {

void append_attr_value(std::string& out, const AttrValue& value);
void append_attr_value(std::string& out, const OwnedAttr& attr);

// `{"key":value,...}`
void append_attrs_json(std::string& out, Attrs attrs);
void append_attrs_json(std::string& out, const OwnedAttrs& attrs);
std::string attrs_json(const OwnedAttrs& attrs);

}  // namespace spanlog::reader
