#include "report/log_panel.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

namespace spanlog::report {
namespace {

// Lines handed to the collector between two takes. A line is taken one take after it was read, so that the
// `span` line naming its span (written after it by the same flush) has arrived; a take also bounds what the
// collector holds.
constexpr std::uint64_t kLinesPerTake = 4096;

template <class Kept>
bool older(const Kept& a, const Kept& b) {
  return a.line.ts != b.line.ts ? a.line.ts < b.line.ts : a.order < b.order;
}
template <class Kept>
bool newer(const Kept& a, const Kept& b) {
  return older(b, a);
}

}  // namespace

void LogPanelSink::on_log(const reader::LogRecord& r, std::uint64_t line) {
  ++lines_seen_;
  ++counts_[static_cast<std::size_t>(r.level)];
  lines_.on_log(r, line);
  if (++lines_since_taken_ < kLinesPerTake) return;
  lines_since_taken_ = 0;
  keep(lines_.take_settled_lines());
}

void LogPanelSink::keep(std::vector<reader::LogLine> lines) {
  for (reader::LogLine& line : lines) {
    if (max_lines_ == 0) return;
    if (newest_.size() == max_lines_) {
      if (line.ts < newest_.front().line.ts) continue;
      std::pop_heap(newest_.begin(), newest_.end(), newer<Kept>);
      newest_.pop_back();
    }
    newest_.push_back({std::move(line), next_order_++});
    std::push_heap(newest_.begin(), newest_.end(), newer<Kept>);
  }
}

std::string LogPanelSink::json(std::uint64_t start_ts) {
  keep(lines_.take_lines());
  std::vector<Kept> kept = std::move(newest_);
  newest_.clear();
  std::sort(kept.begin(), kept.end(), older<Kept>);

  std::string out = "{\"counts\":{";
  for (std::size_t level = 0; level < reader::kLogLevels; ++level)
    fmt::format_to(std::back_inserter(out), "{}\"{}\":{}", level ? "," : "", reader::kLogLevelNames[level],
                   counts_[level]);
  fmt::format_to(std::back_inserter(out), "}},\"max_lines\":{},\"left_out\":{},\"lines\":[", max_lines_,
                 lines_seen_ - kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i) out += ",\n";
    out += reader::log_line_json(kept[i].line, start_ts);
  }
  return out + "]}";
}

}  // namespace spanlog::report
