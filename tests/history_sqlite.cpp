// The run history in an embedded SQLite file: the examples' runs loaded, every view compared with the
// reader's own summary, --db commands against the files, re-loading, completing a running run, concurrent
// loaders, schema versions, and targets that cannot be opened.
#include "support/history_support.hpp"

using namespace history_test;

TEST_CASE("SQLite: views and --db commands equal the reader's summary; loading again adds nothing") {
  reader_test::TempDir dir;
  check_everything((dir / "history.sqlite").string(), dir.path());
}

TEST_CASE("SQLite: statistics-mode spans are stored and a stored run shows the file's figures") {
  reader_test::TempDir dir;
  check_statistics((dir / "history.sqlite").string());
}

TEST_CASE("SQLite: the default target is SPANLOG_DIR/history.sqlite") {
  reader_test::TempDir dir;
  const fs::path run = record("SPANLOG_MINIMAL_BIN", "", dir.path());
  const std::string prefix = "SPANLOG_DIR=" + quoted(dir.path().string()) + " ";
  const auto loaded = try_run(prefix + env("SPANLOG_BIN") + " load");
  INFO(loaded.output);
  CHECK(loaded.status == 0);
  CHECK(fs::exists(dir / "history.sqlite"));
  const auto queried = try_run(prefix + env("SPANLOG_BIN") + " query --format csv 'SELECT source FROM runs'");
  CHECK(queried.output == "source\n" + run.string() + "\n");
}

TEST_CASE("SQLite: log lines are stored one row each and a stored run gives them back as the file did") {
  reader_test::TempDir dir;
  check_logs((dir / "history.sqlite").string());
}

TEST_CASE("SQLite: metric labels, histograms and units are stored; histogram_stats gives the percentiles") {
  reader_test::TempDir dir;
  check_metrics((dir / "history.sqlite").string());
}

TEST_CASE("SQLite: a database of version 6 is migrated to the logs table") {
  reader_test::TempDir dir;
  check_migration_to_logs((dir / "history.sqlite").string());
}

TEST_CASE("SQLite: a run loaded while running is completed by loading it again") {
  reader_test::TempDir dir;
  check_completed_later((dir / "history.sqlite").string(), dir.path());
}

TEST_CASE("SQLite: two loaders at once neither corrupt nor duplicate") {
  reader_test::TempDir dir;
  check_concurrent_loaders((dir / "history.sqlite").string(), dir.path());
}

TEST_CASE("SQLite: older schemas are refused until migrated, newer ones always; SQL errors exit 2") {
  reader_test::TempDir dir;
  check_schema_versions((dir / "history.sqlite").string(), reader_test::data("basic") / "telemetry.jsonl");
}

TEST_CASE("SQLite: targets that cannot be opened, and files that are not histories") {
  reader_test::TempDir dir;
  const std::string run = quoted((reader_test::data("basic") / "telemetry.jsonl").string());

  const auto missing =
      run_spanlog("query 'SELECT 1' --db " + quoted((dir / "none" / "history.sqlite").string()));
  CHECK(missing.status == 2);
  CHECK(reader_test::contains(missing.output, "none/history.sqlite"));
  CHECK(reader_test::contains(missing.output, "cannot open"));
  CHECK_FALSE(fs::exists(dir / "none"));  // reading never creates a database

  reader_test::write_text(dir / "text.sqlite", "this is not a database, it is a text file of some length\n");
  const auto text = run_spanlog("load " + run + " --db " + quoted((dir / "text.sqlite").string()));
  CHECK(text.status == 2);
  CHECK(reader_test::contains(text.output, "text.sqlite"));
  CHECK(reader_test::contains(text.output, "not a usable SQLite database"));

  const auto directory = run_spanlog("load " + run + " --db " + quoted(dir.path().string()));
  CHECK(directory.status == 2);
  CHECK(reader_test::contains(directory.output, dir.path().string()));

  history::open_store((dir / "empty.sqlite").string(), history::OpenMode::create)
      ->execute("CREATE TABLE t (x)");
  const auto empty = run_spanlog("query 'SELECT 1' --db " + quoted((dir / "empty.sqlite").string()));
  CHECK(empty.status == 2);
  CHECK(reader_test::contains(empty.output, "no spanlog history here yet"));

  // A file that is not a run, and a run file with a broken line: nothing of it is stored.
  reader_test::write_text(dir / "noheader.jsonl", "{\"event\":\"thread\",\"tid\":1,\"ts\":5}\n");
  const auto no_header = run_spanlog("load " + quoted((dir / "noheader.jsonl").string()) + " --db " +
                                     quoted((dir / "h.sqlite").string()));
  CHECK(no_header.status == 2);
  CHECK(reader_test::contains(no_header.output, "before the header"));
  const auto bad = run_spanlog("load " + quoted((reader_test::data("bad_lines.jsonl")).string()) + " --db " +
                               quoted((dir / "h.sqlite").string()));
  CHECK(bad.status == 2);
  CHECK(reader_test::contains(bad.output, "bad_lines.jsonl:"));
  const auto store = history::open_store((dir / "h.sqlite").string());
  CHECK(integer(store->query("SELECT COUNT(*) FROM runs").rows.at(0).at(0)) == 0);
  CHECK(integer(store->query("SELECT COUNT(*) FROM threads").rows.at(0).at(0)) == 0);
}

TEST_CASE("SQLite: a run's ring growth (the footer's rings_grown and largest_ring) is kept") {
  reader_test::TempDir dir;
  const fs::path run = dir / "grown.jsonl";
  reader_test::write_text(
      run,
      R"({"event":"header","schema":1,"schema_minor":3,"run_id":"grown","pid":4242,"host":"another-host",)"
      R"("start_ts":1795459260000000000,"options":{"ring_bytes":65536,"ring_max_bytes":8388608}})"
      "\n"
      R"({"event":"span","span_id":1,"name":"burst","tid":7,"ts":1795459260000001000,"dur_ns":500})"
      "\n"
      R"({"event":"ring_grown","tid":7,"ts":1795459260001000000,"bytes":131072})"
      "\n"
      R"({"event":"footer","ts":1795459260003000000,"wall_ns":3000000,"records":4,"spans":1,)"
      R"("rings_grown":2,"largest_ring":262144})"
      "\n");
  const std::string db = " --db " + quoted((dir / "history.sqlite").string());
  run_spanlog_ok("load " + quoted(run.string()) + db);
  const std::string from_file = run_spanlog_ok("summary --json --no-write " + quoted(run.string()));
  CHECK(reader_test::contains(from_file, R"("rings_grown":2,"largest_ring":262144)"));
  CHECK(run_spanlog_ok("summary --json" + db + " grown") == from_file);
  CHECK(run_spanlog_ok("summary" + db + " grown") ==
        run_spanlog_ok("summary --no-write " + quoted(run.string())));
}
