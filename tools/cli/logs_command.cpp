// `spanlog logs [RUN]`: the run's log lines in time order, each with its offset from the run's start, level,
// thread and span, filtered by level, text and span name; as text or one JSON object a line; with -f,
// following the file as the flusher appends to it.
#include <chrono>
#include <thread>

#include "cli/commands.hpp"
#include "cli/log_text.hpp"
#include "cli/usage_error.hpp"
#include "reader/followed_file.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/log_lines.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {
namespace {

reader::LogFilter filter_of(const LogsOptions& options) {
  const std::optional<reader::LogLevel> level = reader::log_level_named(options.level);
  if (!level)
    throw UsageError(fmt::format("--level {}: expected trace, debug, info, warn or error", options.level));
  return reader::LogFilter{*level, options.grep, options.span};
}

void print_lines(const std::vector<reader::LogLine>& lines, std::uint64_t start_ts, bool json,
                 const Console& console) {
  for (const reader::LogLine& line : lines) {
    if (json) {
      console.print("{}\n", reader::log_line_json(line, start_ts));
      continue;
    }
    const double offset_s = line.ts >= start_ts ? static_cast<double>(line.ts - start_ts) / 1e9 : 0.0;
    const std::string thread = line.thread.empty() ? fmt::format("{}", line.tid) : line.thread;
    const std::string span = !line.span.empty() ? line.span
                             : line.span_id != 0
                                 ? fmt::format("#{}", line.span_id)  // its line is not in the file
                                 : "-";
    console.print("{:>12.6f}  {}  {:<12}  {:<16}  {}\n", offset_s, level_text(line.level, console), thread,
                  span, line.message);
  }
}

void warn_of_read(const reader::ReadReport& report, const Console& console) {
  if (report.torn_last_line) console.warning("{}", *report.torn_last_line);
  if (report.skipped_lines > 0) console.warning("skipped {} malformed lines", report.skipped_lines);
}

int follow_logs(const LogsOptions& options, const reader::LogFilter& filter,
                const std::filesystem::path& file, const Console& console) {
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  reader::FollowedFile<reader::LogLineCollector> run(
      file, [&filter] { return std::make_unique<reader::LogLineCollector>(filter); }, read_options);
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    if (run.read_appended())
      console.warning("{}: truncated or replaced; reading it again from its start", file.string());
    print_lines(run.sink().take_settled_lines(), run.sink().start_ts(), options.json, console);
    if (run.sink().footer_seen()) break;
    if (options.follow_timeout_seconds &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
            *options.follow_timeout_seconds)
      break;
    std::fflush(console.out);
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
  run.finish();
  print_lines(run.sink().take_lines(), run.sink().start_ts(), options.json, console);
  warn_of_read(run.report(), console);
  return 0;
}

}  // namespace

int logs_command(const LogsOptions& options, const Console& console) {
  const reader::LogFilter filter = filter_of(options);
  const reader::RunLocation location = reader::locate_run(options.run);
  if (options.follow) return follow_logs(options, filter, location.file, console);
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  reader::LogLineCollector collector(filter);
  const reader::ReadReport report = reader::read_file(location.file, collector, read_options);
  print_lines(collector.take_lines(), collector.start_ts(), options.json, console);
  warn_of_read(report, console);
  return 0;
}

}  // namespace spanlog::cli
