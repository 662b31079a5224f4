#include "export/run_context.hpp"

#include "reader/run_identity.hpp"
#include "reader/sink_fanout.hpp"
#include "reader/time_range.hpp"

namespace spanlog::exporters {
namespace {

using namespace spanlog::reader;

class ContextSink : public RecordSink {
 public:
  explicit ContextSink(RunContext& context) : context_(context) {}

  void on_header(const HeaderRecord& r, std::uint64_t) override {
    reader::copy_run_identity(r, context_);
    context_.process_attrs.clear();
    reader::merge_attrs(context_.process_attrs, r.attrs);
  }
  void on_thread(const ThreadRecord& r, std::uint64_t) override {
    if (r.name) context_.thread_names[r.tid].emplace_back(r.ts, std::string(*r.name));
  }

 private:
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
  TimeRangeSink times;
  SinkFanout both{&sink, &times};
  context.read = read_file(file, both, options);
  context.first_ts = times.empty() ? context.start_ts : times.oldest();
  context.last_ts = times.empty() ? context.start_ts : times.newest();
  if (context.start_ts == 0) context.start_ts = context.first_ts;
  return context;
}

}  // namespace spanlog::exporters
