#include "report/routes.hpp"

#include <string>

namespace spanlog::report {

Route route_for(std::string_view path) {
  if (path == "/" || path == "/index.html") return Route::page;
  if (path == "/events") return Route::events;
  if (path == "/summary.json") return Route::summary_json;
  if (path == "/metrics") return Route::metrics;
  return Route::not_found;
}

bool is_loopback_host(std::string_view host_header, int port) {
  const std::string with_port = ":" + std::to_string(port);
  for (const std::string_view name : {"127.0.0.1", "localhost", "[::1]"}) {
    if (host_header == name) return true;
    if (host_header.size() == name.size() + with_port.size() && host_header.substr(0, name.size()) == name &&
        host_header.substr(name.size()) == with_port)
      return true;
  }
  return false;
}

}  // namespace spanlog::report
