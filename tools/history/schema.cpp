#include "history/schema.hpp"

#include <fmt/format.h>

namespace spanlog::history {
namespace {

// {id} is the run table's key, {int} a 64-bit integer, {real} a double, {json} attribute text.
constexpr const char* kTables = R"(
CREATE TABLE IF NOT EXISTS spanlog_schema (version {int} NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_key {id},
  run_id TEXT NOT NULL, host TEXT NOT NULL, process TEXT NOT NULL, pid {int} NOT NULL,
  version TEXT NOT NULL, start_ts {int} NOT NULL, end_ts {int} NOT NULL, wall_ns {int} NOT NULL,
  status TEXT NOT NULL, options {json} NOT NULL, attrs {json} NOT NULL, source TEXT NOT NULL,
  lines {int} NOT NULL, records {int} NOT NULL, bytes {int} NOT NULL, header_line {int} NOT NULL,
  torn_last_line TEXT, footer {json}, loaded_at TEXT NOT NULL,
  UNIQUE (run_id, host, start_ts));
CREATE TABLE IF NOT EXISTS threads (
  run_key {int} NOT NULL, line {int} NOT NULL, tid {int} NOT NULL, name TEXT,
  ts {int} NOT NULL, exited {int} NOT NULL,
  PRIMARY KEY (run_key, line)){clustered};
CREATE TABLE IF NOT EXISTS spans (
  span_row {int} PRIMARY KEY, run_key {int} NOT NULL, span_id {int} NOT NULL, parent_id {int}, name TEXT NOT NULL,
  tid {int} NOT NULL, end_tid {int} NOT NULL, start_ts {int} NOT NULL, dur_ns {int} NOT NULL,
  duration_bucket_ns {int} NOT NULL, status TEXT NOT NULL, message TEXT, is_phase {int} NOT NULL,
  is_async {int} NOT NULL, attrs {json}, start_line {int} NOT NULL, end_line {int});
CREATE TABLE IF NOT EXISTS events (
  run_key {int} NOT NULL, line {int} NOT NULL, name TEXT NOT NULL, tid {int} NOT NULL,
  ts {int} NOT NULL, parent_id {int}, attrs {json},
  PRIMARY KEY (run_key, line)){clustered};
CREATE TABLE IF NOT EXISTS counters (
  run_key {int} NOT NULL, line {int} NOT NULL, name TEXT NOT NULL, tid {int} NOT NULL,
  ts {int} NOT NULL, delta {real} NOT NULL, delta_integer {int},
  PRIMARY KEY (run_key, line)){clustered};
CREATE TABLE IF NOT EXISTS gauges (
  run_key {int} NOT NULL, line {int} NOT NULL, name TEXT NOT NULL, tid {int} NOT NULL,
  ts {int} NOT NULL, value {real}, min {real}, max {real}, count {int} NOT NULL,
  PRIMARY KEY (run_key, line)){clustered};
CREATE TABLE IF NOT EXISTS phases (
  run_key {int} NOT NULL, line {int} NOT NULL, name TEXT NOT NULL, span_id {int},
  start_ts {int} NOT NULL, end_ts {int} NOT NULL, wall_ns {int} NOT NULL,
  PRIMARY KEY (run_key, line)){clustered};
CREATE TABLE IF NOT EXISTS dropped (
  run_key {int} NOT NULL, line {int} NOT NULL, tid {int} NOT NULL, ts {int} NOT NULL,
  spans {int} NOT NULL, events {int} NOT NULL, metrics {int} NOT NULL, attrs {int} NOT NULL,
  async_ends {int} NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (run_key, line)){clustered};
)";

// Version 2: the views, span_stats aside (version 3 makes it, with the self times).
constexpr const char* kViews = R"(
CREATE VIEW phase_times AS
SELECT r.run_key, r.run_id, r.host, r.start_ts AS run_start_ts, p.name, SUM(p.wall_ns) AS wall_ns,
       COUNT(*) AS occurrences, MAX(p.still_open) AS still_open
FROM (SELECT run_key, name, wall_ns, 0 AS still_open FROM phases
      UNION ALL
      SELECT run_key, name, dur_ns, 1 FROM spans WHERE is_phase = 1 AND status = 'open') p
JOIN runs r ON r.run_key = p.run_key
GROUP BY r.run_key, r.run_id, r.host, r.start_ts, p.name;

CREATE VIEW counter_totals AS
SELECT r.run_key, r.run_id, r.host, r.start_ts AS run_start_ts, c.name,
       CASE WHEN COUNT(c.delta_integer) = COUNT(*) THEN SUM(c.delta_integer) ELSE SUM(c.delta) END AS total,
       COUNT(*) AS updates
FROM counters c JOIN runs r ON r.run_key = c.run_key
GROUP BY r.run_key, r.run_id, r.host, r.start_ts, c.name;

CREATE VIEW run_order AS
SELECT ROW_NUMBER() OVER (ORDER BY start_ts DESC, run_key DESC) - 1 AS back, run_key, run_id, host, process,
       start_ts, wall_ns, status
FROM runs;
)";

