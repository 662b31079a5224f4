// The `spans` record (schema 1.3): many complete spans of one thread as rows of one line. The parser hands
// out one SpanRecord per row, exactly the `span` line the row stands for; a bad row names its line, row,
// column and what was wrong. A run written with rows and the same run written as `span` lines read the same
// in every command (tests/data/span_rows: rows.jsonl is lines.jsonl with runs of plain spans folded into
// rows).
#include <sys/wait.h>

#include <algorithm>
#include <vector>

#include <simdjson.h>

#include "reader/jsonl_reader.hpp"
#include "support/process.hpp"
#include "support/reader_support.hpp"

using namespace spanlog::reader;
using reader_test::contains;
using reader_test::data;

namespace {

constexpr const char* kHeader =
    R"({"event":"header","schema":1,"schema_minor":3,"version":"0.1.0","run_id":"r","pid":1,"process":"p",)"
    R"("host":"h","start_ts":1795459260000000000})"
    "\n";

struct Span {
  std::uint64_t span_id = 0;
  std::optional<std::uint64_t> parent;
  std::string name;
  std::uint64_t tid = 0, ts = 0, dur_ns = 0;
  bool error = false, is_phase = false, is_async = false;
  std::optional<std::uint64_t> end_tid;
  std::vector<std::pair<std::string, std::string>> attrs;  // key, value as text
  std::uint64_t line = 0;
  bool operator==(const Span&) const = default;
};

std::string text_of(const AttrValue& v) {
  switch (v.type) {
    case AttrValue::Type::number:
      return v.number.is_integer ? std::to_string(v.number.as_integer) : std::to_string(v.number.as_double);
    case AttrValue::Type::string:
      return "'" + std::string(v.string) + "'";
    case AttrValue::Type::boolean:
      return v.boolean ? "true" : "false";
    default:
      return "null";
  }
}

struct SpanSink : RecordSink {
  std::vector<Span> spans;
  int others = 0;
  void on_span(const SpanRecord& r, std::uint64_t line) override {
    Span s{r.span_id, r.parent,   std::string(r.name), r.tid,     r.ts, r.dur_ns,
           r.error,   r.is_phase, r.is_async,          r.end_tid, {},   line};
    for (const Attr& a : r.attrs) s.attrs.emplace_back(std::string(a.key), text_of(a.value));
    spans.push_back(std::move(s));
  }
  void on_instant(const InstantRecord&, std::uint64_t) override { ++others; }
  void on_counter(const CounterRecord&, std::uint64_t) override { ++others; }
};

struct Read {
  SpanSink sink;
  ReadReport report;
  std::string error;
};

Read read_text(const std::string& text, ReadOptions options = {}) {
  Read read;
  JsonlReader reader("run/telemetry.jsonl", read.sink, options);
  try {
    reader.feed(text);
    reader.finish();
  } catch (const ReadError& e) {
    read.error = e.what();
  }
  read.report = reader.report();
  return read;
}

constexpr std::uint64_t kTs = 1795459260001000000, kBase = 1099511627776;

// Every run of digits that `before` precedes and `after` follows becomes N (no std::regex: g++ 12 under
// ASan reports its internals as maybe-uninitialized).
std::string numbers_hidden(std::string text, const std::string& before, const std::string& after) {
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = at + before.size();
    if (text.compare(at, before.size(), before) == 0 && end < text.size() && is_digit(text[end])) {
      while (end < text.size() && is_digit(text[end])) ++end;
      if (text.compare(end, after.size(), after) == 0) {
        out += before + "N";
        at = end;
        continue;
      }
    }
    out += text[at++];
  }
  return out;
}

std::string normalised(std::string text, const std::string& file) {
  for (std::size_t at; (at = text.find(file)) != std::string::npos;) text.replace(at, file.size(), "RUN");
  // The records a run holds count its lines: fewer in the file written with rows.
  text = numbers_hidden(text, "\"records\":", "");
  // "<digits> records": the digits follow a space or start the text.
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = at;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    const bool starts_word = at == 0 || text[at - 1] < '0' || text[at - 1] > '9';
    if (end > at && starts_word && text.compare(end, 8, " records") == 0) {
      out += "N";
      at = end;
    } else {
      out += text[at++];
    }
  }
  return out;
}

std::string run_cli(const std::string& arguments) {
  return test_support::run(test_support::env("SPANLOG_BIN") + " " + arguments);
}

}  // namespace

