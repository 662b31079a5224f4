// `spanlog otlp --logs`: a run's log lines as OTLP/JSON LogsData (tools/export/otlp_logs.hpp), on the
// hand-written run in tests/data/logs: each field of a record, the resource and the trace and span ids the
// traces export gives the same run, the command's files and usage errors, and the OTLP protobuf schema's
// verdict (tests/exporters/check-otlp.sh, as exporters_check judges the traces) on the file and on broken
// copies of it.
#include "support/broken_copy.hpp"  // first: it sets the warnings <regex> needs

#include <simdjson.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "export/otlp_json.hpp"
#include "export/otlp_logs.hpp"
#include "export/otlp_traces.hpp"
#include "support/process.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::contains;
namespace dom = simdjson::dom;
namespace fs = std::filesystem;

namespace {

fs::path logs_run() {
  return reader_test::data("logs") / "telemetry.jsonl";
}

std::string otlp_logs_of(const fs::path& file, exporters::OtlpLogsReport* report = nullptr) {
  const exporters::RunContext context = exporters::scan_run(file, {});
  std::ostringstream out;
  const exporters::OtlpLogsReport written = exporters::write_otlp_logs(context, file, out, {});
  if (report != nullptr) *report = written;
  return out.str();
}

std::string otlp_traces_of(const fs::path& file) {
  const exporters::RunContext context = exporters::scan_run(file, {});
  std::ostringstream out;
  exporters::write_otlp_traces(context, file, out, {});
  return out.str();
}

std::string text_of(dom::element e) {
  std::string_view s;
  REQUIRE(e.get(s) == simdjson::SUCCESS);
  return std::string(s);
}

// The one resource of an OTLP/JSON document and its scope (minified), and its items, each minified, in order.
struct OtlpDocument {
  std::string resource, scope;
  std::vector<std::string> items;
};

OtlpDocument document_of(const std::string& text, const char* top, const char* scopes, const char* items) {
  REQUIRE_MESSAGE(std::count(text.begin(), text.end(), '\n') == 1, "one line expected:\n" << text);
  dom::parser parser;
  dom::element root;
  REQUIRE_MESSAGE(parser.parse(text).get(root) == simdjson::SUCCESS, text);
  dom::array resources = root[top].get_array();
  REQUIRE(resources.size() == 1);
  OtlpDocument document;
  document.resource = simdjson::minify(resources.at(0)["resource"]);
  dom::array scope_list = resources.at(0)[scopes].get_array();
  REQUIRE(scope_list.size() == 1);
  document.scope = simdjson::minify(scope_list.at(0)["scope"]);
  for (dom::element item : scope_list.at(0)[items].get_array())
    document.items.push_back(simdjson::minify(item));
  return document;
}

OtlpDocument logs_document(const std::string& text) {
  return document_of(text, "resourceLogs", "scopeLogs", "logRecords");
}

// A record's field as text (a string field's value, else its JSON).
std::string field_of(const std::string& record, const char* name) {
  dom::parser parser;
  dom::element value;
  if (parser.parse(record)[name].get(value) != simdjson::SUCCESS) return "(absent)";
  return value.is_string() ? text_of(value) : simdjson::minify(value);
}

std::string shell_quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

using test_support::replace_first;

}  // namespace

TEST_CASE(
    "otlp logs: levels map to the first SeverityNumber of their range in the OpenTelemetry data model") {
  CHECK(exporters::severity_number(reader::LogLevel::trace) == 1);
  CHECK(exporters::severity_number(reader::LogLevel::debug) == 5);
  CHECK(exporters::severity_number(reader::LogLevel::info) == 9);
  CHECK(exporters::severity_number(reader::LogLevel::warn) == 13);
  CHECK(exporters::severity_number(reader::LogLevel::error) == 17);
}