// Both versions of span_stats end alike: percentiles clamped to the observed range, per run and name, with
// the self times beside them. Each version's text is its own `grouped` plus this.
constexpr const char* kSpanStatsFromGrouped = R"(
SELECT r.run_key, r.run_id, r.host, r.start_ts AS run_start_ts, g.name, g.n AS count, g.total_ns,
       t.self_ns, t.raw_self_ns, t.parallel_ns, g.min_ns,
       CASE WHEN (g.n + 1) / 2 >= g.n THEN g.max_ns WHEN (g.n + 1) / 2 <= 1 THEN g.min_ns
            WHEN g.mid50 < g.min_ns THEN g.min_ns WHEN g.mid50 > g.max_ns THEN g.max_ns ELSE g.mid50 END AS p50_ns,
       CASE WHEN (9 * g.n + 9) / 10 >= g.n THEN g.max_ns WHEN (9 * g.n + 9) / 10 <= 1 THEN g.min_ns
            WHEN g.mid90 < g.min_ns THEN g.min_ns WHEN g.mid90 > g.max_ns THEN g.max_ns ELSE g.mid90 END AS p90_ns,
       CASE WHEN (99 * g.n + 99) / 100 >= g.n THEN g.max_ns WHEN (99 * g.n + 99) / 100 <= 1 THEN g.min_ns
            WHEN g.mid99 < g.min_ns THEN g.min_ns WHEN g.mid99 > g.max_ns THEN g.max_ns ELSE g.mid99 END AS p99_ns,
       g.max_ns, g.errors
FROM grouped g JOIN runs r ON r.run_key = g.run_key
LEFT JOIN span_times t ON t.run_key = g.run_key AND t.name = g.name;
)";

// Version 3: self time and parallel time per run and span name, worked out at load time by the reader's own
// aggregator (reader/self_time.hpp: a union of intervals per parent, which SQL would only approximate), and
// span_stats with them.
constexpr const char* kSpanTimesTable = R"(
CREATE TABLE IF NOT EXISTS span_times (
  run_key {int} NOT NULL, name TEXT NOT NULL, self_ns {int} NOT NULL, raw_self_ns {int} NOT NULL,
  parallel_ns {int} NOT NULL,
  PRIMARY KEY (run_key, name)){clustered};
)";
// A database of version 2 has span_stats without the self times: it is replaced.
// Percentiles as the reader computes them (tools/reader/histogram.cpp): the nearest rank ceil(q * n), as the
// midpoint of its histogram bucket (stored per span at load time), kept within [min, max]; the minimum at
// rank 1 and the maximum at rank n. Integer ranks: (n + 1) / 2, (9n + 9) / 10, (99n + 99) / 100.
constexpr const char* kSpanStats = R"(
DROP VIEW IF EXISTS span_stats;
CREATE VIEW span_stats AS
WITH ranked AS (
  SELECT run_key, name, dur_ns, duration_bucket_ns, status,
         ROW_NUMBER() OVER (PARTITION BY run_key, name ORDER BY duration_bucket_ns) AS position,
         COUNT(*) OVER (PARTITION BY run_key, name) AS n
  FROM spans WHERE status <> 'open'),
