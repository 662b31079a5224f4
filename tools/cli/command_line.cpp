#include "cli/command_line.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <functional>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/export_commands.hpp"
#include "cli/history_commands.hpp"
#include "cli/usage_error.hpp"
#include "cli/view_commands.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/span_statistic.hpp"

namespace spanlog::cli {
namespace {

// What the subcommands bind to and what the chosen one sets. The options of every subcommand live here,
// as long as the parse and the run.
class Registry {
 public:
  explicit Registry(const Console& console) : console(console) {}

  template <class Options>
  Options& keep() {
    auto options = std::make_shared<Options>();
    kept_.push_back(options);
    return *options;
  }
  // `run` becomes the command when the subcommand is chosen.
  template <class Run>
  void on_chosen(CLI::App* subcommand, Run run) {
    subcommand->callback([this, run] { chosen = run; });
  }

  const Console& console;
  std::function<int()> chosen;
  std::vector<std::function<void()>> after_parse;  // options read once every argument is (--db)

 private:
  std::vector<std::shared_ptr<void>> kept_;
};

const char* const kDbHelp =
    "History database: a SQLite file (default $SPANLOG_DIR/history.sqlite) or postgresql://...";

// Every command names its run, or runs, the same way.
void add_run_argument(CLI::App* command, std::optional<std::string>& run) {
  command->add_option("RUN", run, "Run directory or telemetry.jsonl (default: $SPANLOG_DIR/latest)");
}
void add_runs_argument(CLI::App* command, std::vector<std::string>& runs) {
  command->add_option("RUN", runs, "Run directories or telemetry.jsonl files (default: $SPANLOG_DIR/latest)");
}
void add_timeout_option(CLI::App* command, std::optional<double>& seconds, const char* help) {
  command->add_option("--timeout", seconds, help);
}
void add_skip_bad_flag(CLI::App* command, bool& skip_bad) {
  command->add_flag("--skip-bad", skip_bad, "Skip malformed lines (counted) instead of stopping");
}
// --db: the runs are read from the history database instead of files (RUN names a stored run).
void add_stored_runs_option(CLI::App* command, Registry& registry, StoredRuns& stored_runs) {
  auto& db = registry.keep<std::string>();
  CLI::Option* option = command->add_option(
      "--db", db,
      "Read the runs from this history database (RUN: a run id, last or last~N) instead of files");
  registry.after_parse.push_back([option, &db, &stored_runs] {
    if (option->count() > 0) stored_runs = stored_runs_from(db);
  });
}

// "10%", "10" or "2.5 %" -> 10, 10, 2.5
double parse_percent(std::string text) {
  while (!text.empty() && (text.back() == '%' || text.back() == ' ')) text.pop_back();
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0)
    throw UsageError(fmt::format("--fail-above {}: expected a percentage such as 10%", text));
  return value;
}

void add_summary(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<SummaryOptions>();
  auto* command = app.add_subcommand("summary",
                                     "Per span name: count, total, self, parallel, percentiles; phases, "
                                     "counters, gauges, events, log lines, threads, dropped records");
  add_runs_argument(command, options.runs);
  command->add_option("--by", options.group_by,
                      "Rows by these attributes' values (comma-separated: a row per combination)");
  command->add_option("--sum", options.sum, "Sum these numeric attributes per row (comma-separated)");
  command->add_option("--sort", options.sort, "name, " + reader::span_statistic_names())
      ->capture_default_str();
  command->add_option("--top", options.top, "Show only the first N rows");
  command->add_option("--filter", options.filter, "Only spans whose name matches this glob");
  command->add_flag("--json", options.json, "Print JSON");
  command->add_flag("--raw", options.raw,
                    "Self time with the instrumentation left in (the header's overhead not subtracted)");
  add_skip_bad_flag(command, options.skip_bad);
  command->add_flag("!--no-write", options.write_run_summary, "Do not regenerate a missing run_summary.json");
  add_stored_runs_option(command, registry, options.stored_runs);
  registry.on_chosen(command, [&options, &registry] { return summary_command(options, registry.console); });
}

void add_diff(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<DiffOptions>();
  auto& fail_above = registry.keep<std::string>();
  auto* command =
      app.add_subcommand("diff", "Per span name: change of count, p50, p99 and total from BASE to NEW");
  command->add_option("BASE", options.base, "The reference run")->required();
  command->add_option("NEW", options.candidate, "The run to judge")->required();
  command->add_option("--fail-above", fail_above, "Exit 1 when a metric grew by more than this (e.g. 10%)");
  command->add_option("--metric", options.metrics, "Metrics gated by --fail-above (default p50, p99, total)");
  command->add_option("--min-count", options.min_count, "Ignore spans seen fewer times on either side")
      ->capture_default_str();
  command->add_flag("--json", options.json, "Print JSON");
  command->add_flag("--raw", options.raw, "Self time with the instrumentation left in");
  add_skip_bad_flag(command, options.skip_bad);
  add_stored_runs_option(command, registry, options.stored_runs);
  registry.on_chosen(command, [&options, &fail_above, &registry] {
    if (!fail_above.empty()) options.fail_above_percent = parse_percent(fail_above);
    return diff_command(options, registry.console);
  });
}

void add_check(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<CheckOptions>();
  auto* command = app.add_subcommand("check", "Evaluate alert rules over a run; exit 1 when one fails");
  add_run_argument(command, options.run);
  command->add_option("--rule", options.rules, "A rule, e.g. 'p99(db.query) < 5ms' (repeatable)")->required();
  add_skip_bad_flag(command, options.skip_bad);
  command->add_flag("--raw", options.raw, "self(...) with the instrumentation left in");
  add_stored_runs_option(command, registry, options.stored_runs);
  registry.on_chosen(command, [&options, &registry] { return check_command(options, registry.console); });
}

void add_runs(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<RunsOptions>();
  auto* command = app.add_subcommand("runs", "List the runs of a directory, newest first");
  command->add_option("DIR", options.dir, "Directory of runs (default: $SPANLOG_DIR, else ./spanlog)");
  command->add_option("--keep", options.keep, "Delete all but the newest N runs");
  registry.on_chosen(command, [&options, &registry] { return runs_command(options, registry.console); });
}

void add_doctor(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<DoctorOptions>();
  auto* command =
      app.add_subcommand("doctor", "Health of a run: torn line, open spans, drops, clock anomalies");
  add_run_argument(command, options.run);
  registry.on_chosen(command, [&options, &registry] { return doctor_command(options, registry.console); });
}

void add_tail(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<TailOptions>();
  auto* command = app.add_subcommand("tail", "Print spans as they end; -f follows a run being written");
  add_run_argument(command, options.run);
  command->add_flag("-f,--follow", options.follow,
                    "Keep reading as the file grows, from its end, until the run's footer; given a runs "
                    "directory (or no RUN), wait for the first run and move to each new one");
  command->add_flag("--from-start", options.from_start, "With -f: print the run from its start, not its end");
  command->add_flag("--attrs", options.attrs, "Show each span's and log line's attributes, as JSON");
  add_timeout_option(command, options.follow_timeout_seconds, "With -f: stop after this many seconds");
  registry.on_chosen(command, [&options, &registry] { return tail_command(options, registry.console); });
}

void add_logs(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<LogsOptions>();
  auto* command = app.add_subcommand(
      "logs",
      "Print the run's log lines in time order with their thread and span; -f follows a run being written");
  add_run_argument(command, options.run);
  command
      ->add_option("--level", options.level,
                   "Show this level and those above it: trace, debug, info, warn, error")
      ->capture_default_str();
  command->add_option("--grep", options.grep, "Only lines whose message contains this text");
  command->add_option("--span", options.span, "Only lines logged inside a span of this name");
  command->add_flag("--json", options.json, "Print one JSON object a line");
  command->add_flag("-f,--follow", options.follow, "Keep reading as the file grows, until the run's footer");
  add_skip_bad_flag(command, options.skip_bad);
  add_timeout_option(command, options.follow_timeout_seconds, "With -f: stop after this many seconds");
  registry.on_chosen(command, [&options, &registry] { return logs_command(options, registry.console); });
}

// Exporters: std::optional options stay empty unless given, so "no -o" means standard output.
void add_chrome(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<ChromeOptions>();
  auto* command = app.add_subcommand(
      "chrome", "Write the run as a Chrome Trace Event file for Perfetto UI or chrome://tracing");
  add_run_argument(command, options.run);
  command->add_option("-o,--output", options.output, "The trace file (default: standard output)");
  add_skip_bad_flag(command, options.skip_bad);
  registry.on_chosen(command, [&options, &registry] { return chrome_command(options, registry.console); });
}

void add_otlp(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<OtlpOptions>();
  auto* command = app.add_subcommand(
      "otlp", "Write the run as OTLP/JSON lines for an OpenTelemetry Collector's otlpjsonfile receiver");
  add_run_argument(command, options.run);
  command->add_option("-o,--output", options.output, "The traces file (default: standard output)");
  command->add_option("--metrics", options.metrics_output,
                      "Also write counters, gauges and span durations here");
  command->add_option("--logs", options.logs_output, "Also write the log lines here (one LogsData line)");
  command->add_option("--batch", options.batch_spans, "Spans per line")->capture_default_str();
  command->add_option(
      "--labels", options.labels,
      "Label the metrics' span durations with these attributes (comma-separated; needs --metrics)");
  add_skip_bad_flag(command, options.skip_bad);
  registry.on_chosen(command, [&options, &registry] { return otlp_command(options, registry.console); });
}

void add_prom(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<PromOptions>();
  auto* command = app.add_subcommand(
      "prom", "Write the run's counters, gauges and span durations in the Prometheus text format");
  add_run_argument(command, options.run);
  command->add_option("-o,--output", options.output, "The metrics file (default: standard output)");
  command->add_option(
      "--labels", options.labels,
      "Label the span durations with these attributes (comma-separated; a series per combination)");
  add_skip_bad_flag(command, options.skip_bad);
  registry.on_chosen(command, [&options, &registry] { return prom_command(options, registry.console); });
}

// Run history in SQL (docs/history.md).
void add_load(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<LoadOptions>();
  auto* command = app.add_subcommand("load", "Import runs into the history database (SQLite or PostgreSQL)");
  add_runs_argument(command, options.runs);
  command->add_option("--db", options.db, kDbHelp);
  registry.on_chosen(command, [&options, &registry] { return load_command(options, registry.console); });
}

void add_query(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<QueryOptions>();
  auto* command = app.add_subcommand("query", "Run one SQL statement on the history database");
  command->add_option("SQL", options.sql, "The statement, e.g. 'SELECT * FROM span_stats'")->required();
  command->add_option("--db", options.db, kDbHelp);
  command->add_option("--format", options.format, "table, json or csv")->capture_default_str();
  registry.on_chosen(command, [&options, &registry] { return query_command(options, registry.console); });
}

void add_migrate(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<MigrateOptions>();
  auto* command = app.add_subcommand("migrate", "Bring a history database's schema up to this spanlog's");
  command->add_option("--db", options.db, kDbHelp);
  registry.on_chosen(command, [&options, &registry] { return migrate_command(options, registry.console); });
}

// Seeing a run (docs/report.md).
void add_report(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<ReportOptions>();
  auto* command = app.add_subcommand(
      "report", "Write the run as one self-contained HTML page: timeline, phases, summary, charts");
  add_run_argument(command, options.run);
  command->add_option("-o,--output", options.output, "The HTML file")->capture_default_str();
  command->add_option("--max-spans", options.max_spans, "Spans drawn (the longest); all are summarised")
      ->capture_default_str();
  add_skip_bad_flag(command, options.skip_bad);
  command->add_flag("--raw", options.raw, "Self time with the instrumentation left in");
  registry.on_chosen(command, [&options, &registry] { return report_command(options, registry.console); });
}

void add_serve(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<ServeOptions>();
  auto* command = app.add_subcommand(
      "serve",
      "Serve the report page live: /events streams the run's records as they are written; given a runs "
      "directory (or no RUN), serves its newest run, waiting for the first and moving to each new one");
  add_run_argument(command, options.run);
  command->add_option("--port", options.port, "TCP port (0: any free port)")->capture_default_str();
  command->add_option("--host", options.host, "Address to listen on")->capture_default_str();
  add_timeout_option(command, options.timeout_seconds, "Stop after this many seconds");
  registry.on_chosen(command, [&options, &registry] { return serve_command(options, registry.console); });
}

void add_top(CLI::App& app, Registry& registry) {
  auto& options = registry.keep<TopOptions>();
  auto* command = app.add_subcommand(
      "top",
      "A view refreshed while a run is written: active spans, slowest names, rates, gauges, events (q "
      "quits); "
      "given a runs directory (or no RUN), waits for the first run and moves to each new one");
  add_run_argument(command, options.run);
  command->add_option("--interval", options.interval_seconds, "Seconds between refreshes")
      ->capture_default_str();
  command->add_option("--rows", options.rows, "Slowest span names shown")->capture_default_str();
  command->add_flag("--once", options.once, "Show the file as it is now, once");
  add_timeout_option(command, options.timeout_seconds, "Stop after this many seconds");
  registry.on_chosen(command, [&options, &registry] { return top_command(options, registry.console); });
}

}  // namespace

int run_command_line(int argc, char** argv, const Console& console) {
  CLI::App app{"spanlog: summaries, regressions and health checks of spanlog runs (telemetry.jsonl)",
               "spanlog"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       "spanlog " SPANLOG_READER_VERSION " (" + reader::simdjson_kernels() + ")");
  Registry registry(console);
  for (auto* add : {add_summary, add_diff, add_check, add_runs, add_doctor, add_tail, add_logs, add_chrome,
                    add_otlp, add_prom, add_load, add_query, add_migrate, add_report, add_serve, add_top})
    add(app, registry);

  try {
    app.parse(argc, argv);
    for (const auto& read : registry.after_parse) read();
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help with status 0 and usage errors with its own code; ours is 2 for every usage error.
    const int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  try {
    return registry.chosen ? registry.chosen() : 2;
  } catch (const std::exception& e) {
    // Bad arguments, an unreadable or malformed run, a history store that refuses: each names what and
    // where, and each is status 2.
    console.error("{}", e.what());
  }
  return 2;
}

}  // namespace spanlog::cli
