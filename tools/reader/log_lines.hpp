// A run's log lines as `spanlog logs` shows them: in time order (the flusher drains one thread's ring after
// another, so the file holds a run's threads out of ts order), each with its thread's name and its span's
// name, kept or not by a filter of level, text and span name. Memory grows with the lines kept and the spans
// open at once, not with the run's spans: a span's name is remembered only while it is open or once a kept
// line names it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "reader/owned_attrs.hpp"
#include "reader/records.hpp"

namespace spanlog::reader {

struct LogLine {
  std::uint64_t ts = 0;
  LogLevel level = LogLevel::info;
  std::uint64_t tid = 0;
  std::string thread;  // the thread's name; empty when no `thread` record names it
  std::uint64_t span_id = 0;
  std::string span;  // the span's name; empty outside every span, or when the run holds no line of the span
  std::string message;
  OwnedAttrs attrs;
  std::string site_file;
  std::uint64_t site_line = 0;
};

struct LogFilter {
  LogLevel min_level = LogLevel::trace;  // that level and the ones above it
  std::string text;                      // kept when the message contains it; empty: every message
  std::optional<std::string> span;       // kept when the line's span has this name

  // What a record alone decides: its level and message. The span's name may come later in the file.
  bool keeps_record(const LogRecord& r) const;
  bool keeps_span(std::string_view span_name) const { return !span || *span == span_name; }
};

class LogLineCollector : public RecordSink {
 public:
  explicit LogLineCollector(LogFilter filter = {}) : filter_(std::move(filter)) {}

  void on_header(const HeaderRecord& r, std::uint64_t) override { header_start_ts_ = r.start_ts; }
  void on_thread(const ThreadRecord& r, std::uint64_t) override;
  void on_span(const SpanRecord& r, std::uint64_t) override;
  void on_span_start(const SpanStartRecord& r, std::uint64_t) override;
  void on_span_end(const SpanEndRecord& r, std::uint64_t) override;
  void on_log(const LogRecord& r, std::uint64_t) override;
  void on_footer(const FooterRecord&, std::uint64_t) override { footer_seen_ = true; }

  // Every line read so far that the filter keeps, in time order, taken out of the collector.
  std::vector<LogLine> take_lines();
  // For a file being followed: the lines read before the previous call, in time order. A line waits one
  // call so that what the same flush wrote after it (another thread's earlier lines, the `span` line that
  // names its span) has arrived.
  std::vector<LogLine> take_settled_lines();

  // The run's start (the header's), else the oldest line's time: what a line's offset counts from.
  std::uint64_t start_ts() const { return header_start_ts_ != 0 ? header_start_ts_ : oldest_line_ts_; }
  bool footer_seen() const { return footer_seen_; }

 private:
  std::vector<LogLine> take_first(std::size_t count);
  void name_if_wanted(std::uint64_t span_id, std::string_view name);

  LogFilter filter_;
  std::uint64_t header_start_ts_ = 0, oldest_line_ts_ = 0;
  bool footer_seen_ = false;
  std::vector<LogLine> pending_;  // in file order
  std::size_t settled_ = 0;       // of pending_, those read before the previous take_settled_lines()
  std::unordered_map<std::uint64_t, std::string> thread_names_;
  std::unordered_map<std::uint64_t, std::string> open_span_names_;  // from `span_start` until `span_end`
  std::unordered_set<std::uint64_t> wanted_spans_;                  // named by a kept line
  std::unordered_map<std::uint64_t, std::string> span_names_;       // of the wanted spans
};

// One line as a JSON object: its time and offset from `start_ts`, level, thread, span, message, attributes
// and site; a name that is not known is null.
std::string log_line_json(const LogLine& line, std::uint64_t start_ts);

}  // namespace spanlog::reader
