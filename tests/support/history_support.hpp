// The history checks shared by the SQLite and PostgreSQL tests: runs the examples record (and the reader's
// fixtures) are loaded with `spanlog load`, and every view row is compared with the reader's own summary of
// the same telemetry.jsonl; summary/diff/check with --db must print what they print for the file; loading
// is idempotent, completes a run loaded while running, and survives concurrent loaders.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "history/schema.hpp"
#include "history/store.hpp"
#include "history/stored_runs.hpp"
#include "reader/aggregator.hpp"
#include "reader/attrs_json.hpp"
#include "reader/jsonl_reader.hpp"
#include "support/process.hpp"
#include "support/reader_support.hpp"

namespace history_test {

namespace fs = std::filesystem;
namespace history = spanlog::history;
namespace reader = spanlog::reader;
using test_support::env;
using test_support::try_run;

inline std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

using test_support::run_spanlog;
inline std::string run_spanlog_ok(const std::string& arguments) {
  const test_support::CommandResult result = run_spanlog(arguments);
  INFO("spanlog " << arguments << "\n" << result.output);
  REQUIRE(result.status == 0);
  return result.output;
}

// Runs an example into `dir` (as SPANLOG_DIR); returns its telemetry.jsonl.
inline fs::path record(const char* example_variable, const std::string& arguments, const fs::path& dir) {
  const std::string command =
      "SPANLOG_DIR=" + quoted(dir.string()) + " " + env(example_variable) + " " + arguments;
  const auto result = try_run(command);
  INFO(command << "\n" << result.output);
  REQUIRE(result.status == 0);
  return fs::canonical(dir / "latest") / "telemetry.jsonl";
}

// The runs every history test loads: two pipeline runs (phases, threads, errors, counters, a gauge), the
// minimal example, and the reader's fixtures (one complete, one crashed with open spans and a torn line).
inline std::vector<fs::path> sample_runs(const fs::path& dir) {
  return {record("SPANLOG_PIPELINE_BIN", "48 4", dir / "a"),
          record("SPANLOG_PIPELINE_BIN", "120 3", dir / "b"), record("SPANLOG_MINIMAL_BIN", "", dir / "c"),
          reader_test::data("basic") / "telemetry.jsonl", reader_test::data("crashed") / "telemetry.jsonl"};
}

inline std::string load_arguments(const std::vector<fs::path>& runs) {
  std::string text;
  for (const auto& run : runs) text += " " + quoted(run.string());
  return text;
}

inline std::int64_t integer(const std::optional<std::string>& cell) {
  REQUIRE(cell.has_value());
  return std::stoll(*cell);
}

inline std::string run_key_of(history::Store& store, const fs::path& run) {
  const auto found = store.query("SELECT run_key FROM runs WHERE source = $1", {run.string()});
  REQUIRE(found.rows.size() == 1);
  return *found.rows[0][0];
}

inline std::string run_id_of(history::Store& store, const std::string& key) {
  return *store.query("SELECT run_id FROM runs WHERE run_key = $1", {key}).rows.at(0).at(0);
}

// Every row of span_stats, phase_times and counter_totals for the run equals the reader's summary.
inline void check_views(history::Store& store, const fs::path& run) {
  INFO("run " << run.string());
  const reader::Summary summary = reader::summarize({run}, {}, {});
  const std::string key = run_key_of(store, run);

  const auto spans = store.query(
      "SELECT name, count, total_ns, min_ns, p50_ns, p90_ns, p99_ns, max_ns, errors, self_ns, raw_self_ns, "
      "parallel_ns FROM span_stats WHERE run_key = $1",
      {key});
  CHECK(spans.rows.size() == summary.spans.size());
  for (const auto& row : spans.rows) {
    INFO("span " << *row[0]);
    const auto it = summary.spans.find(*row[0]);
    REQUIRE(it != summary.spans.end());
    const auto& h = it->second.durations;
    CHECK(integer(row[1]) == static_cast<std::int64_t>(h.count()));
    CHECK(integer(row[2]) == static_cast<std::int64_t>(h.sum()));
    CHECK(integer(row[3]) == static_cast<std::int64_t>(h.min()));
    CHECK(integer(row[4]) == static_cast<std::int64_t>(h.percentile(0.5)));
    CHECK(integer(row[5]) == static_cast<std::int64_t>(h.percentile(0.9)));
    CHECK(integer(row[6]) == static_cast<std::int64_t>(h.percentile(0.99)));
    CHECK(integer(row[7]) == static_cast<std::int64_t>(h.max()));
    CHECK(integer(row[8]) == static_cast<std::int64_t>(it->second.errors));
    CHECK(integer(row[9]) == static_cast<std::int64_t>(it->second.self_ns));
    CHECK(integer(row[10]) == static_cast<std::int64_t>(it->second.raw_self_ns));
    CHECK(integer(row[11]) == static_cast<std::int64_t>(it->second.parallel_ns));
  }

  const auto phases =
      store.query("SELECT name, wall_ns, occurrences, still_open FROM phase_times WHERE run_key = $1", {key});
  CHECK(phases.rows.size() == summary.phases.size());
  for (const auto& row : phases.rows) {
    INFO("phase " << *row[0]);
    const auto it = summary.phases.find(*row[0]);
    REQUIRE(it != summary.phases.end());
    CHECK(integer(row[1]) == static_cast<std::int64_t>(it->second.wall_ns));
    CHECK(integer(row[2]) == static_cast<std::int64_t>(it->second.occurrences));
    CHECK((integer(row[3]) != 0) == it->second.open);
  }

  // One row per series: a counter's label sets (schema 1.7) are rows of their own.
  const auto counters =
      store.query("SELECT name, total, labels FROM counter_totals WHERE run_key = $1", {key});
  std::size_t labelled_series = 0;
  for (const auto& [name, series] : summary.labelled_counters) labelled_series += series.size();
  CHECK(counters.rows.size() == summary.counters.size() + labelled_series);
  for (const auto& row : counters.rows) {
    INFO("counter " << *row[0] << " " << row[2].value_or("(no labels)"));
    if (!row[2]) {
      const auto it = summary.counters.find(*row[0]);
      REQUIRE(it != summary.counters.end());
      CHECK(std::stod(*row[1]) == it->second.value());
      continue;
    }
    const auto metric = summary.labelled_counters.find(*row[0]);
    REQUIRE(metric != summary.labelled_counters.end());
    const auto series = std::find_if(metric->second.begin(), metric->second.end(), [&](const auto& entry) {
      std::string json;
      reader::append_attrs_json(json, entry.second.labels);
      return json == *row[2];
    });
    REQUIRE(series != metric->second.end());
    CHECK(std::stod(*row[1]) == series->second.stats.value());
  }
}

// summary, diff and check with --db print what they print for the file.
inline void check_commands(history::Store& store, const std::string& target, const fs::path& run) {
  INFO("run " << run.string());
  const std::string run_id = run_id_of(store, run_key_of(store, run));
  const std::string db = " --db " + quoted(target);
  for (const std::string options : {" --json", "", " --json --by component", " --sort p99 --top 3"}) {
    INFO("summary" << options);
    const auto from_file = run_spanlog("summary --no-write" + options + " " + quoted(run.string()));
    const auto from_db = run_spanlog("summary" + options + db + " " + quoted(run_id));
    CHECK(from_db.status == from_file.status);
    CHECK(from_db.output == from_file.output);
  }
  const auto diff_file = run_spanlog("diff --json " + quoted(run.string()) + " " + quoted(run.string()));
  const auto diff_db = run_spanlog("diff --json" + db + " " + quoted(run_id) + " " + quoted(run_id));
  CHECK(diff_db.status == diff_file.status);
  CHECK(diff_db.output == diff_file.output);
  for (const std::string rule : {"'count(*) > 0'", "'p99(*) < 1ns'"}) {
    const auto check_file = run_spanlog("check " + quoted(run.string()) + " --rule " + rule);
    const auto check_db = run_spanlog("check " + quoted(run_id) + db + " --rule " + rule);
    CHECK(check_db.status == check_file.status);
    CHECK(check_db.output == check_file.output);
  }
}

inline std::map<std::string, std::int64_t> row_counts(history::Store& store) {
  std::map<std::string, std::int64_t> counts;
  for (const char* table :
       {"runs", "threads", "spans", "events", "counters", "gauges", "phases", "dropped", "logs"})
    counts[table] = integer(store.query(std::string("SELECT COUNT(*) FROM ") + table).rows.at(0).at(0));
  return counts;
}

// The span rows of a run: every span that ended, plus those still open; statistics-mode spans are not rows
// (their span_stats lines are).
inline std::int64_t expected_span_rows(const fs::path& run) {
  const reader::Summary summary = reader::summarize({run}, {}, {});
  std::uint64_t statistics = 0;
  for (const auto& [name, stats] : summary.spans) statistics += stats.statistics;
  return static_cast<std::int64_t>(summary.total_spans - statistics + summary.open_spans.size());
}

// A run with statistics-mode spans (tests/data/span_stats): its span_stats lines and the full spans'
// stats_ns are stored, and summary, diff and check over the stored run print what they print for the file.
inline void check_statistics(const std::string& target) {
  const fs::path run = reader_test::data("span_stats") / "telemetry.jsonl";
  const std::string db = " --db " + quoted(target);
  run_spanlog_ok("load " + quoted(run.string()) + db);
  const auto store = history::open_store(target);
  const std::string key = run_key_of(*store, run);
  const auto lines = store->query(
      "SELECT line, name, tid, ts, count, total_ns, self_ns, buckets FROM span_stats_lines WHERE run_key = "
      "$1 "
      "ORDER BY line",
      {key});
  REQUIRE(lines.rows.size() == 4);
  CHECK(integer(lines.rows[0][0]) == 8);
  CHECK(*lines.rows[0][1] == "block.read");
  CHECK(integer(lines.rows[1][2]) == 2);
  CHECK(integer(lines.rows[1][3]) == 1795459260100000000);
  CHECK(integer(lines.rows[1][4]) == 3);
  CHECK(integer(lines.rows[1][5]) == 4085);
  CHECK(integer(lines.rows[1][6]) == 3000);
  CHECK(*lines.rows[1][7] == "[[1000,1],[1536,2]]");
  const auto stats_ns = store->query(
      "SELECT name, stats_ns FROM spans WHERE run_key = $1 AND stats_ns IS NOT NULL ORDER BY name", {key});
  REQUIRE(stats_ns.rows.size() == 2);
  CHECK(*stats_ns.rows[0][0] == "kv.get");
  CHECK(integer(stats_ns.rows[0][1]) == 6000);
  CHECK(*stats_ns.rows[1][0] == "kv.put");
  CHECK(integer(stats_ns.rows[1][1]) == 1500);
  CHECK(integer(store->query("SELECT COUNT(*) FROM spans WHERE run_key = $1", {key}).rows.at(0).at(0)) ==
        expected_span_rows(run));
  // The span_stats view counts them as the reader does (bucket by bucket, min and max the buckets' bounds).
  check_views(*store, run);
  const auto block = store->query(
      "SELECT count, total_ns, self_ns, min_ns, p50_ns, p90_ns, p99_ns, max_ns FROM span_stats WHERE run_key "
      "= $1 "
      "AND name = 'block.read'",
      {key});
  REQUIRE(block.rows.size() == 1);
  CHECK(integer(block.rows[0][0]) == 10);
  CHECK(integer(block.rows[0][1]) == 12485);
  CHECK(integer(block.rows[0][2]) == 11400);
  CHECK(integer(block.rows[0][3]) == 100);
  CHECK(integer(block.rows[0][4]) == 1003);
  CHECK(integer(block.rows[0][5]) == 2007);
  CHECK(integer(block.rows[0][6]) == 5055);
  CHECK(integer(block.rows[0][7]) == 5055);

  for (const std::string options : {" --json", "", " --json --by component", " --filter 'block.*'"}) {
    INFO("summary" << options);
    const auto from_file = run_spanlog("summary --no-write" + options + " " + quoted(run.string()));
    const auto from_db = run_spanlog("summary" + options + db + " stats-1");
    CHECK(from_file.status == 0);
    CHECK(from_db.status == from_file.status);
    CHECK(from_db.output == from_file.output);
  }
  CHECK(reader_test::contains(run_spanlog_ok("summary --json" + db + " stats-1"),
                              R"("name":"block.read","count":10,"total_ns":12485,"self_ns":11400)"));
  const auto diff_file = run_spanlog("diff --json " + quoted(run.string()) + " " + quoted(run.string()));
  const auto diff_db = run_spanlog("diff --json" + db + " stats-1 stats-1");
  CHECK(diff_db.status == diff_file.status);
  CHECK(diff_db.output == diff_file.output);
  for (const std::string rule : {"'p99(block.read) < 1ms'", "'self(kv.get) == 2us'", "'count(*) == 13'"}) {
    const auto check_file = run_spanlog("check " + quoted(run.string()) + " --rule " + rule);
    const auto check_db = run_spanlog("check stats-1" + db + " --rule " + rule);
    CHECK(check_file.status == 0);
    CHECK(check_db.status == check_file.status);
    CHECK(check_db.output == check_file.output);
  }
}

// Every field of every log line, with its line number, one text a line: what a file and a stored run are
// compared by.
class LogLinesSink : public reader::RecordSink {
 public:
  std::vector<std::string> lines;

