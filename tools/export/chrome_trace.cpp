// Timestamps are microseconds since the run's first timestamp, with three decimals so that no nanosecond is
// lost: absolute epoch microseconds (1.8e15) would not fit a double's 53 bits with their fraction, and
// viewers parse numbers as doubles. The run's epoch start is kept in "otherData".
//
// Every event, metadata included, has "ph", "ts", "pid" and "tid": metadata events carry ts 0, the trace's
// origin, which viewers ignore.
#include "export/chrome_trace.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "export/output_buffer.hpp"
#include "export/run_context.hpp"
#include "reader/attrs_json.hpp"
#include "reader/span_assembler.hpp"
#include "reader/units.hpp"

namespace spanlog::exporters {
namespace {

using namespace spanlog::reader;

constexpr std::uint64_t kOpenEnd = std::numeric_limits<std::uint64_t>::max();

struct TraceEvent {
  char phase = 'X';
  const char* category = "";
  std::string name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;   // absolute nanoseconds until written
  std::uint64_t dur = 0;  // X only
  std::uint64_t span_id = 0;
  std::optional<std::uint64_t> parent;
  std::string args;      // a JSON object, or empty for none
  std::string async_id;  // b and e
  std::uint32_t depth = 0;
  std::uint64_t sequence = 0;

  bool is_thread_slice() const { return phase == 'X' || phase == 'B'; }
  // Where the event ends, for ordering and nesting: an open slice never does.
  std::uint64_t length() const { return phase == 'B' ? kOpenEnd : phase == 'X' ? dur : 0; }
};

// The attributes as a JSON object's members; one whose key the exporter uses itself gets an "attr." prefix.
void append_attrs(std::string& out, const reader::OwnedAttrs& attrs,
                  std::initializer_list<std::string_view> reserved) {
  for (const reader::OwnedAttr& attr : attrs) {
    if (out.size() > 1) out += ',';
    const bool clashes = std::find(reserved.begin(), reserved.end(), attr.key) != reserved.end();
    out += json_string(clashes ? "attr." + attr.key : attr.key);
    out += ':';
    reader::append_attr_value(out, attr);
  }
}

class ChromeSink : public RecordSink {
 public:
  explicit ChromeSink(const RunContext& context) : context_(context) {}

  void on_span(const SpanRecord& r, std::uint64_t) override { add_span(reader::SpanAssembler::whole(r)); }
  void on_span_start(const SpanStartRecord& r, std::uint64_t) override { spans_.start(r); }
  void on_span_end(const SpanEndRecord& r, std::uint64_t) override {
    if (auto span = spans_.end(r)) add_span(*span);
  }
  void on_instant(const InstantRecord& r, std::uint64_t) override {
    TraceEvent event = make('i', "event", r.name, r.tid, r.ts);
    event.args = args_with(r.attrs, {}, {});
    events_.push_back(std::move(event));
  }
  // A log line is an instant of its thread named by its message; its level and site lead its arguments.
  void on_log(const LogRecord& r, std::uint64_t) override {
    TraceEvent event = make('i', "log", r.message, r.tid, r.ts);
    const std::string own = fmt::format("\"level\":\"{}\",\"site\":{}", log_level_name(r.level),
                                        json_string(fmt::format("{}:{}", r.site_file, r.site_line)));
    event.args = args_with(r.attrs, own, {"level", "site"});
    events_.push_back(std::move(event));
  }
  void on_counter(const CounterRecord& r, std::uint64_t) override {
    Total& total = counter_totals_[std::string(r.name)];
    total.real += r.delta.as_double;
    // Past the int64 range the exact total is lost: the double one takes over, as in the reader's summary.
    if (!r.delta.is_integer || __builtin_add_overflow(total.integer, r.delta.as_integer, &total.integer))
      total.integral = false;
    const std::string value = total.integral ? fmt::format("{}", total.integer) : json_number(total.real);
    set_series(counter_events_, r.name, r.tid, r.ts, "{\"total\":" + value + "}");
  }
  void on_gauge(const GaugeRecord& r, std::uint64_t) override {
    if (!r.value) return;  // not finite: a counter track cannot show it
    set_series(gauge_events_, r.name, r.tid, r.ts, "{\"value\":" + json_number(*r.value) + "}");
  }

