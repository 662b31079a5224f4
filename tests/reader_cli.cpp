// The `spanlog` program itself: exit statuses and messages as a shell or a CI job sees them.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "support/process.hpp"
#include "support/reader_support.hpp"

using reader_test::contains;
using reader_test::data;

namespace {

test_support::CommandResult run(const std::string& arguments) {
  return test_support::run_spanlog(arguments);
}

std::string quoted(const std::filesystem::path& path) {
  return "'" + path.string() + "'";
}

}  // namespace

TEST_CASE("exit statuses: 0 fine, 1 a finding, 2 bad input or usage") {
  CHECK(run("summary --no-write " + quoted(data("basic"))).status == 0);

  auto bad = run("summary " + quoted(data("bad_lines.jsonl")));
  CHECK(bad.status == 2);
  CHECK(contains(bad.output, "bad_lines.jsonl:3: field \"dur_ns\": expected an unsigned integer"));

  auto skipped = run("summary --skip-bad " + quoted(data("bad_lines.jsonl")));
  CHECK(skipped.status == 0);
  CHECK(contains(skipped.output, "skipped 20 malformed lines"));

  auto schema = run("summary " + quoted(data("schema2.jsonl")));
  CHECK(schema.status == 2);
  CHECK(contains(schema.output, "schema 2 is newer than this spanlog understands"));

  CHECK(run("check " + quoted(data("basic")) + " --rule 'dropped == 0'").status == 1);
  CHECK(run("check " + quoted(data("basic")) + " --rule 'count(*) == 7'").status == 0);
  auto rule = run("check " + quoted(data("basic")) + " --rule 'p99(x) <'");
  CHECK(rule.status == 2);
  CHECK(contains(rule.output, "rule 'p99(x) <': expected a number after the comparison"));

  CHECK(run("doctor " + quoted(data("crashed"))).status == 1);
  CHECK(run("diff " + quoted(data("basic")) + " " + quoted(data("basic")) + " --fail-above 10%").status == 0);
  CHECK(run("summary /nonexistent/run").status == 2);
  CHECK(run("no-such-command").status == 2);
  CHECK(run("--help").status == 0);
}

TEST_CASE("a crash record whose reason is not a string is bad input: status 2, naming the line and field") {
  reader_test::TempDir dir;
  reader_test::write_text(dir / "telemetry.jsonl",
                          R"({"event":"header","schema":1,"schema_minor":1,"run_id":"r","start_ts":1})"
                          "\n"
                          R"({"event":"crash","signal":6,"name":"SIGABRT","reason":7,"tid":1,"ts":2})"
                          "\n");
  const auto summary = run("summary --no-write " + quoted(dir / "telemetry.jsonl"));
  CHECK(summary.status == 2);
  CHECK(contains(summary.output, "telemetry.jsonl:2: field \"reason\": expected a string"));
  // doctor lists the line among the malformed ones: a problem, status 1.
  const auto doctor = run("doctor " + quoted(dir / "telemetry.jsonl"));
  CHECK(doctor.status == 1);
  CHECK(contains(doctor.output, "telemetry.jsonl:2: field \"reason\": expected a string"));
}

TEST_CASE("--version names the version include/spanlog/config.hpp defines, its one source") {
  std::ifstream config(data("../../include/spanlog/config.hpp"));
  REQUIRE(config.good());
  const std::string text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
  const std::string marker = "#define SPANLOG_VERSION_STRING \"";
  const auto at = text.find(marker);
  REQUIRE(at != std::string::npos);
  const std::string version =
      text.substr(at + marker.size(), text.find('"', at + marker.size()) - at - marker.size());
  CHECK(version.find('.') != std::string::npos);
  const auto result = run("--version");
  CHECK(result.status == 0);
  CHECK(contains(result.output, "spanlog " + version + " ("));
}

TEST_CASE("logs: the lines of a run, filtered; a bad log line is status 2 naming the file, line and field") {
  const auto errors = run("logs " + quoted(data("logs")) + " --level error");
  CHECK(errors.status == 0);
  CHECK(errors.output ==
        "    0.006000  error  worker-1      fetch             fetch failed: timeout\n"
        "    0.008500  error  main          -                 shutting down after 1 error\n");
  const auto json = run("logs " + quoted(data("logs")) + " --json --span request");
  CHECK(json.status == 0);
  CHECK(contains(json.output, R"("span":"request","msg":"request started for /users")"));
  CHECK(run("logs " + quoted(data("logs")) + " --level loud").status == 2);

  reader_test::TempDir dir;
  reader_test::write_text(
      dir / "telemetry.jsonl",
      R"({"event":"header","schema":1,"schema_minor":6,"run_id":"r","start_ts":1})"
      "\n"
      R"({"event":"log","level":"warn","tid":1,"ts":2,"msg":"m","site":{"file":"a.cpp","line":"88"}})"
      "\n");
  const auto bad = run("logs " + quoted(dir / "telemetry.jsonl"));
  CHECK(bad.status == 2);
  CHECK(
      contains(bad.output, "telemetry.jsonl:2: field \"site\": expected \"line\" to be an unsigned integer"));
  CHECK(run("logs --skip-bad " + quoted(dir / "telemetry.jsonl")).status == 0);
}