grouped AS (
  SELECT run_key, name, n, SUM(dur_ns) AS total_ns, MIN(dur_ns) AS min_ns, MAX(dur_ns) AS max_ns,
         SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
         MAX(CASE WHEN position = (n + 1) / 2 THEN duration_bucket_ns END) AS mid50,
         MAX(CASE WHEN position = (9 * n + 9) / 10 THEN duration_bucket_ns END) AS mid90,
         MAX(CASE WHEN position = (99 * n + 99) / 100 THEN duration_bucket_ns END) AS mid99
  FROM ranked GROUP BY run_key, name, n)
)";

// Version 6: a file's span_stats lines (schema 1.4), each as it was, so that a replay merges them as the
// reader does; `buckets` is the line's [lower_ns, count] pairs as JSON. And their buckets merged per run and
// name, as rows (the reader's histogram buckets: bounds and the midpoint a percentile reports), so that the
// span_stats view counts statistics-mode spans in SQL alone.
constexpr const char* kSpanStatsLinesTables = R"(
CREATE TABLE IF NOT EXISTS span_stats_lines (
  run_key {int} NOT NULL, line {int} NOT NULL, name TEXT NOT NULL, tid {int} NOT NULL, ts {int} NOT NULL,
  count {int} NOT NULL, total_ns {int} NOT NULL, self_ns {int} NOT NULL, buckets {json} NOT NULL,
  PRIMARY KEY (run_key, line)){clustered};
CREATE TABLE IF NOT EXISTS span_stats_buckets (
  run_key {int} NOT NULL, name TEXT NOT NULL, lower_ns {int} NOT NULL, upper_ns {int} NOT NULL,
  middle_ns {int} NOT NULL, count {int} NOT NULL,
  PRIMARY KEY (run_key, name, lower_ns)){clustered};
)";
// Version 6's span_stats: span rows count once each, a statistics bucket `count` times (its minimum and
// maximum its bounds, as the reader has them); a rank is found by the counts summed in bucket order. The
// totals of statistics-mode spans are their lines'.
constexpr const char* kSpanStatsWithStatistics = R"(
DROP VIEW IF EXISTS span_stats;
CREATE VIEW span_stats AS
WITH items AS (
  SELECT run_key, name, duration_bucket_ns AS middle_ns, 1 AS weight, dur_ns AS low_ns, dur_ns AS high_ns,
         dur_ns AS total_ns, CASE WHEN status = 'error' THEN 1 ELSE 0 END AS errors
  FROM spans WHERE status <> 'open'
  UNION ALL
  SELECT run_key, name, middle_ns, count, lower_ns, upper_ns, 0, 0 FROM span_stats_buckets
  UNION ALL
  SELECT run_key, name, NULL, 0, NULL, NULL, total_ns, 0 FROM span_stats_lines),
ranked AS (
  SELECT run_key, name, middle_ns, low_ns, high_ns, total_ns, errors,
         SUM(weight) OVER (PARTITION BY run_key, name ORDER BY middle_ns ROWS UNBOUNDED PRECEDING) AS seen,
         CAST(SUM(weight) OVER (PARTITION BY run_key, name) AS {int}) AS n
  FROM items),
grouped AS (
  SELECT run_key, name, n, SUM(total_ns) AS total_ns, MIN(low_ns) AS min_ns, MAX(high_ns) AS max_ns,
         SUM(errors) AS errors,
         MIN(CASE WHEN seen >= (n + 1) / 2 THEN middle_ns END) AS mid50,
         MIN(CASE WHEN seen >= (9 * n + 9) / 10 THEN middle_ns END) AS mid90,
         MIN(CASE WHEN seen >= (99 * n + 99) / 100 THEN middle_ns END) AS mid99
  FROM ranked GROUP BY run_key, name, n)
)";

