#include "export/prometheus_units.hpp"

#include <array>
#include <utility>

namespace spanlog::exporters {
namespace {

struct KnownUnit {
  std::string_view ucum;
  std::string_view suffix;
  double scale;
};

// Time in seconds and sizes in bytes, Prometheus's base units; the rest by their name.
constexpr std::array<KnownUnit, 16> kKnownUnits = {{
    {"ns", "seconds", 1e-9},
    {"us", "seconds", 1e-6},
    {"ms", "seconds", 1e-3},
    {"s", "seconds", 1},
    {"min", "seconds", 60},
    {"h", "seconds", 3600},
    {"d", "seconds", 86400},
    {"By", "bytes", 1},
    {"KiBy", "bytes", 1024},
    {"MiBy", "bytes", 1024.0 * 1024},
    {"GiBy", "bytes", 1024.0 * 1024 * 1024},
    {"KBy", "bytes", 1e3},
    {"MBy", "bytes", 1e6},
    {"GBy", "bytes", 1e9},
    {"%", "percent", 1},
    {"Cel", "celsius", 1},
}};

bool is_name_text(std::string_view text) {
  for (const char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return !text.empty();
}

}  // namespace

PrometheusUnit prometheus_unit(std::string_view ucum, bool gauge) {
  // "{token}", or "{request}/s" reduced to "/s": an annotation says what is counted, not in what unit.
  std::string stripped;
  int depth = 0;
  for (const char c : ucum) {
    if (c == '{')
      ++depth;
    else if (c == '}')
      depth = depth > 0 ? depth - 1 : 0;
    else if (depth == 0)
      stripped += c;
  }
  if (stripped.empty()) return {};
  if (stripped == "1") return gauge ? PrometheusUnit{"ratio", 1} : PrometheusUnit{};
  for (const KnownUnit& known : kKnownUnits)
    if (known.ucum == stripped) return {std::string(known.suffix), known.scale};
  // A rate such as "By/s": "bytes_per_second", when both sides are known and need no conversion.
  if (const std::size_t slash = stripped.find('/'); slash != std::string::npos) {
    const PrometheusUnit top = prometheus_unit(stripped.substr(0, slash), false);
    const PrometheusUnit bottom = prometheus_unit(stripped.substr(slash + 1), false);
    if (!top.suffix.empty() && !bottom.suffix.empty() && bottom.scale == 1) {
      std::string per = bottom.suffix;
      if (per.size() > 1 && per.back() == 's') per.pop_back();  // "seconds" -> "second"
      return {top.suffix + "_per_" + per, top.scale};
    }
    return {};
  }
  // Any other unit written as a name ("m", "J") is its own suffix, unconverted; symbols are dropped.
  return is_name_text(stripped) ? PrometheusUnit{stripped, 1} : PrometheusUnit{};
}

}  // namespace spanlog::exporters