TEST_CASE(
    "otlp logs: every log line a logRecord with its time, severity, message, arguments, site and thread") {
  exporters::OtlpLogsReport report;
  const OtlpDocument logs = logs_document(otlp_logs_of(logs_run(), &report));
  CHECK(report.log_records == 8);
  CHECK(report.outside_spans == 3);
  REQUIRE(logs.items.size() == 8);
  const std::string trace = exporters::otlp::trace_id("logs-1");
  // The file's order; the second line of the file, logged on thread 10 inside span 101.
  CHECK(
      logs.items[1] ==
      R"({"timeUnixNano":"1795459260005000000","observedTimeUnixNano":"1795459260005000000",)"
      R"("severityNumber":13,"severityText":"warn","body":{"stringValue":"retrying https://example.com after 3 ms"},)"
      R"("attributes":[{"key":"url","value":{"stringValue":"https://example.com"}},)"
      R"({"key":"ms","value":{"doubleValue":3}},{"key":"code.filepath","value":{"stringValue":"src/fetch.cpp"}},)"
      R"({"key":"code.lineno","value":{"intValue":"88"}},{"key":"thread.id","value":{"intValue":"10"}},)"
      R"({"key":"thread.name","value":{"stringValue":"main"}}],)"
      R"("traceId":")" +
          trace + R"(","spanId":"0000000000000065"})");
  const std::vector<std::string> levels = {"info",  "warn",  "debug", "warn",
                                           "error", "trace", "warn",  "error"};
  const std::vector<std::string> numbers = {"9", "13", "5", "13", "17", "1", "13", "17"};
  for (std::size_t i = 0; i < logs.items.size(); ++i) {
    INFO(logs.items[i]);
    CHECK(field_of(logs.items[i], "severityText") == levels[i]);
    CHECK(field_of(logs.items[i], "severityNumber") == numbers[i]);
    CHECK(field_of(logs.items[i], "timeUnixNano") == field_of(logs.items[i], "observedTimeUnixNano"));
  }
  // Logged outside every span: neither a trace nor a span id. A thread without a name: no thread.name.
  CHECK(field_of(logs.items[2], "body") == R"({"stringValue":"worker ready"})");
  CHECK(field_of(logs.items[2], "traceId") == "(absent)");
  CHECK(field_of(logs.items[2], "spanId") == "(absent)");
  CHECK(field_of(logs.items[5], "attributes") ==
        R"([{"key":"code.filepath","value":{"stringValue":"src/timer.cpp"}},)"
        R"({"key":"code.lineno","value":{"intValue":"3"}},{"key":"thread.id","value":{"intValue":"12"}}])");
}

TEST_CASE("otlp logs: the traces export's resource, trace id and span ids for the same run") {
  const OtlpDocument logs = logs_document(otlp_logs_of(logs_run()));
  const OtlpDocument traces = document_of(otlp_traces_of(logs_run()), "resourceSpans", "scopeSpans", "spans");
  CHECK(logs.resource == traces.resource);
  CHECK(logs.scope == traces.scope);
  CHECK(logs.scope == R"({"name":"spanlog","version":"0.1.0"})");
  CHECK(contains(logs.resource, R"({"key":"service.instance.id","value":{"stringValue":"logs-1"}})"));
  // Each span's id and name in the traces; each log line inside a span names one of them, or a span the run
  // never wrote (thread 12's 300), under the traces' one trace id.
  std::map<std::string, std::string> span_names;
  std::string trace;
  for (const std::string& span : traces.items) {
    span_names[field_of(span, "spanId")] = field_of(span, "name");
    trace = field_of(span, "traceId");
  }
  REQUIRE(span_names.size() == 3);
  std::vector<std::string> spans_named;
  for (const std::string& record : logs.items) {
    const std::string span = field_of(record, "spanId");
    if (span == "(absent)") continue;
    CHECK(field_of(record, "traceId") == trace);
    const auto found = span_names.find(span);
    spans_named.push_back(found == span_names.end() ? span : found->second);
  }
  CHECK(spans_named == std::vector<std::string>{"request", "fetch", "fetch", "fetch", "000000000000012c"});
}

TEST_CASE("otlp logs: an argument named like an attribute the exporter writes gives way to it") {
  reader_test::TempDir dir;
  const fs::path run = dir / "telemetry.jsonl";
  reader_test::write_text(
      run,
      R"({"event":"header","schema":1,"schema_minor":6,"run_id":"clash","pid":1,"host":"h","start_ts":1000})"
      "\n"
      R"({"event":"log","level":"info","tid":7,"ts":2000,"msg":"m","attrs":{"thread.id":"mine","code.lineno":1,"n":2},)"
      R"("site":{"file":"a.cpp","line":9}})"
      "\n");
  const OtlpDocument logs = logs_document(otlp_logs_of(run));
  REQUIRE(logs.items.size() == 1);
  CHECK(field_of(logs.items[0], "attributes") ==
        R"([{"key":"n","value":{"intValue":"2"}},{"key":"code.filepath","value":{"stringValue":"a.cpp"}},)"
        R"({"key":"code.lineno","value":{"intValue":"9"}},{"key":"thread.id","value":{"intValue":"7"}}])");
}