// Version 7: a run's log lines (schema 1.6), one row each; span_id, site_file and site_line are NULL when the
// line had none, attrs (its arguments) NULL when it had no argument.
constexpr const char* kLogsTable = R"(
CREATE TABLE IF NOT EXISTS logs (
  run_key {int} NOT NULL, line {int} NOT NULL, tid {int} NOT NULL, ts {int} NOT NULL, level TEXT NOT NULL,
  span_id {int}, msg TEXT NOT NULL, attrs {json}, site_file TEXT, site_line {int},
  PRIMARY KEY (run_key, line)){clustered};
)";

// Version 8: metrics of schema 1.7. A file's histogram lines, each as it was (`buckets` its [lower, count]
// pairs, `labels` NULL when it had none, `tid` NULL when labelled, `label_text` the reader's canonical text
// of the label set, '' for none: reader/metric_series.hpp); their buckets merged per run, name and label
// text, as rows; and each metric's unit and description, the last declaration of the run.
constexpr const char* kMetricTables = R"(
CREATE TABLE IF NOT EXISTS histograms (
  run_key {int} NOT NULL, line {int} NOT NULL, name TEXT NOT NULL, tid {int}, ts {int} NOT NULL,
  sum {int} NOT NULL, count {int} NOT NULL, buckets {json} NOT NULL, labels {json}, label_text TEXT NOT NULL,
  PRIMARY KEY (run_key, line)){clustered};
CREATE TABLE IF NOT EXISTS histogram_buckets (
  run_key {int} NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL, lower {int} NOT NULL, upper {int} NOT NULL,
  middle {int} NOT NULL, count {int} NOT NULL,
  PRIMARY KEY (run_key, name, labels, lower)){clustered};
CREATE TABLE IF NOT EXISTS metric_info (
  run_key {int} NOT NULL, name TEXT NOT NULL, unit TEXT NOT NULL, description TEXT NOT NULL,
  PRIMARY KEY (run_key, name)){clustered};
)";
// Version 8: percentiles per run, histogram name and label set, as span_stats finds them for statistics-mode
// spans: a rank is found by the bucket counts summed in bucket order, reported as its bucket's midpoint
// within [min, max]; min and max are the lowest and highest buckets' bounds, as the reader has them.
constexpr const char* kHistogramStats = R"(
DROP VIEW IF EXISTS histogram_stats;
CREATE VIEW histogram_stats AS
WITH ranked AS (
  SELECT run_key, name, labels, lower, upper, middle,
         SUM(count) OVER (PARTITION BY run_key, name, labels ORDER BY lower ROWS UNBOUNDED PRECEDING) AS seen,
         CAST(SUM(count) OVER (PARTITION BY run_key, name, labels) AS {int}) AS n
  FROM histogram_buckets),
grouped AS (
  SELECT run_key, name, labels, n, MIN(lower) AS min_value, MAX(upper) AS max_value,
         MIN(CASE WHEN seen >= (n + 1) / 2 THEN middle END) AS mid50,
         MIN(CASE WHEN seen >= (9 * n + 9) / 10 THEN middle END) AS mid90,
         MIN(CASE WHEN seen >= (99 * n + 99) / 100 THEN middle END) AS mid99
  FROM ranked GROUP BY run_key, name, labels, n),
sums AS (
  SELECT run_key, name, label_text AS labels, SUM(sum) AS sum FROM histograms GROUP BY run_key, name, label_text)
