// Mapping: one trace per run (its id hashed from the run id); a span's id is its span_id; kind is always
// INTERNAL (1), since spanlog does not know which spans cross a process boundary; status is OK (1) or ERROR
// (2) with the message, and UNSET for a span that never ended. Attributes: the span's own, then thread.id and
// thread.name (semantic conventions), and spanlog.phase, spanlog.async (with spanlog.end_thread.id),
// spanlog.open where they apply.
#include "export/otlp_traces.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "export/otlp_json.hpp"
#include "export/output_buffer.hpp"
#include "export/run_context.hpp"
#include "reader/span_assembler.hpp"
#include "reader/units.hpp"

namespace spanlog::exporters {
namespace {

using namespace spanlog::reader;

// Span ids the exporter makes up for instants without a span have the top bit set: the recorder's ids hold a
// thread slot above bit 40 and never reach it.
constexpr std::uint64_t kMadeUpIdBit = std::uint64_t{1} << 63;

// The attribute keys the exporter writes itself; a span attribute of the same name gives way.
constexpr std::array<std::string_view, 7> kExporterKeys = {
    "thread.id",    "thread.name",    "spanlog.phase", "spanlog.async", "spanlog.end_thread.id",
    "spanlog.open", "spanlog.instant"};

struct PendingEvent {
  std::string name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  reader::OwnedAttrs attrs;
};

class OtlpTraceSink : public RecordSink {
 public:
  OtlpTraceSink(const RunContext& context, OutputBuffer& out, const OtlpTracesOptions& options,
                OtlpTracesReport& report)
      : context_(context),
        out_(out),
        options_(options),
        report_(report),
        trace_id_(otlp::trace_id(context.run_id)) {
    line_start_ = "{\"resourceSpans\":[{\"resource\":" + otlp::resource(context) +
                  ",\"scopeSpans\":[{\"scope\":" + otlp::scope(context) + ",\"spans\":[";
  }

  void on_span(const SpanRecord& r, std::uint64_t) override { write_span(reader::SpanAssembler::whole(r)); }
  void on_span_start(const SpanStartRecord& r, std::uint64_t) override { spans_.start(r); }
  void on_span_end(const SpanEndRecord& r, std::uint64_t) override {
    if (auto span = spans_.end(r)) write_span(*span);
  }
  void on_instant(const InstantRecord& r, std::uint64_t) override {
    PendingEvent event{std::string(r.name), r.tid, r.ts, {}};
    reader::merge_attrs(event.attrs, r.attrs);
    if (r.parent)
      waiting_events_[*r.parent].push_back(std::move(event));
    else
      write_instant_span(event, std::nullopt);
  }

  void finish() {
    for (const reader::WholeSpan& span : spans_.still_open(context_.last_ts)) {
      ++report_.open_spans;
      write_span(span);
    }
    // Instants whose span never came (it was dropped): zero-length spans under the id they named.
    std::vector<std::pair<std::uint64_t, std::vector<PendingEvent>>> left(waiting_events_.begin(),
                                                                          waiting_events_.end());
    std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [parent, events] : left)
      for (const PendingEvent& event : events) write_instant_span(event, parent);
    waiting_events_.clear();
    report_.orphan_ends = spans_.orphan_ends();
    end_line();
  }

 private:
  void thread_attributes(std::string& attributes, std::uint64_t tid, std::uint64_t ts) const {
    otlp::append_attribute(attributes, "thread.id", static_cast<std::int64_t>(tid));
    const std::string_view thread_name = context_.thread_name_at(tid, ts);
    if (!thread_name.empty()) otlp::append_attribute(attributes, "thread.name", thread_name);
  }

  static void own_attributes(std::string& attributes, const reader::OwnedAttrs& attrs) {
    for (const reader::OwnedAttr& attr : attrs)
      if (std::find(kExporterKeys.begin(), kExporterKeys.end(), attr.key) == kExporterKeys.end())
        otlp::append_attribute(attributes, attr);
  }