TEST_CASE("a spans record gives one span per row, in row order, as the span line each row stands for") {
  const Read read = read_text(
      std::string(kHeader) +
      R"({"event":"spans","tid":4243,"ts":1795459260001000000,"id_base":1099511627776,)"
      R"("fields":["name","span_id","parent","ts","dur_ns","attrs"],)"
      R"("rows":[["parse",2,1,0,1520,{"bytes":4096}],["load",3,1,1700,880],["request",1,null,-300,5000]]})"
      "\n"
      R"({"event":"span","span_id":1099511627778,"parent":1099511627777,"name":"parse","tid":4243,)"
      R"("ts":1795459260001000000,"dur_ns":1520,"status":"ok","attrs":{"bytes":4096}})"
      "\n");
  REQUIRE(read.error == "");
  REQUIRE(read.sink.spans.size() == 4);
  const auto& s = read.sink.spans;
  CHECK(
      s[0] ==
      Span{kBase + 2, kBase + 1, "parse", 4243, kTs, 1520, false, false, false, {}, {{"bytes", "4096"}}, 2});
  CHECK(s[1] == Span{kBase + 3, kBase + 1, "load", 4243, kTs + 1700, 880, false, false, false, {}, {}, 2});
  CHECK(s[2] ==
        Span{kBase + 1, std::nullopt, "request", 4243, kTs - 300, 5000, false, false, false, {}, {}, 2});
  // The first row is exactly the span line written for it.
  Span as_line = s[3];
  as_line.line = 2;
  CHECK(s[0] == as_line);
  // One line, one record: the rows do not count as lines.
  CHECK(read.report.lines == 3);
  CHECK(read.report.records == 3);
}

TEST_CASE(
    "a spans record's columns are found by name: any order, unknown ones skipped, trailing ones left out") {
  const Read read = read_text(
      std::string(kHeader) +
      R"({"rows":[[-1000,9000,"idle",1,[3,"x"]],[0,1000,"tick",2,{"core":7},1,{"k":"v"}],[5,6,"solo",3]],)"
      R"("event":"spans","fields":["ts","dur_ns","name","span_id","cpu","parent","attrs"],)"
      R"("id_base":0,"tid":7,"ts":1795459260001000000})"
      "\n"
      R"({"event":"spans","tid":7,"ts":5,"id_base":10,"fields":["name","span_id","ts","dur_ns"],"rows":[]})"
      "\n"
      R"({"event":"spans","tid":8,"ts":5,"id_base":10,"fields":["span_id","dur_ns","ts","name"],"rows":[[0,1,-5,"z"]]})"
      "\n");
  REQUIRE(read.error == "");
  REQUIRE(read.sink.spans.size() == 4);
  const auto& s = read.sink.spans;
  CHECK(s[0] == Span{1, std::nullopt, "idle", 7, kTs - 1000, 9000, false, false, false, {}, {}, 2});
  CHECK(s[1] == Span{2, 1, "tick", 7, kTs, 1000, false, false, false, {}, {{"k", "'v'"}}, 2});
  CHECK(s[2] == Span{3, std::nullopt, "solo", 7, kTs + 5, 6, false, false, false, {}, {}, 2});
  // A record without rows holds no span; an offset may take a span back to time 0.
  CHECK(s[3] == Span{10, std::nullopt, "z", 8, 0, 1, false, false, false, {}, {}, 4});
  CHECK(read.report.records == 4);
}

TEST_CASE("a spans record read without attributes, on two threads and in small chunks gives the same spans") {
  const std::string text = reader_test::read_text(data("span_rows/rows.jsonl"));
  const Read whole = read_text(text);
  REQUIRE(whole.error == "");
  CHECK(whole.sink.spans.size() == 49);
  for (const std::size_t chunk : {std::size_t{4096}, std::size_t{200}}) {
    ReadOptions options;
    options.chunk_bytes = chunk;
    const Read pieces = read_text(text, options);
    CHECK(pieces.sink.spans == whole.sink.spans);
  }
  SpanSink parallel;
  ReadOptions two;
  two.threads = 2;
  two.chunk_bytes = 4096;
  read_file(data("span_rows/rows.jsonl"), parallel, two);
  CHECK(parallel.spans == whole.sink.spans);
}