SELECT r.run_key, r.run_id, r.host, r.start_ts AS run_start_ts, g.name, g.labels, g.n AS count, s.sum,
       g.min_value,
       CASE WHEN (g.n + 1) / 2 >= g.n THEN g.max_value WHEN (g.n + 1) / 2 <= 1 THEN g.min_value
            WHEN g.mid50 < g.min_value THEN g.min_value WHEN g.mid50 > g.max_value THEN g.max_value
            ELSE g.mid50 END AS p50,
       CASE WHEN (9 * g.n + 9) / 10 >= g.n THEN g.max_value WHEN (9 * g.n + 9) / 10 <= 1 THEN g.min_value
            WHEN g.mid90 < g.min_value THEN g.min_value WHEN g.mid90 > g.max_value THEN g.max_value
            ELSE g.mid90 END AS p90,
       CASE WHEN (99 * g.n + 99) / 100 >= g.n THEN g.max_value WHEN (99 * g.n + 99) / 100 <= 1 THEN g.min_value
            WHEN g.mid99 < g.min_value THEN g.min_value WHEN g.mid99 > g.max_value THEN g.max_value
            ELSE g.mid99 END AS p99,
       g.max_value
FROM grouped g JOIN runs r ON r.run_key = g.run_key
LEFT JOIN sums s ON s.run_key = g.run_key AND s.name = g.name AND s.labels = g.labels;
)";

// Version 8: counter_totals per series: a labelled counter's label sets are its series, one row each, with
// `labels` (the stored JSON object as text; NULL for the series without labels) as the last column.
constexpr const char* kCounterTotalsBySeries = R"(
DROP VIEW IF EXISTS counter_totals;
CREATE VIEW counter_totals AS
SELECT r.run_key, r.run_id, r.host, r.start_ts AS run_start_ts, c.name,
       CASE WHEN COUNT(c.delta_integer) = COUNT(*) THEN SUM(c.delta_integer) ELSE SUM(c.delta) END AS total,
       COUNT(*) AS updates, CAST(c.labels AS TEXT) AS labels
FROM counters c JOIN runs r ON r.run_key = c.run_key
GROUP BY r.run_key, r.run_id, r.host, r.start_ts, c.name, CAST(c.labels AS TEXT);
)";

// Version 4: a dropped line's drops per name (schema 1.2's span_names and event_names), as JSON objects.
// Version 5: a run's crash record, as JSON (a crashed run has no footer), so that a stored run's state is the
// file's. Version 6: a span's stats_ns (schema 1.4), NULL when the file had none.
struct AddedColumn {
  std::int64_t version;
  const char* table;
  const char* column;
  bool integer = false;  // else JSON
};
constexpr AddedColumn kAddedColumns[] = {{4, "dropped", "span_names"}, {4, "dropped", "event_names"},
                                         {5, "runs", "crash"},         {6, "spans", "stats_ns", true},
                                         {8, "counters", "labels"},    {8, "gauges", "labels"}};

std::string with_types(const char* sql, Dialect dialect) {
  const bool sqlite = dialect == Dialect::sqlite;
  return fmt::format(
      fmt::runtime(sql), fmt::arg("id", sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY"),
      fmt::arg("int", sqlite ? "INTEGER" : "BIGINT"), fmt::arg("real", sqlite ? "REAL" : "DOUBLE PRECISION"),
      fmt::arg("json", sqlite ? "TEXT" : "JSON"),
      // Rows of one run stay together, in file order, with no second index to keep up.
      fmt::arg("clustered", sqlite ? " WITHOUT ROWID" : ""));
}

std::string tables_sql(Dialect dialect) {
  return with_types(kTables, dialect);
}

// Whether spanlog_schema and runs exist, seen in one statement: one snapshot, even while another loader is
// creating them.
std::pair<bool, bool> schema_and_runs_exist(Store& store) {
  const QueryResult result =
      store.dialect() == Dialect::sqlite
          ? store.query(
                "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
                "'spanlog_schema'), "
                "(SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs')")
          : store.query(
                "SELECT (SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
                "tablename = 'spanlog_schema'), (SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE "
                "schemaname = current_schema() AND tablename = 'runs')");
  return {result.rows.at(0).at(0) != "0", result.rows.at(0).at(1) != "0"};
}

bool column_exists(Store& store, const std::string& table, const std::string& column) {
  const QueryResult result =
      store.dialect() == Dialect::sqlite
          ? store.query("SELECT COUNT(*) FROM pragma_table_info($1) WHERE name = $2", {table, column})
          : store.query(
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND "
                "table_name = $1 AND column_name = $2",
                {table, column});
  return result.rows.at(0).at(0) != "0";
}

std::string migrate_command(const Store& store) {
  return fmt::format("spanlog migrate --db '{}'", store.display_name());
}

}  // namespace

