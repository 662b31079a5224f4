// Mapping: timeUnixNano and observedTimeUnixNano are both the line's ts (the recorder reads the clock once,
// at the call; the flusher's later write is not an observation). severityText is the level as the format
// spells it. body is the formatted message; attributes are the line's arguments typed, then code.filepath and
// code.lineno (its site), thread.id and thread.name. traceId is the run's, as in the traces export; spanId is
// the line's span_id, so a backend shows the line under its span. A line logged outside every span has
// neither.
#include "export/otlp_logs.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "export/otlp_json.hpp"
#include "export/output_buffer.hpp"
#include "reader/owned_attrs.hpp"
#include "reader/units.hpp"

namespace spanlog::exporters {
namespace {

using reader::json_string;

// The attribute keys the exporter writes itself; an argument of the same name gives way.
constexpr std::array<std::string_view, 4> kExporterKeys = {"code.filepath", "code.lineno", "thread.id",
                                                           "thread.name"};

class OtlpLogSink : public reader::RecordSink {
 public:
  OtlpLogSink(const RunContext& context, OutputBuffer& out, OtlpLogsReport& report)
      : context_(context), out_(out), report_(report), trace_id_(otlp::trace_id(context.run_id)) {
    out_.append("{\"resourceLogs\":[{\"resource\":");
    out_.append(otlp::resource(context));
    out_.append(",\"scopeLogs\":[{\"scope\":");
    out_.append(otlp::scope(context));
    out_.append(",\"logRecords\":[");
  }

  void on_log(const reader::LogRecord& r, std::uint64_t) override {
    if (report_.log_records > 0) out_.append(',');
    out_.format(
        "{{\"timeUnixNano\":\"{}\",\"observedTimeUnixNano\":\"{}\",\"severityNumber\":{},\"severityText\":{},"
        "\"body\":{{\"stringValue\":{}}},\"attributes\":{}",
        r.ts, r.ts, severity_number(r.level), json_string(reader::log_level_name(r.level)),
        json_string(r.message), attributes(r));
    if (r.span_id != 0)
      out_.format(",\"traceId\":\"{}\",\"spanId\":\"{}\"", trace_id_, otlp::span_id(r.span_id));
    else
      ++report_.outside_spans;
    out_.append('}');
    ++report_.log_records;
  }

  void finish() {
    out_.append("]}]}]}");
    out_.end_line();
  }

 private:
  std::string attributes(const reader::LogRecord& r) {
    arguments_.clear();
    reader::merge_attrs(arguments_, r.attrs);
    std::string text = "[";
    for (const reader::OwnedAttr& argument : arguments_)
      if (std::find(kExporterKeys.begin(), kExporterKeys.end(), argument.key) == kExporterKeys.end())
        otlp::append_attribute(text, argument);
    if (!r.site_file.empty()) otlp::append_attribute(text, "code.filepath", r.site_file);
    if (r.site_line != 0) otlp::append_attribute(text, "code.lineno", static_cast<std::int64_t>(r.site_line));
    otlp::append_attribute(text, "thread.id", static_cast<std::int64_t>(r.tid));
    const std::string_view thread_name = context_.thread_name_at(r.tid, r.ts);
    if (!thread_name.empty()) otlp::append_attribute(text, "thread.name", thread_name);
    return text + "]";
  }

  const RunContext& context_;
  OutputBuffer& out_;
  OtlpLogsReport& report_;
  const std::string trace_id_;
  reader::OwnedAttrs arguments_;  // reused from line to line
};

}  // namespace

int severity_number(reader::LogLevel level) {
  // SeverityNumber ranges of four (TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20), in level order.
  static_assert(static_cast<int>(reader::LogLevel::error) == 4, "levels from trace (0) to error (4)");
  return 1 + 4 * static_cast<int>(level);
}

OtlpLogsReport write_otlp_logs(const RunContext& context, const std::filesystem::path& file,
                               std::ostream& out, const reader::ReadOptions& read_options) {
  OutputBuffer buffer(out);
  OtlpLogsReport report;
  OtlpLogSink sink(context, buffer, report);
  report.read = reader::read_file(file, sink, read_options);
  sink.finish();
  buffer.flush();
  return report;
}

}  // namespace spanlog::exporters
