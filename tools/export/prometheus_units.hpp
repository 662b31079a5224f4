// A metric's UCUM unit (docs/format.md, `metric_info`) as Prometheus wants it: a base unit's name as the
// family's suffix (`_seconds`, `_bytes`) and the factor that turns recorded values into it (ms -> seconds is
// 0.001). Annotations (`{token}`) are not units to Prometheus and are dropped.
#pragma once

#include <string>
#include <string_view>

namespace spanlog::exporters {

struct PrometheusUnit {
  std::string suffix;  // without the leading '_'; empty: no suffix
  double scale = 1.0;  // recorded value * scale = the value in `suffix`
};

// `gauge`: the unit "1" (a ratio) is suffixed `_ratio` on gauges only, as OpenTelemetry's Prometheus
// exporters do.
PrometheusUnit prometheus_unit(std::string_view ucum, bool gauge);

}  // namespace spanlog::exporters