  // The spans still open, as slices without an end; then everything in time order, properly nested.
  std::vector<TraceEvent> finish(ChromeTraceReport& report) {
    const std::vector<reader::WholeSpan> open = spans_.still_open(context_.last_ts);
    for (const reader::WholeSpan& span : open) add_span(span);
    report.open_spans = open.size();
    report.orphan_ends = spans_.orphan_ends();
    assign_depths();
    std::sort(events_.begin(), events_.end(), [](const TraceEvent& a, const TraceEvent& b) {
      if (a.ts != b.ts) return a.ts < b.ts;
      if (a.length() != b.length()) return a.length() > b.length();  // a parent before the children it holds
      if (a.is_thread_slice() != b.is_thread_slice()) return a.is_thread_slice();
      if (a.depth != b.depth) return a.depth < b.depth;
      return a.sequence < b.sequence;
    });
    report.clamped = nest_per_thread();
    return std::move(events_);
  }

 private:
  struct Total {
    std::int64_t integer = 0;
    double real = 0;
    bool integral = true;
  };

  TraceEvent make(char phase, const char* category, std::string_view name, std::uint64_t tid,
                  std::uint64_t ts) {
    TraceEvent event;
    event.phase = phase;
    event.category = category;
    event.name = name;
    event.tid = tid;
    event.ts = ts;
    event.sequence = events_.size();
    return event;
  }

  // `{own,attrs...}`: the exporter's own members (JSON text, may be empty) and then the attributes, one whose
  // key is among `reserved` prefixed.
  static std::string args_with(Attrs record_attrs, std::string_view own,
                               std::initializer_list<std::string_view> reserved) {
    reader::OwnedAttrs attrs;
    reader::merge_attrs(attrs, record_attrs);
    std::string args = "{";
    args += own;
    append_attrs(args, attrs, reserved);
    return args + '}';
  }

  void add_span(const reader::WholeSpan& span) {
    std::string args = "{";
    append_attrs(args, span.attrs, {"status", "message", "spanlog.open"});
    if (args.size() > 1) args += ',';
    if (span.open)  // it never ended, so it has no status
      args += "\"spanlog.open\":true";
    else if (span.error)
      args += "\"status\":\"error\",\"message\":" + json_string(span.message);
    else
      args += "\"status\":\"ok\"";
    args += '}';

    if (span.is_async) {
      // Async work may end on another thread: a slice of its own track, tied by category, name and id.
      const std::string id = fmt::format("0x{:x}", span.span_id);
      TraceEvent begin = make('b', "async", span.name, span.tid, span.start_ts);
      begin.async_id = id;
      begin.args = std::move(args);
      events_.push_back(std::move(begin));
      if (!span.open) {
        TraceEvent end = make('e', "async", span.name, span.end_tid, span.start_ts + span.dur_ns);
        end.async_id = id;
        events_.push_back(std::move(end));
      }
      return;
    }
    TraceEvent slice =
        make(span.open ? 'B' : 'X', span.is_phase ? "phase" : "span", span.name, span.tid, span.start_ts);
    slice.dur = span.dur_ns;
    slice.span_id = span.span_id;
    slice.parent = span.parent;
    slice.args = std::move(args);
    events_.push_back(std::move(slice));
  }

  // One counter track per name for the process: an interval's value replaces one written at the same time.
  void set_series(std::unordered_map<std::string, std::size_t>& last_event, std::string_view name,
                  std::uint64_t tid, std::uint64_t ts, std::string args) {
    auto it = last_event.find(std::string(name));
    if (it != last_event.end() && events_[it->second].ts == ts) {
      events_[it->second].args = std::move(args);
      return;
    }
    TraceEvent event = make('C', "", name, tid, ts);
    event.args = std::move(args);
    last_event.insert_or_assign(std::string(name), events_.size());
    events_.push_back(std::move(event));
  }

  // Depth among the same thread's slices, so that a parent precedes a child of equal start and length.
  void assign_depths() {
    std::unordered_map<std::uint64_t, std::size_t> slice_of;
    for (std::size_t i = 0; i < events_.size(); ++i)
      if (events_[i].is_thread_slice()) slice_of.emplace(events_[i].span_id, i);
    std::vector<std::size_t> chain;
    for (std::size_t i = 0; i < events_.size(); ++i) {
      if (!events_[i].is_thread_slice()) continue;
      chain.clear();
      std::size_t at = i;
      for (std::size_t steps = 0; steps < slice_of.size(); ++steps) {  // bounded: a cycle cannot hang
        const TraceEvent& event = events_[at];
        if (!event.parent) break;
        const auto parent = slice_of.find(*event.parent);
        if (parent == slice_of.end() || events_[parent->second].tid != event.tid) break;
        chain.push_back(at);
        at = parent->second;
      }
      std::uint32_t depth = events_[at].depth;
      for (auto link = chain.rbegin(); link != chain.rend(); ++link) events_[*link].depth = ++depth;
    }
  }

