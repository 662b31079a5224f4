// `spanlog tail [RUN] [-f]`: prints spans as they end and log lines as they come, in time order within what
// it has read; with -f, follows the file as the flusher appends to it, from its end (as `tail -f` does)
// unless
// --from-start, with a live line of the spans active on each thread when the output is a terminal. Given a
// runs directory (or nothing), -f waits for the first run and moves to each new one.
#include <chrono>
#include <thread>
#include <unordered_map>

#include "cli/commands.hpp"
#include "cli/log_text.hpp"
#include "cli/time_ordered_lines.hpp"
#include "cli/usage_error.hpp"
#include "reader/attrs_json.hpp"
#include "reader/followed_file.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/run_location.hpp"
#include "reader/span_assembler.hpp"
#include "reader/units.hpp"

namespace spanlog::cli {
namespace {

using reader::human_duration;

// Turns records into lines for `lines`; quiet while it reads what was there before `tail -f` started.
class TailSink : public reader::RecordSink {
 public:
  TailSink(const Console& console, TimeOrderedLines& lines, bool with_attrs, bool quiet)
      : console_(console), lines_(lines), with_attrs_(with_attrs), quiet_(quiet) {}
  bool finished = false;
  reader::SpanAssembler open;

  void stop_being_quiet() { quiet_ = false; }
  bool wants_attrs() const override { return with_attrs_; }
  void on_header(const reader::HeaderRecord& r, std::uint64_t) override { start_ts_ = r.start_ts; }
  void on_thread(const reader::ThreadRecord& r, std::uint64_t) override {
    if (r.name) names_[r.tid] = *r.name;
  }
  void on_span(const reader::SpanRecord& r, std::uint64_t) override {
    std::string attrs;
    if (with_attrs_ && !r.attrs.empty()) reader::append_attrs_json(attrs, r.attrs);
    add_span(r.ts, r.tid, r.name, r.dur_ns, r.error, r.message, attrs);
  }
  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t line) override { open.start(r, line); }
  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t) override {
    const auto span = open.end(r);
    if (!span) return;
    add_span(span->start_ts, span->tid, span->name, r.dur_ns, r.error, r.message,
             with_attrs_ && !span->attrs.empty() ? reader::attrs_json(span->attrs) : std::string());
  }
  void on_log(const reader::LogRecord& r, std::uint64_t) override {
    newest_ts_ = std::max(newest_ts_, r.ts);
    if (quiet_) return;
    std::string text = fmt::format("{:>12.6f}  {:<12}  {} {}", offset_s(r.ts), thread_name(r.tid),
                                   level_text(r.level, console_), r.message);
    if (with_attrs_ && !r.attrs.empty()) {
      std::string attrs;
      reader::append_attrs_json(attrs, r.attrs);
      text += "  " + console_.dim(attrs);
    }
    lines_.add(r.ts, text + "\n");
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
  // A span's line is placed by its start, the time it shows.
  void add_span(std::uint64_t ts, std::uint64_t tid, std::string_view name, std::uint64_t dur_ns, bool error,
                std::string_view message, const std::string& attrs) {
    newest_ts_ = std::max(newest_ts_, ts + dur_ns);
    if (quiet_) return;
    std::string outcome;
    if (error)
      outcome =
          "  " + console_.red(message.empty() ? std::string("error") : "error: " + std::string(message));
    std::string text = fmt::format("{:>12.6f}  {:<12}  {}  {}{}", offset_s(ts), thread_name(tid), name,
                                   console_.dim(human_duration(dur_ns)), outcome);
    if (!attrs.empty()) text += "  " + console_.dim(attrs);
    lines_.add(ts, text + "\n");
  }

  const Console& console_;
  TimeOrderedLines& lines_;
  const bool with_attrs_;
  bool quiet_;
  std::uint64_t start_ts_ = 0;
  std::uint64_t newest_ts_ = 0;
  std::unordered_map<std::uint64_t, std::string> names_;
};

// What tail reads: the RUN as every command names it, or, with -f, a runs directory's newest run too.
reader::LiveRun tailed_run(const TailOptions& options) {
  if (options.follow) return reader::locate_live_run(options.run);
  return {reader::locate_run(options.run).file, std::nullopt};
}

}  // namespace

int tail_command(const TailOptions& options, const Console& console) {
  const reader::LiveRun location = tailed_run(options);
  TimeOrderedLines lines;
  const auto print_lines = [&](const std::string& text) {
    if (!text.empty()) fmt::print(console.out, "{}", text);
  };
  // -f begins at the file's end: what the first reading finds is taken in (names, open spans) but not
  // printed. A file that arrives later (a new run, or one truncated or replaced) is printed from its start.
  bool printing = !options.follow || options.from_start;
  reader::ReadOptions read_options;
  read_options.skip_bad = true;  // a live view keeps going past a bad line
  reader::FollowedFile<TailSink> run(
      location.file,
      [&] {
        print_lines(lines.take_all());  // the previous file's last lines first
        return std::make_unique<TailSink>(console, lines, options.attrs, !printing);
      },
      read_options);

  const auto started = std::chrono::steady_clock::now();
  const bool live_line = options.follow && console.colour;
  bool status_shown = false;
  bool said_waiting = false;
  std::optional<std::filesystem::path> followed;  // the run directory last said to be followed
  for (;;) {
    if (status_shown) fmt::print(console.out, "\r\x1b[K");  // new spans print where the status line was
    status_shown = false;
    const bool reset = run.read_appended([&] {
      if (!options.follow) print_lines(lines.take_settled());
    });
    if (location.runs_directory) {
      const auto now = run.is_open() ? reader::current_run_directory(location) : std::nullopt;
      if (now && now != followed) fmt::print(console.err, "spanlog: following run {}\n", now->string());
      if (now) followed = now;
    } else if (reset) {
      console.warning("{}: truncated or replaced; reading it again from its start", location.file.string());
    }
    if (!printing) {
      printing = true;
      run.sink().stop_being_quiet();
    }
    if (!run.is_open() && !options.follow)
      throw UsageError(fmt::format("{}: cannot open", location.file.string()));
    if (!run.is_open() && location.runs_directory && !said_waiting) {
      fmt::print(console.err, "spanlog: waiting for the first run in {}\n",
                 location.runs_directory->string());
      said_waiting = true;
    }
    // A runs directory is followed past a run's end, to the next run.
    const bool over = !options.follow || (run.sink().finished && !location.runs_directory);
    print_lines(over ? lines.take_all() : lines.take_settled());
    if (over) break;
    if (options.follow_timeout_seconds &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
            *options.follow_timeout_seconds)
      break;
    if (live_line) {
      fmt::print(console.out, "{}", console.dim(run.sink().active_line(run.sink().newest_ts())));
      status_shown = true;
    }
    std::fflush(console.out);
    std::fflush(console.err);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
  run.finish();
  print_lines(lines.take_all());
  if (status_shown) fmt::print(console.out, "\r\x1b[K");
  if (run.report().torn_last_line && !options.follow) console.warning("{}", *run.report().torn_last_line);
  if (run.report().skipped_lines > 0)
    console.warning("skipped {} malformed lines", run.report().skipped_lines);
  return 0;
}

}  // namespace spanlog::cli
