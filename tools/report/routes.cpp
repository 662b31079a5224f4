#include "report/routes.hpp"

namespace spanlog::report {

Route route_for(std::string_view path) {
  if (path == "/" || path == "/index.html") return Route::page;
  if (path == "/events") return Route::events;
  if (path == "/summary.json") return Route::summary_json;
  if (path == "/metrics") return Route::metrics;
  return Route::not_found;
}

}  // namespace spanlog::report
