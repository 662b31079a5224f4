// `spanlog tail [RUN] [-f]`: prints spans as they end and log lines as they come; with -f, follows the file
// as the flusher appends to it, with a live line of the spans active on each thread when the output is a
// terminal.
#include <chrono>
#include <thread>
#include <unordered_map>

#include "cli/commands.hpp"
#include "cli/log_text.hpp"
#include "cli/usage_error.hpp"
#include "reader/followed_file.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/run_location.hpp"
#include "reader/span_assembler.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

using reader::human_duration;

class TailSink : public reader::RecordSink {
 public:
  explicit TailSink(const Console& console) : console_(console) {}
  bool finished = false;
  reader::SpanAssembler open;

  bool wants_attrs() const override { return false; }
  void on_header(const reader::HeaderRecord& r, std::uint64_t) override { start_ts_ = r.start_ts; }
  void on_thread(const reader::ThreadRecord& r, std::uint64_t) override {
    if (r.name) names_[r.tid] = *r.name;
  }
  void on_span(const reader::SpanRecord& r, std::uint64_t) override {
    print(r.ts, r.tid, r.name, r.dur_ns, r.error, r.message);
  }
  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t line) override { open.start(r, line); }
  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t) override {
    const auto span = open.end(r);
    if (span) print(span->start_ts, span->tid, span->name, r.dur_ns, r.error, r.message);
  }
  void on_log(const reader::LogRecord& r, std::uint64_t) override {
    newest_ts_ = std::max(newest_ts_, r.ts);
    console_.print("{:>12.6f}  {:<12}  {} {}\n", offset_s(r.ts), thread_name(r.tid),
                   level_text(r.level, console_), r.message);
  }
  void on_footer(const reader::FooterRecord&, std::uint64_t) override { finished = true; }

  // "main: analysis › parse (1.20 s) | worker-1: fetch (3.1 ms)"
  std::string active_line(std::uint64_t now_ts) const {
    std::string line;
    for (const auto& [tid, spans] : open.open_by_thread()) {
      if (!line.empty()) line += " | ";
      line += thread_name(tid) + ": ";
      for (std::size_t i = 0; i < spans.size(); ++i) line += (i ? " › " : "") + spans[i].span->name;
      const std::uint64_t started = spans.back().span->start_ts;
      if (now_ts > started) line += " (" + human_duration(now_ts - started) + ")";
    }
    return line.empty() ? "no active spans" : "active: " + line;
  }
  std::uint64_t newest_ts() const { return newest_ts_; }

 private:
  std::string thread_name(std::uint64_t tid) const {
    const auto it = names_.find(tid);
    return it == names_.end() ? fmt::format("{}", tid) : it->second;
  }
  double offset_s(std::uint64_t ts) const {
    return start_ts_ && ts >= start_ts_ ? static_cast<double>(ts - start_ts_) / 1e9 : 0.0;
  }
  void print(std::uint64_t ts, std::uint64_t tid, std::string_view name, std::uint64_t dur_ns, bool error,
             std::string_view message) {
    newest_ts_ = std::max(newest_ts_, ts + dur_ns);
    std::string outcome;
    if (error)
      outcome =
          "  " + console_.red(message.empty() ? std::string("error") : "error: " + std::string(message));
    console_.print("{:>12.6f}  {:<12}  {}  {}{}\n", offset_s(ts), thread_name(tid), name,
                   console_.dim(human_duration(dur_ns)), outcome);
  }

  const Console& console_;
  std::uint64_t start_ts_ = 0;
  std::uint64_t newest_ts_ = 0;
  std::unordered_map<std::uint64_t, std::string> names_;
};

}  // namespace

int tail_command(const TailOptions& options, const Console& console) {
  const reader::RunLocation location = reader::locate_run(options.run);
  // Follows as `top` and `serve` do: a file truncated or replaced at its path is read again from its start.
  reader::ReadOptions read_options;
  read_options.skip_bad = true;  // a live view keeps going past a bad line
  reader::FollowedFile<TailSink> run(
      location.file, [&console] { return std::make_unique<TailSink>(console); }, read_options);

  const auto started = std::chrono::steady_clock::now();
  const bool live_line = options.follow && console.colour;
  bool status_shown = false;
  for (;;) {
    if (status_shown) fmt::print(console.out, "\r\x1b[K");  // new spans print where the status line was
    status_shown = false;
    if (run.read_appended())
      console.warning("{}: truncated or replaced; reading it again from its start", location.file.string());
    if (!run.is_open() && !options.follow)
      throw UsageError(fmt::format("{}: cannot open", location.file.string()));
    if (!options.follow || run.sink().finished) break;
    if (options.follow_timeout_seconds &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
            *options.follow_timeout_seconds)
      break;
    if (live_line) {
      fmt::print(console.out, "{}", console.dim(run.sink().active_line(run.sink().newest_ts())));
      status_shown = true;
    }
    std::fflush(console.out);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
  run.finish();
  if (status_shown) fmt::print(console.out, "\r\x1b[K");
  if (run.report().torn_last_line && !options.follow) console.warning("{}", *run.report().torn_last_line);
  if (run.report().skipped_lines > 0)
    console.warning("skipped {} malformed lines", run.report().skipped_lines);
  return 0;
}

}  // namespace spanlog::cli
