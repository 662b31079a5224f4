#include "reader/log_lines.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "reader/attrs_json.hpp"
#include "reader/units.hpp"

namespace spanlog::reader {

bool LogFilter::keeps_record(const LogRecord& r) const {
  return r.level >= min_level && (text.empty() || r.message.find(text) != std::string_view::npos);
}

void LogLineCollector::on_thread(const ThreadRecord& r, std::uint64_t) {
  if (r.name) thread_names_[r.tid] = std::string(*r.name);
}

void LogLineCollector::on_span(const SpanRecord& r, std::uint64_t) {
  name_if_wanted(r.span_id, r.name);
}

void LogLineCollector::on_span_start(const SpanStartRecord& r, std::uint64_t) {
  open_span_names_.insert_or_assign(r.span_id, std::string(r.name));
  name_if_wanted(r.span_id, r.name);
}

void LogLineCollector::on_span_end(const SpanEndRecord& r, std::uint64_t) {
  open_span_names_.erase(r.span_id);
}

void LogLineCollector::on_log(const LogRecord& r, std::uint64_t) {
  if (oldest_line_ts_ == 0 || r.ts < oldest_line_ts_) oldest_line_ts_ = r.ts;
  if (!filter_.keeps_record(r)) return;
  LogLine& line = pending_.emplace_back();
  line.ts = r.ts;
  line.level = r.level;
  line.tid = r.tid;
  line.span_id = r.span_id;
  line.message = std::string(r.message);
  merge_attrs(line.attrs, r.attrs);
  line.site_file = std::string(r.site_file);
  line.site_line = r.site_line;
  if (r.span_id == 0 || !wanted_spans_.insert(r.span_id).second) return;
  // A span open across flushes had its `span_start` line before this one; one that ends in the same flush
  // has its `span` line after it.
  if (const auto open = open_span_names_.find(r.span_id); open != open_span_names_.end())
    span_names_.emplace(r.span_id, open->second);
}

void LogLineCollector::name_if_wanted(std::uint64_t span_id, std::string_view name) {
  if (wanted_spans_.count(span_id) != 0) span_names_.emplace(span_id, std::string(name));
}

std::vector<LogLine> LogLineCollector::take_lines() {
  return take_first(pending_.size());
}

std::vector<LogLine> LogLineCollector::take_settled_lines() {
  std::vector<LogLine> settled = take_first(settled_);
  settled_ = pending_.size();
  return settled;
}

std::vector<LogLine> LogLineCollector::take_first(std::size_t count) {
  std::vector<LogLine> taken;
  for (std::size_t i = 0; i < count; ++i) {
    LogLine& line = pending_[i];
    if (const auto span = span_names_.find(line.span_id); span != span_names_.end()) line.span = span->second;
    if (!filter_.keeps_span(line.span)) continue;
    if (const auto thread = thread_names_.find(line.tid); thread != thread_names_.end())
      line.thread = thread->second;
    taken.push_back(std::move(line));
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
  settled_ = std::min(settled_, pending_.size());
  // Stable: lines of one time keep their file order, which is their thread's order.
  std::stable_sort(taken.begin(), taken.end(),
                   [](const LogLine& a, const LogLine& b) { return a.ts < b.ts; });
  return taken;
}

std::string log_line_json(const LogLine& line, std::uint64_t start_ts) {
  const auto name_or_null = [](const std::string& name) { return name.empty() ? "null" : json_string(name); };
  std::string out = fmt::format(
      "{{\"ts\":{},\"offset_ns\":{},\"level\":\"{}\",\"tid\":{},\"thread\":{},\"span_id\":{},\"span\":{},"
      "\"msg\":{},\"attrs\":",
      line.ts, line.ts >= start_ts ? line.ts - start_ts : 0, log_level_name(line.level), line.tid,
      name_or_null(line.thread), line.span_id == 0 ? "null" : fmt::format("{}", line.span_id),
      name_or_null(line.span), json_string(line.message));
  append_attrs_json(out, line.attrs);
  fmt::format_to(std::back_inserter(out), ",\"site\":{{\"file\":{},\"line\":{}}}}}",
                 json_string(line.site_file), line.site_line);
  return out;
}

}  // namespace spanlog::reader
