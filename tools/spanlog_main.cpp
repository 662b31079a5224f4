// The `spanlog` program: command-line parsing only; each subcommand lives in tools/cli/.
#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/export_commands.hpp"
#include "cli/history_commands.hpp"
#include "cli/usage_error.hpp"
#include "cli/view_commands.hpp"
#include "history/store.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/run_location.hpp"

namespace {

using namespace spanlog::cli;

// "10%", "10" or "2.5 %" -> 10, 10, 2.5
double parse_percent(std::string text) {
  while (!text.empty() && (text.back() == '%' || text.back() == ' ')) text.pop_back();
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0)
    throw UsageError(fmt::format("--fail-above {}: expected a percentage such as 10%", text));
  return value;
}

const char* const kRunHelp = "Run directory or telemetry.jsonl (default: $SPANLOG_DIR/latest)";

// Every command names its run, or runs, the same way.
void add_run_argument(CLI::App* command, std::optional<std::string>& run) {
  command->add_option("RUN", run, kRunHelp);
}
void add_runs_argument(CLI::App* command, std::vector<std::string>& runs) {
  command->add_option("RUN", runs, "Run directories or telemetry.jsonl files (default: $SPANLOG_DIR/latest)");
}
void add_timeout_option(CLI::App* command, std::optional<double>& seconds, const char* help) {
  command->add_option("--timeout", seconds, help);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spanlog: summaries, regressions and health checks of spanlog runs (telemetry.jsonl)",
               "spanlog"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       "spanlog " SPANLOG_READER_VERSION " (" + spanlog::reader::simdjson_kernels() + ")");
  const Console console = Console::standard();
  std::function<int()> command;

  SummaryOptions summary;
  auto* summary_cmd = app.add_subcommand("summary",
                                         "Per span name: count, total, self, parallel, percentiles; phases, "
                                         "counters, gauges, events, threads, dropped records");
  add_runs_argument(summary_cmd, summary.runs);
  summary_cmd->add_option("--by", summary.group_by, "Group spans by this attribute's value");
  summary_cmd
      ->add_option("--sort", summary.sort,
                   "name, count, total, self, parallel, mean, p50, p90, p99, max or errors")
      ->capture_default_str();
  summary_cmd->add_option("--top", summary.top, "Show only the first N rows");
  summary_cmd->add_option("--filter", summary.filter, "Only spans whose name matches this glob");
  summary_cmd->add_flag("--json", summary.json, "Print JSON");
  summary_cmd->add_flag("--raw", summary.raw,
                        "Self time with the instrumentation left in (the header's overhead not subtracted)");
  summary_cmd->add_flag("--skip-bad", summary.skip_bad, "Skip malformed lines (counted) instead of stopping");
  summary_cmd->add_flag("!--no-write", summary.write_run_summary,
                        "Do not regenerate a missing run_summary.json");
  summary_cmd->callback([&] { command = [&] { return summary_command(summary, console); }; });

  DiffOptions diff;
  std::string fail_above;
  auto* diff_cmd =
      app.add_subcommand("diff", "Per span name: change of count, p50, p99 and total from BASE to NEW");
  diff_cmd->add_option("BASE", diff.base, "The reference run")->required();
  diff_cmd->add_option("NEW", diff.candidate, "The run to judge")->required();
  diff_cmd->add_option("--fail-above", fail_above, "Exit 1 when a metric grew by more than this (e.g. 10%)");
  diff_cmd->add_option("--metric", diff.metrics, "Metrics gated by --fail-above (default p50, p99, total)");
  diff_cmd->add_option("--min-count", diff.min_count, "Ignore spans seen fewer times on either side")
      ->capture_default_str();
  diff_cmd->add_flag("--json", diff.json, "Print JSON");
  diff_cmd->add_flag("--raw", diff.raw, "Self time with the instrumentation left in");
  diff_cmd->add_flag("--skip-bad", diff.skip_bad, "Skip malformed lines instead of stopping");
  diff_cmd->callback([&] {
    command = [&] {
      if (!fail_above.empty()) diff.fail_above_percent = parse_percent(fail_above);
      return diff_command(diff, console);
    };
  });

  CheckOptions check;
  auto* check_cmd = app.add_subcommand("check", "Evaluate alert rules over a run; exit 1 when one fails");
  add_run_argument(check_cmd, check.run);
  check_cmd->add_option("--rule", check.rules, "A rule, e.g. 'p99(db.query) < 5ms' (repeatable)")->required();
  check_cmd->add_flag("--skip-bad", check.skip_bad, "Skip malformed lines instead of stopping");
  check_cmd->add_flag("--raw", check.raw, "self(...) with the instrumentation left in");
  check_cmd->callback([&] { command = [&] { return check_command(check, console); }; });

  RunsOptions runs;
  auto* runs_cmd = app.add_subcommand("runs", "List the runs of a directory, newest first");
  runs_cmd->add_option("DIR", runs.dir, "Directory of runs (default: $SPANLOG_DIR, else ./spanlog)");
  runs_cmd->add_option("--keep", runs.keep, "Delete all but the newest N runs");
  runs_cmd->callback([&] { command = [&] { return runs_command(runs, console); }; });

  DoctorOptions doctor;
  auto* doctor_cmd =
      app.add_subcommand("doctor", "Health of a run: torn line, open spans, drops, clock anomalies");
  add_run_argument(doctor_cmd, doctor.run);
  doctor_cmd->callback([&] { command = [&] { return doctor_command(doctor, console); }; });

  TailOptions tail;
  auto* tail_cmd = app.add_subcommand("tail", "Print spans as they end; -f follows a run being written");
  add_run_argument(tail_cmd, tail.run);
  tail_cmd->add_flag("-f,--follow", tail.follow, "Keep reading as the file grows, until the run's footer");
  add_timeout_option(tail_cmd, tail.follow_timeout_seconds, "With -f: stop after this many seconds");
  tail_cmd->callback([&] { command = [&] { return tail_command(tail, console); }; });

  // Exporters: std::optional options stay empty unless given, so "no -o" means standard output.
  ChromeOptions chrome;
  auto* chrome_cmd = app.add_subcommand(
      "chrome", "Write the run as a Chrome Trace Event file for Perfetto UI or chrome://tracing");
  add_run_argument(chrome_cmd, chrome.run);
  chrome_cmd->add_option("-o,--output", chrome.output, "The trace file (default: standard output)");
  chrome_cmd->add_flag("--skip-bad", chrome.skip_bad, "Skip malformed lines instead of stopping");
  chrome_cmd->callback([&] { command = [&] { return chrome_command(chrome, console); }; });

  OtlpOptions otlp;
  auto* otlp_cmd = app.add_subcommand(
      "otlp", "Write the run as OTLP/JSON lines for an OpenTelemetry Collector's otlpjsonfile receiver");
  add_run_argument(otlp_cmd, otlp.run);
  otlp_cmd->add_option("-o,--output", otlp.output, "The traces file (default: standard output)");
  otlp_cmd->add_option("--metrics", otlp.metrics_output,
                       "Also write counters, gauges and span durations here");
  otlp_cmd->add_option("--batch", otlp.batch_spans, "Spans per line")->capture_default_str();
  otlp_cmd->add_flag("--skip-bad", otlp.skip_bad, "Skip malformed lines instead of stopping");
  otlp_cmd->callback([&] { command = [&] { return otlp_command(otlp, console); }; });

  PromOptions prom;
  auto* prom_cmd = app.add_subcommand(
      "prom", "Write the run's counters, gauges and span durations in the Prometheus text format");
  add_run_argument(prom_cmd, prom.run);
  prom_cmd->add_option("-o,--output", prom.output, "The metrics file (default: standard output)");
  prom_cmd->add_flag("--skip-bad", prom.skip_bad, "Skip malformed lines instead of stopping");
  prom_cmd->callback([&] { command = [&] { return prom_command(prom, console); }; });

  // Run history in SQL (docs/history.md).
  const std::string db_help =
      "History database: a SQLite file (default $SPANLOG_DIR/history.sqlite) or postgresql://...";
  std::string stored_db;
  for (auto* cmd : {summary_cmd, diff_cmd, check_cmd})
    cmd->add_option(
        "--db", stored_db,
        "Read the runs from this history database (RUN: a run id, last or last~N) instead of files");
  const auto read_stored_runs = [&] {
    if (summary_cmd->get_option("--db")->count() > 0) summary.stored_runs = stored_runs_from(stored_db);
    if (diff_cmd->get_option("--db")->count() > 0) diff.stored_runs = stored_runs_from(stored_db);
    if (check_cmd->get_option("--db")->count() > 0) check.stored_runs = stored_runs_from(stored_db);
  };

  LoadOptions load;
  auto* load_cmd = app.add_subcommand("load", "Import runs into the history database (SQLite or PostgreSQL)");
  add_runs_argument(load_cmd, load.runs);
  load_cmd->add_option("--db", load.db, db_help);
  load_cmd->callback([&] { command = [&] { return load_command(load, console); }; });

  QueryOptions query;
  auto* query_cmd = app.add_subcommand("query", "Run one SQL statement on the history database");
  query_cmd->add_option("SQL", query.sql, "The statement, e.g. 'SELECT * FROM span_stats'")->required();
  query_cmd->add_option("--db", query.db, db_help);
  query_cmd->add_option("--format", query.format, "table, json or csv")->capture_default_str();
  query_cmd->callback([&] { command = [&] { return query_command(query, console); }; });

  MigrateOptions migrate;
  auto* migrate_cmd = app.add_subcommand("migrate", "Bring a history database's schema up to this spanlog's");
  migrate_cmd->add_option("--db", migrate.db, db_help);
  migrate_cmd->callback([&] { command = [&] { return migrate_command(migrate, console); }; });
  ReportOptions report;
  auto* report_cmd = app.add_subcommand(
      "report", "Write the run as one self-contained HTML page: timeline, phases, summary, charts");
  add_run_argument(report_cmd, report.run);
  report_cmd->add_option("-o,--output", report.output, "The HTML file")->capture_default_str();
  report_cmd->add_option("--max-spans", report.max_spans, "Spans drawn (the longest); all are summarised")
      ->capture_default_str();
  report_cmd->add_flag("--skip-bad", report.skip_bad, "Skip malformed lines instead of stopping");
  report_cmd->add_flag("--raw", report.raw, "Self time with the instrumentation left in");
  report_cmd->callback([&] { command = [&] { return report_command(report, console); }; });

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand(
      "serve", "Serve the report page live: /events streams the run's records as they are written");
  add_run_argument(serve_cmd, serve.run);
  serve_cmd->add_option("--port", serve.port, "TCP port (0: any free port)")->capture_default_str();
  serve_cmd->add_option("--host", serve.host, "Address to listen on")->capture_default_str();
  add_timeout_option(serve_cmd, serve.timeout_seconds, "Stop after this many seconds");
  serve_cmd->callback([&] { command = [&] { return serve_command(serve, console); }; });

  TopOptions top;
  auto* top_cmd = app.add_subcommand(
      "top", "A view refreshed while a run is written: active spans, slowest names, rates");
  add_run_argument(top_cmd, top.run);
  top_cmd->add_option("--interval", top.interval_seconds, "Seconds between refreshes")->capture_default_str();
  top_cmd->add_option("--rows", top.rows, "Slowest span names shown")->capture_default_str();
  top_cmd->add_flag("--once", top.once, "Show the file as it is now, once");
  add_timeout_option(top_cmd, top.timeout_seconds, "Stop after this many seconds");
  top_cmd->callback([&] { command = [&] { return top_command(top, console); }; });

  try {
    app.parse(argc, argv);
    read_stored_runs();
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help with status 0 and usage errors with its own code; ours is 2 for every usage error.
    const int status = app.exit(e);
    return status == 0 ? 0 : 2;
  }
  try {
    return command ? command() : 2;
  } catch (const std::exception& e) {
    // Bad arguments, an unreadable or malformed run, a history store that refuses: each names what and
    // where, and each is status 2.
    console.error("{}", e.what());
  }
  return 2;
}