  void on_log(const reader::LogRecord& r, std::uint64_t line) override {
    std::string attrs;
    reader::append_attrs_json(attrs, r.attrs);
    lines.push_back(std::to_string(line) + " " + std::string(reader::log_level_name(r.level)) + " tid " +
                    std::to_string(r.tid) + " ts " + std::to_string(r.ts) + " span " +
                    std::to_string(r.span_id) + " msg " + std::string(r.message) + " attrs " + attrs +
                    " site " + std::string(r.site_file) + ":" + std::to_string(r.site_line));
  }
};

// The run with log lines (tests/data/logs): one row a line, NULL where the line had no span, arguments or
// site; replayed from the database, each line equals the file's; `spanlog query` reads the table; summary,
// diff and check over the stored run print what they print for the file.
inline void check_logs(const std::string& target) {
  const fs::path run = reader_test::data("logs") / "telemetry.jsonl";
  const std::string db = " --db " + quoted(target);
  run_spanlog_ok("load " + quoted(run.string()) + db);
  const auto store = history::open_store(target);
  const std::string key = run_key_of(*store, run);
  const auto rows = store->query(
      "SELECT line, tid, ts, level, span_id, msg, attrs, site_file, site_line FROM logs WHERE run_key = $1 "
      "ORDER BY line",
      {key});
  REQUIRE(rows.rows.size() == 8);
  const auto& retry = rows.rows[1];
  CHECK(integer(retry[0]) == 6);
  CHECK(integer(retry[1]) == 10);
  CHECK(integer(retry[2]) == 1795459260005000000);
  CHECK(*retry[3] == "warn");
  CHECK(integer(retry[4]) == 101);
  CHECK(*retry[5] == "retrying https://example.com after 3 ms");
  CHECK(reader_test::contains(retry[6].value_or(""), R"("url":"https://example.com")"));
  CHECK(*retry[7] == "src/fetch.cpp");
  CHECK(integer(retry[8]) == 88);
  const auto& outside = rows.rows[2];  // "worker ready": no span, no argument
  CHECK(*outside[5] == "worker ready");
  CHECK_FALSE(outside[4].has_value());
  CHECK_FALSE(outside[6].has_value());

  LogLinesSink from_file, from_store;
  reader::read_file(run, from_file);
  history::replay_stored_run(*store, std::stoll(key), from_store);
  CHECK(from_file.lines.size() == 8);
  CHECK(from_store.lines == from_file.lines);

  CHECK(run_spanlog_ok("query --format csv" + db +
                       " \"SELECT level, COUNT(*) AS n FROM logs GROUP BY level ORDER BY level\"") ==
        "level,n\ndebug,1\nerror,2\ninfo,1\ntrace,1\nwarn,3\n");
  check_commands(*store, target, run);
}

// A database of version 6 (every table but logs), holding a run: readers refuse it until `migrate` adds the
// table; the run stored before reads as it did, and a run with log lines then loads and reads back.
inline void check_migration_to_logs(const std::string& target) {
  const fs::path basic = reader_test::data("basic") / "telemetry.jsonl";
  const std::string db = " --db " + quoted(target);
  run_spanlog_ok("load " + quoted(basic.string()) + db);
  {
    const auto store = history::open_store(target);
    store->execute("DROP TABLE logs");
    store->execute("UPDATE spanlog_schema SET version = 6");
  }
  const auto older = run_spanlog("query 'SELECT COUNT(*) FROM runs'" + db);
  CHECK(older.status == 2);
  CHECK(reader_test::contains(older.output, "older schema version 6"));
  CHECK(reader_test::contains(run_spanlog_ok("migrate" + db),
                              "schema version 6 -> " + std::to_string(history::kSchemaVersion)));
  CHECK(run_spanlog_ok("query --format csv 'SELECT COUNT(*) AS n FROM logs'" + db) == "n\n0\n");
  {
    const auto store = history::open_store(target);
    check_commands(*store, target, basic);
  }
  check_logs(target);
}

// The metrics of schema 1.7 (tests/data/metrics): labels stored as JSON objects, histogram lines and their
// buckets, units; histogram_stats and a stored run's summary give the figures worked out by hand in
// reader_summary; a database of version 7 is migrated to them first.
inline void check_metrics(const std::string& target) {
  const std::string db = " --db " + quoted(target);
  run_spanlog_ok("load " + quoted((reader_test::data("basic") / "telemetry.jsonl").string()) + db);
  {
    const auto store = history::open_store(target);
    store->execute(
        "DROP VIEW histogram_stats; DROP TABLE histograms; DROP TABLE histogram_buckets; "
        "DROP TABLE metric_info");
    store->execute("UPDATE spanlog_schema SET version = 7");
  }
  CHECK(reader_test::contains(run_spanlog_ok("migrate" + db), "schema version 7 -> 8"));

  const fs::path run = reader_test::data("metrics") / "telemetry.jsonl";
  run_spanlog_ok("load " + quoted(run.string()) + db);
  CHECK(run_spanlog_ok(
            "query --format csv" + db +
            " \"SELECT name, labels, count, sum, min_value, p50, p90, p99, max_value FROM histogram_stats "
            "ORDER BY name, labels\"") ==
        "name,labels,count,sum,min_value,p50,p90,p99,max_value\n"
        "queue.wait,\"queue=\"\"io\"\"\",4,173,12,12,100,100,100\n"
        "queue.wait,\"queue=\"\"net\"\"\",2,0,0,0,0,0,0\n"
        "request.bytes,,5,35700,1000,4127,21759,21759,21759\n");
  const auto store = history::open_store(target);
  const std::string key = run_key_of(*store, run);
  const auto counters = store->query(
      "SELECT line, labels FROM counters WHERE run_key = $1 AND name = 'llm.tokens' ORDER BY line", {key});
  REQUIRE(counters.rows.size() == 5);
  // Line 6 wrote {"model":"m-large","kind":"input"}: stored sorted by key, as the reader hands labels out.
  CHECK(integer(counters.rows[0][0]) == 6);
  CHECK(counters.rows[0][1].value_or("") == R"({"kind":"input","model":"m-large"})");
  CHECK(integer(store->query("SELECT COUNT(*) FROM counters WHERE run_key = $1 AND labels IS NULL", {key})
                    .rows.at(0)
                    .at(0)) == 1);  // bytes.parsed
  const auto unit = store->query("SELECT unit, description FROM metric_info WHERE run_key = $1 AND name = $2",
                                 {key, "queue.wait"});
  REQUIRE(unit.rows.size() == 1);
  CHECK(unit.rows[0][0].value_or("") == "us");
  CHECK(unit.rows[0][1].value_or("") == "Time waiting in a queue");

  // The stored run's summary has the file's series, units and overflow.
  const std::string text = run_spanlog_ok("summary" + db + " last");
  CHECK(reader_test::contains(text, "  {kind=\"input\",model=\"m-large\"}    1000"));
  CHECK(reader_test::contains(text, "request.bytes        5  35700  4127  21759  21759  21759  By"));
  CHECK(reader_test::contains(text, "  {pool=\"db\"}        2    1    5"));
  CHECK(reader_test::contains(text, "7 metric values past a metric's label-set limit"));
}

inline void check_everything(const std::string& target, const fs::path& dir) {
  const auto runs = sample_runs(dir);
  const std::string loaded = run_spanlog_ok("load" + load_arguments(runs) + " --db " + quoted(target));
  CHECK(reader_test::contains(loaded, "loaded"));
  const auto store = history::open_store(target);

  for (const auto& run : runs) {
    check_views(*store, run);
    check_commands(*store, target, run);
    const std::string key = run_key_of(*store, run);
    CHECK(integer(store->query("SELECT COUNT(*) FROM spans WHERE run_key = $1", {key}).rows.at(0).at(0)) ==
          expected_span_rows(run));
  }

  // `last` is the newest run by start time, `last~1` the one before.
  const auto order = store->query("SELECT run_id FROM runs ORDER BY start_ts DESC, run_key DESC");
  REQUIRE(order.rows.size() == runs.size());
  CHECK(run_spanlog_ok("summary --json --db " + quoted(target) + " last") ==
        run_spanlog_ok("summary --json --db " + quoted(target) + " " + quoted(*order.rows[0][0])));
  CHECK(run_spanlog_ok("summary --json --db " + quoted(target) + " last~1") ==
        run_spanlog_ok("summary --json --db " + quoted(target) + " " + quoted(*order.rows[1][0])));

  // Loading again adds nothing.
  const auto before = row_counts(*store);
  const std::string again = run_spanlog_ok("load" + load_arguments(runs) + " --db " + quoted(target));
  CHECK(reader_test::contains(again, "already loaded"));
  CHECK(row_counts(*store) == before);

  // query's formats.
  const std::string csv =
      run_spanlog_ok("query --format csv --db " + quoted(target) +
                     " \"SELECT name, count FROM span_stats WHERE run_id = 'basic-1' ORDER BY name\"");
  CHECK(csv == "name,count\nanalysis,1\ndb.query,2\nparse,2\nrequest,2\n");
  const std::string json =
      run_spanlog_ok("query --format json --db " + quoted(target) +
                     " \"SELECT name, errors FROM span_stats WHERE run_id = 'basic-1' AND errors > 0\"");
  CHECK(json == "[{\"name\":\"db.query\",\"errors\":1}]\n");
  CHECK(reader_test::contains(
      run_spanlog_ok("query --db " + quoted(target) + " 'SELECT COUNT(*) AS n FROM runs'"), "(1 rows)"));
}

// A run loaded while it is still being written, loaded again when it has ended: completed, not doubled.
inline void check_completed_later(const std::string& target, const fs::path& dir) {
  const fs::path full = record("SPANLOG_PIPELINE_BIN", "48 4", dir / "growing-source");
  const std::string text = reader_test::read_text(full);
  fs::create_directories(dir / "growing");
  const fs::path growing = dir / "growing" / "telemetry.jsonl";
  // The first half of its lines, the last one torn: as a reader finds a run in the middle of a flush.
  std::size_t cut = 0;
  for (std::size_t lines = 0, half = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) / 2;
       lines < half; ++lines)
    cut = text.find('\n', cut) + 1;
  reader_test::write_text(growing, text.substr(0, cut + 10));
  const std::string first = run_spanlog_ok("load " + quoted(growing.string()) + " --db " + quoted(target));
  CHECK(reader_test::contains(first, "no footer yet"));
  const auto store = history::open_store(target);
  // Its process (the pipeline's) has exited: without a footer the run died, as every view says.
  CHECK(*store->query("SELECT status FROM runs WHERE source = $1", {growing.string()}).rows.at(0).at(0) ==
        "died");

  reader_test::write_text(growing, text);
  const std::string second = run_spanlog_ok("load " + quoted(growing.string()) + " --db " + quoted(target));
  CHECK(reader_test::contains(second, "reloaded"));
  const std::string key = run_key_of(*store, growing);
  CHECK(*store->query("SELECT status FROM runs WHERE run_key = $1", {key}).rows.at(0).at(0) == "complete");
  CHECK(integer(store->query("SELECT COUNT(*) FROM spans WHERE run_key = $1", {key}).rows.at(0).at(0)) ==
        expected_span_rows(growing));
  check_views(*store, growing);
}

// Two loaders at once, of different runs and of the same runs: each run once, each row once.
inline void check_concurrent_loaders(const std::string& target, const fs::path& dir) {
  std::vector<fs::path> runs;
  for (int i = 0; i < 4; ++i)
    runs.push_back(record("SPANLOG_PIPELINE_BIN", "60 3", dir / ("concurrent" + std::to_string(i))));
  const std::string bin = env("SPANLOG_BIN");
  const std::string db = " --db " + quoted(target);
  // Loader one: runs 0, 1, 2; loader two: runs 2, 1, 3 (two in common, in the opposite order).
  const std::string command = "(" + bin + " load" + load_arguments({runs[0], runs[1], runs[2]}) + db +
                              " & first=$!; " + bin + " load" + load_arguments({runs[2], runs[1], runs[3]}) +
                              db + " & second=$!; wait $first && wait $second)";
  const auto result = try_run(command);
  INFO(result.output);
  CHECK(result.status == 0);
  const auto store = history::open_store(target);
  for (const auto& run : runs) {
    INFO(run.string());
    const auto found = store->query("SELECT run_key FROM runs WHERE source = $1", {run.string()});
    REQUIRE(found.rows.size() == 1);
    CHECK(integer(store->query("SELECT COUNT(*) FROM spans WHERE run_key = $1", {*found.rows[0][0]})
                      .rows.at(0)
                      .at(0)) == expected_span_rows(run));
    check_views(*store, run);
  }
}

// Bad input: exit status 2 and a message naming the problem.
inline void check_schema_versions(const std::string& target, const fs::path& run) {
  run_spanlog_ok("load " + quoted(run.string()) + " --db " + quoted(target));
  const std::string db = " --db " + quoted(target);
  {
    const auto store = history::open_store(target);
    store->execute(
        "DROP VIEW span_stats; DROP VIEW phase_times; DROP VIEW counter_totals; DROP VIEW run_order");
    store->execute("UPDATE spanlog_schema SET version = 1");
  }
  const auto older = run_spanlog("query 'SELECT 1'" + db);
  CHECK(older.status == 2);
  CHECK(reader_test::contains(older.output, "older schema version 1"));
  CHECK(reader_test::contains(older.output, "spanlog migrate --db"));
  CHECK(run_spanlog("summary" + db + " last").status == 2);
  CHECK(reader_test::contains(run_spanlog_ok("migrate" + db),
                              "schema version 1 -> " + std::to_string(history::kSchemaVersion)));
  CHECK(reader_test::contains(run_spanlog_ok("query 'SELECT COUNT(*) FROM span_stats'" + db), "(1 rows)"));
  {
    const auto store = history::open_store(target);
    store->execute("UPDATE spanlog_schema SET version = 99");
  }
  for (const std::string& command :
       std::vector<std::string>{"query 'SELECT 1'", "load " + quoted(run.string()), "summary last"}) {
    const auto newer = run_spanlog(command + db);
    INFO(command << "\n" << newer.output);
    CHECK(newer.status == 2);
    CHECK(reader_test::contains(newer.output, "newer than this spanlog"));
  }
  {
    const auto store = history::open_store(target);
    store->execute("UPDATE spanlog_schema SET version = " + std::to_string(history::kSchemaVersion));
  }
  const auto bad_sql = run_spanlog("query 'SELECT nope FROM span_stats'" + db);
  CHECK(bad_sql.status == 2);
  CHECK(reader_test::contains(bad_sql.output, "SQL error"));
  CHECK(reader_test::contains(bad_sql.output, "nope"));
  CHECK(run_spanlog("query --format xml 'SELECT 1'" + db).status == 2);
  const auto no_run = run_spanlog("summary" + db + " no-such-run");
  CHECK(no_run.status == 2);
  CHECK(reader_test::contains(no_run.output, "no-such-run: no such run"));
}

}  // namespace history_test
