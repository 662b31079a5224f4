#include "export/run_context.hpp"

#include <algorithm>
#include <limits>

namespace spanlog::exporters {
namespace {

using namespace spanlog::reader;

class ContextSink : public RecordSink {
 public:
  explicit ContextSink(RunContext& context) : context_(context) {}

  void on_header(const HeaderRecord& r, std::uint64_t) override {
    context_.has_header = true;
    context_.run_id = r.run_id;
    context_.process = r.process;
    context_.host = r.host;
    context_.version = r.version;
    context_.pid = r.pid;
    context_.start_ts = r.start_ts;
    context_.process_attrs.clear();
    reader::merge_attrs(context_.process_attrs, r.attrs);
    saw(r.start_ts);
  }
  void on_thread(const ThreadRecord& r, std::uint64_t) override {
    if (r.name) context_.thread_names[r.tid].emplace_back(r.ts, std::string(*r.name));
    saw(r.ts);
  }
  void on_span(const SpanRecord& r, std::uint64_t) override {
    saw(r.ts);
    saw(r.ts + r.dur_ns);
  }
  void on_span_start(const SpanStartRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_span_end(const SpanEndRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_instant(const InstantRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_counter(const CounterRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_gauge(const GaugeRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_phase(const PhaseRecord& r, std::uint64_t) override {
    saw(r.ts);
    saw(r.end_ts);
  }
  void on_dropped(const DroppedRecord& r, std::uint64_t) override { saw(r.ts); }
  void on_footer(const FooterRecord& r, std::uint64_t) override { saw(r.ts); }

  std::uint64_t first = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t last = 0;

 private:
  // A zero timestamp means "not written" (counters and gauges may lack one): it is no time at all.
  void saw(std::uint64_t ts) {
    if (ts == 0) return;
    first = std::min(first, ts);
    last = std::max(last, ts);
  }

  RunContext& context_;
};

}  // namespace

std::string RunContext::service_name() const {
  for (const reader::OwnedAttr& attr : process_attrs)
    if (attr.key == "service.name" && attr.type == AttrValue::Type::string && !attr.string.empty())
      return attr.string;
  return process;
}

std::string_view RunContext::thread_name_at(std::uint64_t tid, std::uint64_t ts) const {
  const auto it = thread_names.find(tid);
  if (it == thread_names.end() || it->second.empty()) return {};
  std::string_view name = it->second.front().second;
  for (const auto& [written, written_name] : it->second)
    if (written <= ts) name = written_name;
  return name;
}

std::string_view RunContext::last_thread_name(std::uint64_t tid) const {
  const auto it = thread_names.find(tid);
  return it == thread_names.end() || it->second.empty() ? std::string_view() : it->second.back().second;
}

RunContext scan_run(const std::filesystem::path& file, const ReadOptions& options) {
  RunContext context;
  ContextSink sink(context);
  context.read = read_file(file, sink, options);
  if (sink.last == 0) sink.first = sink.last = context.start_ts;
  context.first_ts = sink.first;
  context.last_ts = sink.last;
  if (context.start_ts == 0) context.start_ts = context.first_ts;
  return context;
}

}  // namespace spanlog::exporters
