// What a request to `spanlog serve` asks for. Only these fixed paths answer; no part of a request path ever
// becomes a file name, so a request cannot read outside the run it serves.
#pragma once

#include <string_view>

namespace spanlog::report {

enum class Route { page, events, summary_json, metrics, not_found };

// `path` as the client sent it, query string removed (any "..", "%2e" or "//" makes it no route).
Route route_for(std::string_view path);

}  // namespace spanlog::report
