// The exports of a real run judged by clients nobody here wrote: promtool (Prometheus), the OpenTelemetry
// protobuf schema as compiled by opentelemetry-js, and the trace engine of Chrome DevTools, plus jq. Each
// checker (tests/exporters/) must accept spanlog's file and reject a deliberately broken copy of it, so that
// a pass means something. A missing tool fails the test with what to install: it never passes silently.
#include "support/broken_copy.hpp"  // first: it sets the warnings <regex> needs

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

std::string shell_quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

test_support::CommandResult run(const std::string& command) {
  return test_support::try_run(command);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

fs::path checks_dir() {
  return test_support::env("SPANLOG_EXPORTER_CHECKS");
}

std::string spanlog() {
  return shell_quoted(test_support::env("SPANLOG_BIN"));
}

// The tools every checker needs, each with how to get it. Fails the calling test when one is missing.
void require_checker_tools() {
  struct Tool {
    std::string probe, remedy;
  };
  const Tool tools[] = {
      {"promtool --version", "install Debian's prometheus package (scripts/install-deps.sh)"},
      {"jq --version", "install jq (scripts/install-deps.sh)"},
      {"node --version", "install nodejs (scripts/install-deps.sh)"},
      {"node -e \"require.resolve('@opentelemetry/otlp-transformer/build/src/generated/root.js', {paths: ['" +
           checks_dir().string() + "']}); require.resolve('@paulirish/trace_engine', {paths: ['" +
           checks_dir().string() + "']})\"",
       "the checkers' npm packages are missing: run npm ci --prefix tests/exporters (scripts/test.sh does)"},
  };
  for (const Tool& tool : tools) {
    const test_support::CommandResult probe = run(tool.probe);
    REQUIRE_MESSAGE(probe.status == 0, "a checker cannot run: `" << tool.probe << "` failed: " << tool.remedy
                                                                 << "\n"
                                                                 << probe.output);
  }
}

// One run of the pipeline example (24 items, 3 workers), recorded once for all the tests of this program.
class PipelineRun {
 public:
  static const PipelineRun& get() {
    static const PipelineRun run;
    return run;
  }
  ~PipelineRun() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const fs::path& dir() const { return dir_; }
  fs::path telemetry() const { return dir_ / "latest" / "telemetry.jsonl"; }
  fs::path output(const std::string& name) const { return dir_ / name; }

 private:
  PipelineRun() {
    dir_ = test_support::new_temp_dir("spanlog-exporters");
    // SPANLOG_OTLP=on: the recorder's live OTLP file too, judged like spanlog's own export.
    const test_support::CommandResult recorded =
        run("SPANLOG_OTLP=on SPANLOG_DIR=" + shell_quoted(dir_) + " " +
            shell_quoted(test_support::env("SPANLOG_PIPELINE_BIN")) + " 24 3");
    REQUIRE_MESSAGE(recorded.status == 0, recorded.output);
    REQUIRE(fs::exists(telemetry()));
  }
  fs::path dir_;
};

// A check that must pass: status 0 and "ok" in what it printed.
void check_accepts(const std::string& command) {
  const test_support::CommandResult verdict = run(command);
  INFO(command << "\n" << verdict.output);
  CHECK(verdict.status == 0);
  CHECK(verdict.output.find("ok: ") != std::string::npos);
}

// A check that must reject: status 1 (not 2, a missing tool) and the reason expected.
void check_rejects(const std::string& command, const std::string& reason) {
  const test_support::CommandResult verdict = run(command);
  INFO(command << "\n" << verdict.output);
  CHECK(verdict.status == 1);
  CHECK_MESSAGE(verdict.output.find(reason) != std::string::npos, "expected the reason: " << reason);
}

using test_support::replace_first;

// What the run holds, counted by jq from telemetry.jsonl: independent of the exporters' own reading.
std::string jq_of_run(const std::string& filter) {
  const test_support::CommandResult counted =
      run("jq -rs " + shell_quoted(filter) + " " + shell_quoted(PipelineRun::get().telemetry()));
  REQUIRE_MESSAGE(counted.status == 0, counted.output);
  std::string text = counted.output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("prometheus: promtool check metrics passes without a lint problem, and rejects broken files") {
  require_checker_tools();
  const PipelineRun& pipeline = PipelineRun::get();
  const fs::path good = pipeline.output("metrics.prom");
  const test_support::CommandResult exported =
      run(spanlog() + " prom " + shell_quoted(pipeline.dir() / "latest") + " -o " + shell_quoted(good));
  REQUIRE_MESSAGE(exported.status == 0, exported.output);
  const std::string check = shell_quoted(checks_dir() / "check-prom.sh") + " ";
  check_accepts(check + shell_quoted(good));

  const std::string text = read_text(good);
  const fs::path no_help = pipeline.output("no-help.prom");
  write_text(no_help, replace_first(text, "# HELP spanlog_tokens_total [^\n]*\n", ""));
  check_rejects(check + shell_quoted(no_help), "no help text");

  const fs::path counter_suffix = pipeline.output("counter-suffix.prom");
  write_text(counter_suffix, std::regex_replace(text, std::regex("spanlog_tokens_total"), "spanlog_tokens"));
  check_rejects(check + shell_quoted(counter_suffix), "counter metrics should have \"_total\" suffix");

  const fs::path unparsable = pipeline.output("unparsable.prom");
  write_text(unparsable, replace_first(text, "le=\"\\+Inf\"", "le=+Inf"));
  check_rejects(check + shell_quoted(unparsable), "promtool check metrics");
}

TEST_CASE("otlp: every traces and metrics line round-trips through the protobuf schema; broken ones do not") {
  require_checker_tools();
  const PipelineRun& pipeline = PipelineRun::get();
  const fs::path traces = pipeline.output("traces.jsonl"), metrics = pipeline.output("metrics.jsonl");
  const test_support::CommandResult exported =
      run(spanlog() + " otlp " + shell_quoted(pipeline.dir() / "latest") + " --batch 40 -o " +
          shell_quoted(traces) + " --metrics " + shell_quoted(metrics));
  REQUIRE_MESSAGE(exported.status == 0, exported.output);
  const std::string check = shell_quoted(checks_dir() / "check-otlp.sh");

  // Every span of the run, in lines of at most 40.
  const std::string spans = jq_of_run(
      "([.[] | select(.event == \"span\" or .event == \"span_start\")] | length) + "
      "([.[] | select(.event == \"spans\") | .rows | length] | add // 0)");
  const test_support::CommandResult traces_verdict = run(check + " traces " + shell_quoted(traces));
  INFO(traces_verdict.output);
  CHECK(traces_verdict.status == 0);
  CHECK(traces_verdict.output.find(" lines, " + spans + " spans") != std::string::npos);
  check_accepts(check + " metrics " + shell_quoted(metrics));

  const std::string text = read_text(traces);
  const fs::path misnamed = pipeline.output("misnamed.jsonl");
  write_text(misnamed, replace_first(text, "\"parentSpanId\"", "\"parentSpanID\""));
  check_rejects(check + " traces " + shell_quoted(misnamed), "parentSpanID: unknown or misnamed field");

  const fs::path number_time = pipeline.output("number-time.jsonl");
  write_text(number_time, replace_first(text, "\"startTimeUnixNano\":\"([0-9]+)\"", [](const std::smatch& m) {
               return "\"startTimeUnixNano\":" + m[1].str();
             }));
  check_rejects(check + " traces " + shell_quoted(number_time), "startTimeUnixNano");

  const fs::path base64_id = pipeline.output("base64-id.jsonl");
  write_text(base64_id,
             replace_first(text, "\"traceId\":\"[0-9a-f]+\"", "\"traceId\":\"AAECAwQFBgcICQoLDA0ODw==\""));
  check_rejects(check + " traces " + shell_quoted(base64_id), "traceId: expected 32 hex digits");

  const fs::path enum_name = pipeline.output("enum-name.jsonl");
  write_text(enum_name, replace_first(text, "\"kind\":1", "\"kind\":\"internal\""));
  check_rejects(check + " traces " + shell_quoted(enum_name), "kind: \"internal\" (string) came back as 0");

  const fs::path metrics_misnamed = pipeline.output("metrics-misnamed.jsonl");
  write_text(metrics_misnamed, replace_first(read_text(metrics), "\"isMonotonic\"", "\"monotonic\""));
  check_rejects(check + " metrics " + shell_quoted(metrics_misnamed), "monotonic: unknown or misnamed field");
}

TEST_CASE(
    "otlp: the recorder's live file passes the same check, under the trace id spanlog otlp gives the run") {
  require_checker_tools();
  const PipelineRun& pipeline = PipelineRun::get();
  const fs::path live = pipeline.dir() / "latest" / "traces.otlp.jsonl";
  REQUIRE_MESSAGE(fs::exists(live), "SPANLOG_OTLP=on wrote no " << live);
  check_accepts(shell_quoted(checks_dir() / "check-otlp.sh") + " traces " + shell_quoted(live));

  const fs::path exported = pipeline.output("traces-for-ids.jsonl");
  const test_support::CommandResult written =
      run(spanlog() + " otlp " + shell_quoted(pipeline.dir() / "latest") + " -o " + shell_quoted(exported));
  REQUIRE_MESSAGE(written.status == 0, written.output);
  const auto trace_ids = [](const fs::path& file) {
    const test_support::CommandResult ids =
        run("jq -r '.resourceSpans[].scopeSpans[].spans[].traceId' " + shell_quoted(file) + " | sort -u");
    REQUIRE_MESSAGE(ids.status == 0, ids.output);
    return ids.output;
  };
  const std::string ids = trace_ids(exported);
  CHECK(ids.size() == 33);  // one id: 32 hex digits and a newline
  CHECK(trace_ids(live) == ids);
}

TEST_CASE(
    "chrome: jq finds ph, ts, pid, tid everywhere; the DevTools trace engine finds threads and slices") {
  require_checker_tools();
  const PipelineRun& pipeline = PipelineRun::get();
  const fs::path good = pipeline.output("trace.json");
  const test_support::CommandResult exported =
      run(spanlog() + " chrome " + shell_quoted(pipeline.dir() / "latest") + " -o " + shell_quoted(good));
  REQUIRE_MESSAGE(exported.status == 0, exported.output);

  // The slices the engine must find: every span that is not async; the threads: each one's last name.
  const std::string slices = jq_of_run(
      "([.[] | select((.event == \"span\" or .event == \"span_start\") and .async != true)] | length) + "
      "([.[] | select(.event == \"spans\") | .rows | length] | add // 0)");
  const std::string threads = jq_of_run(
      "[.[] | select(.event == \"thread\" and .name)] | group_by(.tid) | map(last.name) | unique | "
      "join(\",\")");
  CHECK(threads.find("worker-2") != std::string::npos);
  const std::string check = shell_quoted(checks_dir() / "check-chrome.sh") + " ";
  const std::string expect = " --threads " + shell_quoted(threads) + " --slices " + slices;
  check_accepts(check + shell_quoted(good) + expect);

  const std::string text = read_text(good);
  const fs::path no_ts = pipeline.output("no-ts.json");
  write_text(no_ts, replace_first(text, "(\"ph\":\"X\"[^\n]*),\"ts\":[0-9.]+",
                                  [](const std::smatch& m) { return m[1].str(); }));
  check_rejects(check + shell_quoted(no_ts) + expect, "events without all of ph, ts, pid, tid");

  const fs::path lost_slices = pipeline.output("lost-slices.json");
  write_text(lost_slices,
             std::regex_replace(
                 text, std::regex(",\\{\"ph\":\"X\",\"cat\":\"span\",\"name\":\"tool.call\"[^\n]*\n"), ""));
  check_rejects(check + shell_quoted(lost_slices) + expect, "slices on threads, expected " + slices);

  const fs::path renamed_thread = pipeline.output("renamed-thread.json");
  write_text(renamed_thread,
             replace_first(text, "\"args\":\\{\"name\":\"worker-2\"\\}", "\"args\":{\"name\":\"w2\"}"));
  check_rejects(check + shell_quoted(renamed_thread) + expect, "did not find a thread named \"worker-2\"");

  const fs::path misnested = pipeline.output("misnested.json");
  write_text(misnested, replace_first(text, "(\"name\":\"tool.call\"[^\n]*\"dur\":)[0-9.]+",
                                      [](const std::smatch& m) { return m[1].str() + "999999999.000"; }));
  check_rejects(check + shell_quoted(misnested) + expect, "overlaps the end of the slice around it");

  const fs::path truncated = pipeline.output("truncated.json");
  write_text(truncated, text.substr(0, text.size() / 2));
  check_rejects(check + shell_quoted(truncated) + expect, "not a JSON object");
}
