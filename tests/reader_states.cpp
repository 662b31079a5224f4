// A run's state is decided once (reader/run_state.hpp) and every view says the same word for the same run:
// summary (its run line and --json), doctor, report (the page's data), runs, top and the history. One
// hand-written run per state: complete, stopped by a signal, crashed, died (no footer and its process gone,
// or its pid now another process's), running (its process is this test, alive on this host).
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/reader_support.hpp"

using reader_test::contains;
using reader_test::TempDir;

namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

using test_support::run_spanlog;

std::string this_host() {
  char name[256] = {};
  REQUIRE(::gethostname(name, sizeof name - 1) == 0);
  return name;
}

std::string header(const std::string& run_id, std::uint64_t pid, const std::string& host) {
  return R"({"event":"header","schema":1,"schema_minor":2,"run_id":")" + run_id + R"(","pid":)" +
         std::to_string(pid) + R"(,"process":"states","host":")" + host +
         R"(","start_ts":1795459260000000000,"options":{"flush_interval_ms":100}})"
         "\n"
         R"({"event":"span","span_id":1,"name":"work","tid":7,"ts":1795459260000001000,"dur_ns":500,"status":"ok"})"
         "\n";
}

const char* const kFooter =
    R"({"event":"footer","ts":1795459260000010000,"wall_ns":10000,"records":3,"spans":1,"events":0})";

struct Case {
  std::string run_id, word, text;
  bool backdate = false;  // the file last written an hour ago: before this test's process started
};

// The word `summary --json` gives the run (runs[0].state).
std::string json_state(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE_MESSAGE(parser.parse(json).get(doc) == simdjson::SUCCESS, json);
  return std::string(std::string_view(doc["runs"].at(0)["state"].get_string()));
}

}  // namespace

TEST_CASE("every view names a run's state with the same word") {
  const std::string here = this_host();
  const auto pid = static_cast<std::uint64_t>(::getpid());
  const std::vector<Case> cases = {
      {"whole", "complete", header("whole", 0, "elsewhere") + kFooter + "\n"},
      {"stopped", "stopped by SIGTERM",
       header("stopped", 0, "elsewhere") +
           R"({"event":"footer","ts":1795459260000010000,"wall_ns":10000,"records":3,"spans":1,"stopped_by":"SIGTERM"})"
           "\n"},
      {"crashed", "crashed (SIGSEGV)",
       header("crashed", pid, here) +
           R"({"event":"crash","signal":11,"name":"SIGSEGV","reason":"SIGSEGV","tid":7,"ts":1795459260000002000})"
           "\n"},
      // No footer, no crash: its process cannot be seen from another host.
      {"gone", "died", header("gone", 4242, "elsewhere")},
      // This test's pid on this host, but the file was last written before this process started: the pid
      // belongs to another process now.
      {"reused", "died", header("reused", pid, here), true},
      {"live", "running", header("live", pid, here)},
  };
  TempDir dir;
  const fs::path runs = dir / "runs";
  const std::string db = " --db " + quoted(dir / "history.sqlite");
  for (const Case& c : cases) {
    INFO("run " << c.run_id << ", expected: " << c.word);
    const fs::path run = runs / c.run_id;
    fs::create_directories(run);
    reader_test::write_text(run / "telemetry.jsonl", c.text);
    if (c.backdate) {
      const timespec times[2] = {{std::time(nullptr) - 3600, 0}, {std::time(nullptr) - 3600, 0}};
      REQUIRE(::utimensat(AT_FDCWD, (run / "telemetry.jsonl").c_str(), times, 0) == 0);
    }

    const auto summary = run_spanlog("summary --no-write " + quoted(run));
    CHECK(contains(summary.output, " records, " + c.word + "\n"));
    CHECK(json_state(run_spanlog("summary --json --no-write " + quoted(run)).output) == c.word);

    // Its first line: "run ID (pid N on HOST): WORD".
    const auto doctor = run_spanlog("doctor " + quoted(run));
    const std::string first = doctor.output.substr(0, doctor.output.find('\n'));
    CHECK(first.rfind("run " + c.run_id, 0) == 0);
    CHECK_MESSAGE(first.size() >= c.word.size() + 2, first);
    CHECK_MESSAGE(first.compare(first.size() - c.word.size() - 2, std::string::npos, ": " + c.word) == 0,
                  first);

    const fs::path page = dir / (c.run_id + ".html");
    REQUIRE(run_spanlog("report " + quoted(run) + " -o " + quoted(page)).status == 0);
    CHECK(contains(reader_test::read_text(page), "\"state\":\"" + c.word + "\""));

    const auto top = run_spanlog("top --once " + quoted(run));
    CHECK(contains(top.output, "states " + c.run_id + "  " + c.word + "  "));

    REQUIRE(run_spanlog("load " + quoted(run) + db).status == 0);
    const auto stored =
        run_spanlog("query --format csv \"SELECT status FROM runs WHERE run_id = '" + c.run_id + "'\"" + db);
    CHECK(stored.output == "status\n" + c.word + "\n");
    CHECK(json_state(run_spanlog("summary --json" + db + " " + c.run_id).output) == c.word);
  }

  // The run list: one line per run directory, with the same words.
  const auto listed = run_spanlog("runs " + quoted(runs));
  INFO(listed.output);
  for (const Case& c : cases) {
    const std::size_t line = listed.output.find(c.run_id + " ");
    REQUIRE(line != std::string::npos);
    const std::string row = listed.output.substr(line, listed.output.find('\n', line) - line);
    CHECK_MESSAGE(row.size() >= c.word.size(), row);
    CHECK_MESSAGE(row.compare(row.size() - c.word.size(), c.word.size(), c.word) == 0,
                  row << " ends with " << c.word);
  }
}