TEST_CASE("a malformed spans record is an error naming the file, line, row, column and what was wrong") {
  auto error_of = [](const std::string& record) {
    return read_text(std::string(kHeader) + record + "\n").error;
  };
  const std::string start = R"({"event":"spans","tid":1,"ts":100,"id_base":10,)";
  const std::string fields = R"("fields":["name","span_id","parent","ts","dur_ns","attrs"],)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {start + fields + R"("rows":[["a",1,null,0,5],["b",2,1,0,5],["c",3,1,0,5],["d",4,1,0,"x"]]})",
       "rows[3][4] (dur_ns): expected an unsigned integer"},
      {start + fields + R"("rows":[["a",1,null,0.5,5]]})", "rows[0][3] (ts): expected an integer"},
      {start + fields + R"("rows":[[7,1,null,0,5]]})", "rows[0][0] (name): expected a string"},
      {start + fields + R"("rows":[["a",-1,null,0,5]]})",
       "rows[0][1] (span_id): expected an unsigned integer"},
      {start + fields + R"("rows":[["a",1,"p",0,5]]})",
       "rows[0][2] (parent): expected an unsigned integer or null"},
      {start + fields + R"("rows":[["a",1,null,0,5,[1]]]})", "rows[0][5] (attrs): expected an object"},
      {start + fields + R"("rows":[["a",1,null,0,5,{},9]]})", "rows[0]: more values than the 6 fields"},
      {start + fields + R"("rows":[["a",1,null,0]]})", "rows[0]: 4 values, without \"dur_ns\""},
      {start + fields + R"("rows":[["a",1,null,-101,5]]})",
       "rows[0][3] (ts): the record's ts 100 + -101 is outside 0 to 2^64 - 1"},
      {start + fields + R"("rows":[["a",18446744073709551610,null,0,5]]})",
       "rows[0][1] (span_id): id_base + 18446744073709551610 is beyond 64 bits"},
      {start + fields + R"("rows":[1]})", "rows[0]: expected an array"},
      {start + fields + R"("rows":{}})", "field \"rows\": expected an array"},
      {start + fields + "\"x\":1}", "field \"rows\": missing"},
      {start + R"("fields":["name","span_id","ts"],"rows":[]})", "field \"fields\": \"dur_ns\" missing"},
      {start + R"("fields":["name","span_id","ts","dur_ns","name"],"rows":[]})",
       "field \"fields\": \"name\" twice"},
      {start + R"("fields":["name",2],"rows":[]})", "field \"fields\": fields[1]: expected a string"},
      {start + R"("fields":"name","rows":[]})", "field \"fields\": expected an array of strings"},
      {R"({"event":"spans","tid":1,"ts":100,"id_base":-1,)" + fields + R"("rows":[]})",
       "field \"id_base\": expected an unsigned integer"},
      {R"({"event":"spans","tid":1,"ts":100,)" + fields + R"("rows":[]})", "field \"id_base\": missing"},
      {R"({"event":"spans","ts":100,"id_base":1,)" + fields + R"("rows":[]})", "field \"tid\": missing"},
      {R"({"event":"spans","tid":"a","ts":100,"id_base":1,)" + fields + R"("rows":[]})",
       "field \"tid\": expected an unsigned integer"},
  };
  for (const auto& bad_case : cases) {
    const std::string& record = bad_case.first;
    INFO(record);
    CHECK(error_of(record) == "run/telemetry.jsonl:2: " + bad_case.second);
  }

  // With --skip-bad the bad line is skipped whole, and nothing else of the file is lost.
  ReadOptions skip;
  skip.skip_bad = true;
  const Read skipped =
      read_text(std::string(kHeader) + start + fields + R"("rows":[["a",1,null,0,5],["b",2,1,0,"x"]]})" +
                    "\n" + start + fields + R"("rows":[["c",1,null,0,5]]})" + "\n" +
                    R"({"event":"counter","name":"n","tid":1,"ts":5,"delta":1})" + "\n",
                skip);
  CHECK(skipped.error == "");
  CHECK(skipped.report.skipped_lines == 1);
  REQUIRE(skipped.sink.spans.size() == 1);
  CHECK(skipped.sink.spans[0].name == "c");
  CHECK(skipped.sink.spans[0].line == 3);
  CHECK(skipped.sink.others == 1);
  CHECK(skipped.report.records == 3);
}

