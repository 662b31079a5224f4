// A label added to every sample of a Prometheus text exposition: what `serve`'s /metrics does with the run's
// id, so that each run is a series of its own and a counter never goes down within a series when the served
// run changes (Prometheus takes the old series' end as staleness, not a reset).
#pragma once

#include <string>
#include <string_view>

namespace spanlog::exporters {

// `text` with `name="value"` first in every sample's label set (`x 1` becomes `x{name="value"} 1`); comment
// lines unchanged. A sample that already has a label of that name keeps its own.
std::string with_label(std::string_view text, std::string_view name, std::string_view value);

}  // namespace spanlog::exporters
