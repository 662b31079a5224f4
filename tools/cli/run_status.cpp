#include "cli/run_status.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cli/losses.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/sink_fanout.hpp"
#include "reader/time_range.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

namespace fs = std::filesystem;

// How much of the file's end is read to find the footer: footers and the lines before them are short.
constexpr std::size_t kTailBytes = 64 * 1024;

struct EndsSink : reader::RecordSink {
  std::optional<reader::HeaderRecord> header;
  std::string run_id, host;
  std::optional<reader::FooterRecord> footer;
  std::string stopped_by;
  std::optional<std::string> crash;  // what ended the program
  void on_header(const reader::HeaderRecord& r, std::uint64_t) override {
    header = r;
    run_id = r.run_id;
    host = r.host;
    header->run_id = run_id;
    header->host = host;
  }
  void on_footer(const reader::FooterRecord& r, std::uint64_t) override {
    footer = r;
    footer->stopped_by = {};  // a view into the reader's buffers
    stopped_by = std::string(r.stopped_by);
  }
  void on_crash(const reader::CrashRecord& r, std::uint64_t) override { crash = std::string(r.what()); }
};

std::string read_range(int fd, off_t offset, std::size_t length) {
  std::string bytes(length, '\0');
  const ssize_t got = ::pread(fd, bytes.data(), length, offset);
  bytes.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return bytes;
}

void parse_quietly(std::string_view bytes, reader::RecordSink& sink) {
  reader::ReadOptions options;
  options.skip_bad = true;
  options.chunk_bytes = 64 * 1024;
  reader::JsonlReader reader("", sink, options);
  try {
    reader.feed(bytes);
    reader.finish();
  } catch (const reader::ReadError&) {
    // a newer schema: the probe just knows less
  }
}

void read_run_summary(const fs::path& file, RunStatus& status) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(file.string()).get(json) != simdjson::SUCCESS) return;
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc) != simdjson::SUCCESS) return;
  std::uint64_t value = 0;
  if (doc["total_wall_ns"].get_uint64().get(value) == simdjson::SUCCESS) status.wall_ns = value;
  if (doc["totals"]["spans"].get_uint64().get(value) == simdjson::SUCCESS) status.spans = value;
  // Statistics-mode spans (schema 1.4) are counted apart there, as the footer counts them.
  if (status.spans && doc["totals"]["stats_spans"].get_uint64().get(value) == simdjson::SUCCESS)
    *status.spans += value;
}

}  // namespace

std::string state_text(const reader::RunState& state, const Console& console) {
  using Kind = reader::RunState::Kind;
  const std::string word = state.word();
  switch (state.kind) {
    case Kind::complete:
      return console.green(word);
    case Kind::crashed:
    case Kind::died:
      return console.red(word);
    case Kind::stopped:
    case Kind::running:
      return console.yellow(word);
  }
  return word;
}

std::string stopped_by_phrase(std::string_view stopped_by) {
  if (stopped_by == "quick_exit") return "the process called quick_exit";
  return fmt::format("the process got {}", stopped_by);
}

std::string crash_phrase(const reader::CrashInfo& crash, std::uint64_t start_ts) {
  std::string where = crash.tid != 0 ? fmt::format("thread {}", crash.tid) : "";
  if (crash.ts != 0 && start_ts != 0 && crash.ts >= start_ts)
    where += fmt::format("{}at +{}", where.empty() ? "" : ", ", reader::human_duration(crash.ts - start_ts));
  return where.empty() ? crash.reason : fmt::format("{} ({})", crash.reason, where);
}

RunStatus probe_run(const fs::path& directory) {
  RunStatus status;
  status.directory = directory;
  status.run_id = directory.filename().string();
  const fs::path file = directory / "telemetry.jsonl";
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return status;
  const off_t size = ::lseek(fd, 0, SEEK_END);

  EndsSink head;
  std::string first = read_range(fd, 0, kTailBytes);
  if (const auto newline = first.find('\n'); newline != std::string::npos) first.resize(newline + 1);
  parse_quietly(first, head);
  if (head.header) {
    if (!head.run_id.empty()) status.run_id = head.run_id;
    status.start_ts = head.header->start_ts;
    status.pid = head.header->pid;
    status.host = head.host;
  }

  EndsSink tail;
  reader::TimeRangeSink tail_times;
  reader::SinkFanout tail_sinks{&tail, &tail_times};
  const off_t from = size > static_cast<off_t>(kTailBytes) ? size - static_cast<off_t>(kTailBytes) : 0;
  std::string last = read_range(fd, from, kTailBytes);
  ::close(fd);
  if (from > 0) {  // drop the partial first line
    const auto newline = last.find('\n');
    last.erase(0, newline == std::string::npos ? last.size() : newline + 1);
  }
  parse_quietly(last, tail_sinks);

  reader::RunEnd ending{
      tail.footer.has_value(), tail.stopped_by, std::nullopt, status.pid, status.host, file};
  if (tail.crash) ending.crash = *tail.crash;
  status.state = reader::decide_run_state(ending);
  if (tail.footer) {
    status.wall_ns = tail.footer->wall_ns;
    // The footer counts statistics-mode spans apart (schema 1.4); drops may be of either.
    status.spans = tail.footer->spans + tail.footer->stats_spans;
    status.lost = dropped_phrase(tail.footer->dropped, *status.spans, tail.footer->events);
  } else if (tail_times.newest() > status.start_ts && status.start_ts != 0) {
    status.wall_ns = tail_times.newest() - status.start_ts;
  }
  if (!status.state.running()) read_run_summary(directory / "run_summary.json", status);
  return status;
}

}  // namespace spanlog::cli