  void begin_span(std::uint64_t id, std::optional<std::uint64_t> parent, std::string_view name,
                  std::uint64_t start, std::uint64_t end) {
    if (spans_in_line_ == 0) {
      line_ = line_start_;
    } else {
      line_ += ',';
    }
    line_ += fmt::format("{{\"traceId\":\"{}\",\"spanId\":\"{}\"", trace_id_, otlp::span_id(id));
    if (parent) line_ += fmt::format(",\"parentSpanId\":\"{}\"", otlp::span_id(*parent));
    line_ += fmt::format(",\"name\":{},\"kind\":1,\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\"",
                         json_string(name), start, end);
  }

  void end_span() {
    line_ += '}';
    ++report_.spans;
    if (++spans_in_line_ >= std::max<std::size_t>(1, options_.batch_spans)) end_line();
  }

  void end_line() {
    if (spans_in_line_ == 0) return;
    out_.append(line_);
    out_.append("]}]}]}");
    out_.end_line();
    ++report_.lines;
    spans_in_line_ = 0;
  }

  void write_span(const reader::WholeSpan& span) {
    begin_span(span.span_id, span.parent, span.name, span.start_ts, span.start_ts + span.dur_ns);
    std::string attributes = "[";
    own_attributes(attributes, span.attrs);
    thread_attributes(attributes, span.tid, span.start_ts);
    if (span.is_phase) otlp::append_attribute(attributes, "spanlog.phase", true);
    if (span.is_async) {
      otlp::append_attribute(attributes, "spanlog.async", true);
      if (span.end_tid != span.tid)
        otlp::append_attribute(attributes, "spanlog.end_thread.id", static_cast<std::int64_t>(span.end_tid));
    }
    if (span.open) otlp::append_attribute(attributes, "spanlog.open", true);
    line_ += ",\"attributes\":" + attributes + "]";

    if (const auto waiting = waiting_events_.find(span.span_id); waiting != waiting_events_.end()) {
      line_ += ",\"events\":[";
      bool first = true;
      for (const PendingEvent& event : waiting->second) {
        std::string event_attributes = "[";
        own_attributes(event_attributes, event.attrs);
        line_ += fmt::format("{}{{\"timeUnixNano\":\"{}\",\"name\":{},\"attributes\":{}]}}", first ? "" : ",",
                             event.ts, json_string(event.name), event_attributes);
        first = false;
        ++report_.span_events;
      }
      line_ += ']';
      waiting_events_.erase(waiting);
    }
    if (span.error)
      line_ += ",\"status\":{\"code\":2,\"message\":" + json_string(span.message) + "}";
    else if (!span.open)  // a span that never ended has no status: UNSET, the default, is left out
      line_ += ",\"status\":{\"code\":1}";
    end_span();
  }

  void write_instant_span(const PendingEvent& event, std::optional<std::uint64_t> parent) {
    begin_span(kMadeUpIdBit | ++made_up_ids_, parent, event.name, event.ts, event.ts);
    std::string attributes = "[";
    own_attributes(attributes, event.attrs);
    thread_attributes(attributes, event.tid, event.ts);
    otlp::append_attribute(attributes, "spanlog.instant", true);
    line_ += ",\"attributes\":" + attributes + "],\"status\":{\"code\":1}";
    ++report_.instant_spans;
    end_span();
  }

  const RunContext& context_;
  OutputBuffer& out_;
  const OtlpTracesOptions& options_;
  OtlpTracesReport& report_;
  const std::string trace_id_;
  std::string line_start_;
  std::string line_;
  std::size_t spans_in_line_ = 0;
  std::uint64_t made_up_ids_ = 0;
  reader::SpanAssembler spans_;
  std::unordered_map<std::uint64_t, std::vector<PendingEvent>> waiting_events_;  // by the span they belong to
};

}  // namespace

OtlpTracesReport write_otlp_traces(const RunContext& context, const std::filesystem::path& file,
                                   std::ostream& out, const ReadOptions& read_options,
                                   const OtlpTracesOptions& options) {
  OutputBuffer buffer(out);
  OtlpTracesReport report;
  OtlpTraceSink sink(context, buffer, options, report);
  report.read = read_file(file, sink, read_options);
  sink.finish();
  buffer.flush();
  return report;
}

}  // namespace spanlog::exporters