TEST_CASE("otlp --logs: the log file beside the traces; one file named twice is a usage error") {
  reader_test::TempDir dir;
  const std::string run = shell_quoted(reader_test::data("logs"));
  const fs::path traces = dir / "traces.jsonl", logs = dir / "logs.jsonl";
  const test_support::CommandResult written = test_support::run_spanlog(
      "otlp " + run + " -o " + shell_quoted(traces) + " --logs " + shell_quoted(logs));
  INFO(written.output);
  CHECK(written.status == 0);
  CHECK(contains(written.output, logs.string() + ": 8 log records (3 outside every span)"));
  CHECK(reader_test::read_text(logs) == otlp_logs_of(reader_test::data("logs") / "telemetry.jsonl"));
  CHECK(reader_test::read_text(traces) == otlp_traces_of(reader_test::data("logs") / "telemetry.jsonl"));

  const fs::path other = dir / "other.jsonl";
  for (const std::string& arguments :
       std::vector<std::string>{" -o " + shell_quoted(other) + " --logs " + shell_quoted(other), " --logs -",
                                " -o " + shell_quoted(traces) + " --metrics " + shell_quoted(other) +
                                    " --logs " + shell_quoted(other)}) {
    const test_support::CommandResult clash = test_support::run_spanlog("otlp " + run + arguments);
    INFO(arguments << "\n" << clash.output);
    CHECK(clash.status == 2);
    CHECK(contains(clash.output, "go to different files"));
  }
  CHECK_FALSE(fs::exists(other));
}

TEST_CASE("otlp logs: the LogsData round-trips through the OTLP protobuf schema; broken copies do not") {
  const fs::path checks = test_support::env("SPANLOG_EXPORTER_CHECKS");
  const std::string check = shell_quoted(checks / "check-otlp.sh") + " logs ";
  const test_support::CommandResult node = test_support::try_run(
      "node -e \"require.resolve('@opentelemetry/otlp-transformer/build/src/generated/root.js', {paths: ['" +
      checks.string() + "']})\"");
  REQUIRE_MESSAGE(node.status == 0,
                  "the schema checker cannot run (install nodejs and run npm ci --prefix "
                  "tests/exporters, as scripts/test.sh does):\n"
                      << node.output);
  reader_test::TempDir dir;
  const std::string text = otlp_logs_of(logs_run());
  const fs::path good = dir / "logs.jsonl";
  reader_test::write_text(good, text);
  const test_support::CommandResult accepted = test_support::try_run(check + shell_quoted(good));
  INFO(accepted.output);
  CHECK(accepted.status == 0);
  CHECK(contains(accepted.output, "ok: 1 lines, 8 log records"));

  struct Broken {
    std::string name, pattern, with, reason;
  };
  const Broken broken[] = {
      {"misnamed", "\"observedTimeUnixNano\"", "\"observedTimestamp\"",
       "observedTimestamp: unknown or misnamed field"},
      {"number-time", "\"timeUnixNano\":\"([0-9]+)\"", "\"timeUnixNano\":1795459260002000000",
       "timeUnixNano"},
      {"enum-name", "\"severityNumber\":9", "\"severityNumber\":\"SEVERITY_NUMBER_INFO\"",
       "severityNumber: \"SEVERITY_NUMBER_INFO\" (string) came back as 9"},
      {"base64-id", "\"traceId\":\"[0-9a-f]+\"", "\"traceId\":\"AAECAwQFBgcICQoLDA0ODw==\"",
       "traceId: expected 32 hex digits"},
      {"no-severity", "\"severityNumber\":9,", "", "severityNumber must be an integer from 1 to 24"},
  };
  for (const Broken& copy : broken) {
    const fs::path file = dir / (copy.name + ".jsonl");
    reader_test::write_text(file, replace_first(text, copy.pattern, copy.with));
    const test_support::CommandResult rejected = test_support::try_run(check + shell_quoted(file));
    INFO(copy.name << "\n" << rejected.output);
    CHECK(rejected.status == 1);
    CHECK(contains(rejected.output, copy.reason));
  }
}