  // Viewers require a thread's slices to nest. The recorder's spans do, but a converted clock can put a
  // child's end a nanosecond past its parent's: such a slice ends with the one enclosing it instead.
  std::uint64_t nest_per_thread() {
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> open_ends;  // per thread, a stack
    std::uint64_t clamped = 0;
    for (TraceEvent& event : events_) {
      if (!event.is_thread_slice()) continue;
      std::vector<std::uint64_t>& ends = open_ends[event.tid];
      while (!ends.empty() && ends.back() <= event.ts) ends.pop_back();
      if (event.phase == 'B') {
        ends.push_back(kOpenEnd);
        continue;
      }
      if (!ends.empty() && event.ts + event.dur > ends.back()) {
        event.dur = ends.back() - event.ts;
        ++clamped;
      }
      ends.push_back(event.ts + event.dur);
    }
    return clamped;
  }

  const RunContext& context_;
  reader::SpanAssembler spans_;
  std::vector<TraceEvent> events_;
  std::unordered_map<std::string, Total> counter_totals_;
  std::unordered_map<std::string, std::size_t> counter_events_, gauge_events_;
};

// Nanoseconds as microseconds with three decimals: 12345 -> "12.345".
std::string microseconds(std::uint64_t ns) {
  return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
}

void write_metadata(OutputBuffer& out, const RunContext& context, const std::vector<TraceEvent>& events,
                    std::uint64_t& written) {
  const auto metadata = [&](std::string_view name, std::uint64_t tid, const std::string& args) {
    out.format("{}{{\"ph\":\"M\",\"name\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":0,\"args\":{}}}",
               written++ == 0 ? "" : ",", name, context.pid, tid, args);
    out.end_line();
  };
  const std::string process = context.process.empty() ? context.service_name() : context.process;
  if (!process.empty()) metadata("process_name", context.pid, "{\"name\":" + json_string(process) + "}");
  std::string labels = context.service_name();
  if (!context.host.empty()) labels += (labels.empty() ? "" : ",") + ("host " + context.host);
  if (!context.run_id.empty()) labels += (labels.empty() ? "" : ",") + ("run " + context.run_id);
  if (!labels.empty()) metadata("process_labels", context.pid, "{\"labels\":" + json_string(labels) + "}");

  std::vector<std::uint64_t> tids;
  for (const auto& [tid, names] : context.thread_names) tids.push_back(tid);
  for (const TraceEvent& event : events) tids.push_back(event.tid);
  std::sort(tids.begin(), tids.end());
  tids.erase(std::unique(tids.begin(), tids.end()), tids.end());
  for (const std::uint64_t tid : tids) {
    const std::string_view name = context.last_thread_name(tid);
    if (!name.empty()) metadata("thread_name", tid, "{\"name\":" + json_string(name) + "}");
  }
}

}  // namespace

ChromeTraceReport write_chrome_trace(const RunContext& context, const std::filesystem::path& file,
                                     std::ostream& out, const ReadOptions& options) {
  ChromeSink sink(context);
  ChromeTraceReport report;
  report.read = read_file(file, sink, options);
  const std::vector<TraceEvent> events = sink.finish(report);
  const std::uint64_t origin = context.first_ts;

  OutputBuffer buffer(out);
  buffer.format(
      "{{\"displayTimeUnit\":\"ns\",\"otherData\":{{\"run_id\":{},\"ts_origin_unix_ns\":\"{}\","
      "\"exporter\":\"spanlog\"}},\"traceEvents\":[",
      json_string(context.run_id), origin);
  buffer.end_line();
  std::uint64_t written = 0;
  write_metadata(buffer, context, events, written);
  for (const TraceEvent& event : events) {
    buffer.format("{}{{\"ph\":\"{}\"", written++ == 0 ? "" : ",", event.phase);
    if (*event.category != '\0') buffer.format(",\"cat\":\"{}\"", event.category);
    buffer.format(",\"name\":{},\"pid\":{},\"tid\":{},\"ts\":{}", json_string(event.name), context.pid,
                  event.tid, microseconds(event.ts >= origin ? event.ts - origin : 0));
    switch (event.phase) {
      case 'X':
        buffer.format(",\"dur\":{}", microseconds(event.dur));
        ++report.thread_slices;
        break;
      case 'B':
        ++report.thread_slices;
        break;
      case 'i':
        buffer.append(",\"s\":\"t\"");
        break;
      case 'b':
        ++report.async_slices;
        [[fallthrough]];
      case 'e':
        buffer.format(",\"id\":\"{}\"", event.async_id);
        break;
      default:
        break;
    }
    if (!event.args.empty()) buffer.format(",\"args\":{}", event.args);
    buffer.append('}');
    buffer.end_line();
  }
  buffer.append("]}");
  buffer.end_line();
  buffer.flush();
  report.events = written;
  return report;
}

}  // namespace spanlog::exporters
