// A map's entries in name order, as every view lists span names, counters and gauges: the summary's maps are
// hashed for speed, and what a person or a diff reads must not change order from run to run.
#pragma once

#include <algorithm>
#include <vector>

namespace spanlog::reader {

template <class Map>
std::vector<typename Map::const_pointer> sorted_by_name(const Map& map) {
  std::vector<typename Map::const_pointer> entries;
  entries.reserve(map.size());
  for (const auto& entry : map) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](auto a, auto b) { return a->first < b->first; });
  return entries;
}

}  // namespace spanlog::reader