std::int64_t stored_schema_version(Store& store) {
  const auto [has_schema, has_runs] = schema_and_runs_exist(store);
  if (!has_schema) {
    if (has_runs)
      throw HistoryError(fmt::format("{}: holds a table 'runs' but no spanlog_schema: not a spanlog history",
                                     store.display_name()));
    return 0;
  }
  const QueryResult result = store.query("SELECT MAX(version) FROM spanlog_schema");
  if (result.rows.empty() || !result.rows[0][0])
    throw HistoryError(fmt::format("{}: spanlog_schema holds no version", store.display_name()));
  return std::stoll(*result.rows[0][0]);
}

void prepare_for_writing(Store& store) {
  if (stored_schema_version(store) == kSchemaVersion) return;
  store.begin_write();
  try {
    // PostgreSQL: concurrent loaders of a new database create it one after the other.
    if (store.dialect() == Dialect::postgresql)
      store.query("SELECT pg_advisory_xact_lock(7011424361150287873)");
    const std::int64_t version = stored_schema_version(store);
    if (version > kSchemaVersion)
      throw HistoryError(fmt::format(
          "{}: the history has schema version {}, newer than this spanlog's {}: use a newer spanlog",
          store.display_name(), version, kSchemaVersion));
    if (version < 1) {
      store.execute(tables_sql(store.dialect()));
      store.execute("INSERT INTO spanlog_schema (version) VALUES (1)");
    }
    if (version < 2) {
      store.execute(kViews);
      store.execute("UPDATE spanlog_schema SET version = 2");
    }
    if (version < 3) {
      store.execute(with_types(kSpanTimesTable, store.dialect()));
      store.execute(std::string(kSpanStats) + kSpanStatsFromGrouped);
      store.execute("UPDATE spanlog_schema SET version = 3");
    }
    // Added only where missing: a database whose version was set back keeps its columns.
    for (const AddedColumn& added : kAddedColumns)
      if (version < added.version && !column_exists(store, added.table, added.column))
        store.execute(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", added.table, added.column,
                                  store.dialect() == Dialect::sqlite ? (added.integer ? "INTEGER" : "TEXT")
                                                                     : (added.integer ? "BIGINT" : "JSON")));
    if (version < 6) {
      store.execute(with_types(kSpanStatsLinesTables, store.dialect()));
      store.execute(with_types((std::string(kSpanStatsWithStatistics) + kSpanStatsFromGrouped).c_str(),
                               store.dialect()));
    }
    if (version < 7) store.execute(with_types(kLogsTable, store.dialect()));
    if (version < 8) {
      store.execute(with_types(kMetricTables, store.dialect()));
      store.execute(with_types(kHistogramStats, store.dialect()));
      store.execute(kCounterTotalsBySeries);
    }
    if (version < kSchemaVersion)
      store.execute(fmt::format("UPDATE spanlog_schema SET version = {}", kSchemaVersion));
    store.commit();
  } catch (...) {
    store.rollback();
    throw;
  }
}

void require_current_schema(Store& store) {
  const std::int64_t version = stored_schema_version(store);
  if (version == 0)
    throw HistoryError(
        fmt::format("{}: no spanlog history here yet (load runs with: spanlog load RUN --db '{}')",
                    store.display_name(), store.display_name()));
  if (version > kSchemaVersion)
    throw HistoryError(fmt::format(
        "{}: the history has schema version {}, newer than this spanlog's {}: use a newer spanlog",
        store.display_name(), version, kSchemaVersion));
  if (version < kSchemaVersion)
    throw HistoryError(
        fmt::format("{}: the history has the older schema version {} (this spanlog uses {}); "
                    "migrate it with: {}",
                    store.display_name(), version, kSchemaVersion, migrate_command(store)));
}

}  // namespace spanlog::history
