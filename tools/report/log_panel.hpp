// The log lines a report carries: the newest of the run by time, up to a limit, each with its thread's and
// span's names (reader/log_lines), and every line counted by level, so the page can say what it was not
// given. Memory grows with the lines kept, not with the run's lines.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "reader/log_lines.hpp"
#include "reader/records.hpp"

namespace spanlog::report {

class LogPanelSink : public reader::RecordSink {
 public:
  explicit LogPanelSink(std::size_t max_lines) : max_lines_(max_lines) {}

  void on_header(const reader::HeaderRecord& r, std::uint64_t line) override { lines_.on_header(r, line); }
  void on_thread(const reader::ThreadRecord& r, std::uint64_t line) override { lines_.on_thread(r, line); }
  void on_span(const reader::SpanRecord& r, std::uint64_t line) override { lines_.on_span(r, line); }
  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t line) override {
    lines_.on_span_start(r, line);
  }
  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t line) override {
    lines_.on_span_end(r, line);
  }
  void on_log(const reader::LogRecord& r, std::uint64_t line) override;

  // {"counts":{"trace":N,...,"error":N},"max_lines":N,"left_out":N,"lines":[...]}: the lines in time order,
  // as reader::log_line_json writes them, their offsets counted from `start_ts`.
  std::string json(std::uint64_t start_ts);

  std::uint64_t lines_seen() const { return lines_seen_; }

 private:
  struct Kept {
    reader::LogLine line;
    std::uint64_t order = 0;  // of equal times, the file's order is the thread's
  };

  void keep(std::vector<reader::LogLine> lines);

  std::size_t max_lines_;
  reader::LogLineCollector lines_;
  std::array<std::uint64_t, reader::kLogLevels> counts_{};
  std::uint64_t lines_seen_ = 0, lines_since_taken_ = 0, next_order_ = 0;
  std::vector<Kept> newest_;  // a heap whose front is the oldest line kept, the first to give up its place
};

}  // namespace spanlog::report
