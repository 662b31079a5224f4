// What a `check` rule measures over a run's metric series (schema 1.7): the sum of the counter series whose
// names a glob matches, one gauge series, the histogram of the matching series merged. A label filter
// (`{model="m-large"}`) keeps the series whose labels have those values; a series without labels never
// matches one. The recorder's vitals (`spanlog.*`) are left out unless the glob itself begins `spanlog.`,
// so that `counter(*)` means the program's counters.
#pragma once

#include <cstddef>
#include <string_view>

#include "reader/attr_selector.hpp"
#include "reader/histogram.hpp"
#include "reader/summary.hpp"

namespace spanlog::reader {

struct CounterSum {
  double total = 0;
  std::size_t series = 0;  // the series summed
};
CounterSum sum_counter_series(const Summary& summary, std::string_view glob, const AttrSelector* filter);

// The one gauge series `name` and the filter pick; `matching` says how many did (a rule names exactly one).
struct GaugePick {
  const GaugeStats* gauge = nullptr;
  std::size_t matching = 0;
};
GaugePick pick_gauge_series(const Summary& summary, std::string_view name, const AttrSelector* filter);

Histogram merge_histogram_series(const Summary& summary, std::string_view glob, const AttrSelector* filter);

}  // namespace spanlog::reader
