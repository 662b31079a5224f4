// What a request to `spanlog serve` asks for. Only these fixed paths answer; no part of a request path ever
// becomes a file name, so a request cannot read outside the run it serves.
#pragma once

#include <string_view>

namespace spanlog::report {

enum class Route { page, events, summary_json, metrics, not_found };

// `path` as the client sent it, query string removed (any "..", "%2e" or "//" makes it no route).
Route route_for(std::string_view path);

// Whether a request's Host header names the loopback server itself (127.0.0.1, localhost or [::1], with or
// without the port). A server on loopback answers nothing else, so a web page of another site whose name was
// made to resolve to 127.0.0.1 (DNS rebinding) cannot read the run.
bool is_loopback_host(std::string_view host_header, int port);

}  // namespace spanlog::report