TEST_CASE("the spanlog command stops at a bad row with status 2, naming the file, line and field") {
  reader_test::TempDir dir;
  const auto file = dir / "telemetry.jsonl";
  std::string text = reader_test::read_text(data("span_rows/rows.jsonl"));
  const std::string good = R"(["parse",4,2,1160,397])";
  const auto at = text.find(good);
  REQUIRE(at != std::string::npos);
  text.replace(at, good.size(), R"(["parse",4,2,1160,-397])");
  const std::uint64_t line =
      1 + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + at, '\n'));
  reader_test::write_text(file, text);
  const auto result =
      test_support::try_run(test_support::env("SPANLOG_BIN") + " summary --no-write '" + file.string() + "'");
  CHECK(result.status == 2);
  CHECK(contains(result.output, file.string() + ":" + std::to_string(line) +
                                    ": rows[1][4] (dur_ns): expected an unsigned integer"));
}

TEST_CASE("a run written with rows reads as the same run written as span lines, in every command") {
  const std::string lines = data("span_rows/lines.jsonl").string(),
                    rows = data("span_rows/rows.jsonl").string();
  // The fixtures are what they claim: the same spans, in fewer lines.
  const Read from_lines = read_text(reader_test::read_text(lines)),
             from_rows = read_text(reader_test::read_text(rows));
  REQUIRE(from_lines.error == "");
  REQUIRE(from_rows.error == "");
  CHECK(from_rows.report.lines < from_lines.report.lines);
  REQUIRE(from_rows.sink.spans.size() == from_lines.sink.spans.size());
  for (std::size_t i = 0; i < from_rows.sink.spans.size(); ++i) {
    Span a = from_lines.sink.spans[i], b = from_rows.sink.spans[i];
    a.line = b.line = 0;
    CHECK(a == b);
  }

  for (const std::string command :
       {"summary --json --no-write", "summary --no-write", "summary --json --no-write --by model",
        "check --rule 'p99(*) < 1ms' --rule 'count(parse) > 1' --rule 'errors(db.query) == 0'", "prom",
        "chrome -o -", "otlp -o -", "tail", "top --once"}) {
    INFO(command);
    const auto on_lines =
        test_support::try_run(test_support::env("SPANLOG_BIN") + " " + command + " '" + lines + "'");
    const auto on_rows =
        test_support::try_run(test_support::env("SPANLOG_BIN") + " " + command + " '" + rows + "'");
    CHECK(on_rows.status == on_lines.status);
    CHECK(normalised(on_rows.output, rows) == normalised(on_lines.output, lines));
    CHECK(on_rows.output.size() > 100);
  }
  // Against the same base, the run written with rows changes nothing; it is also no change from the other.
  const std::string bin = test_support::env("SPANLOG_BIN");
  const auto same = test_support::try_run(bin + " diff --json '" + lines + "' '" + lines + "'");
  const auto rows_diff = test_support::try_run(bin + " diff --json '" + lines + "' '" + rows + "'");
  CHECK(rows_diff.status == 0);
  CHECK(normalised(rows_diff.output, rows) == normalised(same.output, lines));
  // doctor names lines, which differ: all the rest is the same.
  auto doctor = [&](const std::string& file) {
    const auto result = test_support::try_run(bin + " doctor '" + file + "'");
    return std::to_string(result.status) + numbers_hidden(normalised(result.output, file), "line ", "");
  };
  CHECK(doctor(rows) == doctor(lines));
  // The report page embeds the spans as the reader saw them.
  reader_test::TempDir dir;
  for (const std::string& file : {lines, rows})
    run_cli("report '" + file + "' -o '" + (dir / (file == rows ? "rows.html" : "lines.html")).string() +
            "'");
  const std::string page_rows = reader_test::read_text(dir / "rows.html");
  CHECK(contains(page_rows, R"("event":"span","span_id":1099511627826,"name":"tick")"));
  CHECK(normalised(page_rows, rows) == normalised(reader_test::read_text(dir / "lines.html"), lines));
}

