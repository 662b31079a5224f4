#include "reader/owned_attrs.hpp"

#include <algorithm>

namespace spanlog::reader {

void merge_attrs(OwnedAttrs& attrs, Attrs later) {
  for (const Attr& attr : later) {
    auto it = std::find_if(attrs.begin(), attrs.end(), [&](const OwnedAttr& a) { return a.key == attr.key; });
    if (it == attrs.end()) it = attrs.insert(attrs.end(), OwnedAttr{std::string(attr.key), {}, {}, {}, {}});
    it->type = attr.value.type;
    it->number = attr.value.number;
    it->boolean = attr.value.boolean;
    it->string.assign(attr.value.string);
  }
}

}  // namespace spanlog::reader