TEST_CASE("a run written with rows loads into the history as the same run written as span lines") {
  reader_test::TempDir dir;
  const std::string lines = data("span_rows/lines.jsonl").string(),
                    rows = data("span_rows/rows.jsonl").string();
  std::string loaded[2];
  int i = 0;
  for (const std::string& file : {lines, rows}) {
    // Two databases: a run is stored once, whichever file it comes from.
    const std::string one = " --db '" + (dir / ("history" + std::to_string(i) + ".sqlite")).string() + "'";
    run_cli("load '" + file + "'" + one);
    const std::string spans = run_cli("query --format csv" + one +
                                      " 'SELECT span_id, parent_id, name, tid, end_tid, start_ts, dur_ns, "
                                      "duration_bucket_ns, status, message, "
                                      "is_phase, is_async, attrs FROM spans ORDER BY span_row'");
    const std::string stats =
        run_cli("query --format csv" + one + " 'SELECT * FROM span_stats ORDER BY name'");
    const std::string times =
        run_cli("query --format csv" + one + " 'SELECT * FROM span_times ORDER BY name'");
    const std::string summary = run_cli("summary --json" + one + " rows-1");
    const std::string counts =
        run_cli("query --format csv" + one + " 'SELECT COUNT(*), COUNT(DISTINCT span_row) FROM spans'");
    CHECK(contains(counts, "51,51"));  // 50 spans that ended and one still open
    loaded[i++] = spans + stats + times + normalised(summary, file);
  }
  CHECK(loaded[0].size() > 1000);
  CHECK(loaded[1] == loaded[0]);
}

namespace {

// What of a summary does not depend on timing: per span name its count, errors and drops; the phases' span
// counts; the counters, events and threads (by name); the run's state and totals.
std::string shape_of(const std::string& summary_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element s;
  REQUIRE(parser.parse(summary_json).get(s) == simdjson::SUCCESS);
  std::ostringstream out;
  const simdjson::dom::element run = s["runs"].at(0);
  out << "state " << run["state"].get_string().value() << " spans " << run["spans"].get_uint64().value()
      << " events " << run["events"].get_uint64().value() << " dropped " << simdjson::minify(run["dropped"])
      << "\n";
  for (const simdjson::dom::element span : s["spans"].get_array())
    out << "span " << span["name"].get_string().value() << " " << span["count"].get_uint64().value() << " "
        << span["errors"].get_uint64().value() << " " << span["dropped"].get_uint64().value() << "\n";
  for (const auto phase : s["phases"].get_object())
    out << "phase " << phase.key << " " << phase.value["spans"].get_uint64().value() << "\n";
  out << "counters " << simdjson::minify(s["counters"]["bytes"]["total"]) << "\n";
  out << "events " << simdjson::minify(s["events"]) << "\n";
  std::vector<std::string> threads;
  for (const simdjson::dom::element t : s["threads"].get_array())
    threads.push_back(std::string(t["name"].get_string().value()) + " " +
                      std::to_string(t["spans"].get_uint64().value()));
  std::sort(threads.begin(), threads.end());
  for (const auto& t : threads) out << "thread " << t << "\n";
  out << "total_spans " << s["total_spans"].get_uint64().value() << " open "
      << s["open_spans"].get_array().size() << "\n";
  return out.str();
}

}  // namespace

TEST_CASE("one program recorded with rows and with span lines: the reader's summaries agree but for timing") {
  std::string shapes[2], texts[2];
  int i = 0;
  for (const char* rows : {"on", "off"}) {
    reader_test::TempDir dir;
    const auto recorded =
        test_support::try_run("SPANLOG_DIR='" + dir.path().string() + "' SPANLOG_SPAN_ROWS=" + rows + " " +
                              test_support::env("SPANLOG_SPAN_ROWS_PROGRAM"));
    INFO(recorded.output);
    REQUIRE(recorded.status == 0);
    const std::filesystem::path run = std::filesystem::canonical(dir / "latest");
    texts[i] = reader_test::read_text(run / "telemetry.jsonl");
    const std::string summary = run_cli("summary --json --no-write '" + run.string() + "'");
    shapes[i++] = shape_of(summary);
  }
  INFO(shapes[0]);
  // The first run wrote its spans as rows, the second as span lines only.
  CHECK(contains(texts[0], "\"event\":\"spans\""));
  CHECK_FALSE(contains(texts[1], "\"event\":\"spans\""));
  CHECK(std::count(texts[0].begin(), texts[0].end(), '\n') <
        std::count(texts[1].begin(), texts[1].end(), '\n'));
  CHECK(contains(shapes[0], "span parse 1800 0 0\n"));
  CHECK(contains(shapes[0], "span db.query 600 87 0\n"));
  CHECK(shapes[0] == shapes[1]);
}
