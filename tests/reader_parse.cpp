// The streaming reader on good and bad input: each malformed line is named by file, line and field; a torn
// last line is a warning; unknown kinds and fields are ignored; a newer schema is refused; chunk boundaries
// change nothing; no input crashes or hangs it.
#include <random>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "reader/jsonl_reader.hpp"
#include "support/reader_support.hpp"

using namespace spanlog::reader;
using reader_test::contains;
using reader_test::data;

namespace {

// Counts what it receives, by kind.
struct CountingSink : RecordSink {
  int headers = 0, threads = 0, spans = 0, starts = 0, ends = 0, instants = 0, counters = 0, gauges = 0,
      phases = 0, dropped = 0, footers = 0;
  std::uint64_t dur_total = 0;
  std::vector<std::uint64_t> span_lines;
  void on_header(const HeaderRecord&, std::uint64_t) override { ++headers; }
  void on_thread(const ThreadRecord&, std::uint64_t) override { ++threads; }
  void on_span(const SpanRecord& r, std::uint64_t line) override {
    ++spans;
    dur_total += r.dur_ns;
    span_lines.push_back(line);
  }
  void on_span_start(const SpanStartRecord&, std::uint64_t) override { ++starts; }
  void on_span_end(const SpanEndRecord& r, std::uint64_t) override {
    ++ends;
    dur_total += r.dur_ns;
  }
  void on_instant(const InstantRecord&, std::uint64_t) override { ++instants; }
  void on_counter(const CounterRecord&, std::uint64_t) override { ++counters; }
  void on_gauge(const GaugeRecord&, std::uint64_t) override { ++gauges; }
  void on_phase(const PhaseRecord&, std::uint64_t) override { ++phases; }
  void on_dropped(const DroppedRecord&, std::uint64_t) override { ++dropped; }
  void on_footer(const FooterRecord&, std::uint64_t) override { ++footers; }
};

std::string read_error(const std::string& name, const std::string& text) {
  CountingSink sink;
  JsonlReader reader(name, sink);
  try {
    reader.feed(text);
    reader.finish();
  } catch (const ReadError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a good run: every record reaches the sink with its kind") {
  CountingSink sink;
  const ReadReport report = read_file(data("basic/telemetry.jsonl"), sink);
  CHECK(report.lines == 21);
  CHECK(report.records == 21);
  CHECK(report.skipped_lines == 0);
  CHECK_FALSE(report.torn_last_line);
  CHECK(sink.headers == 1);
  CHECK(sink.threads == 2);
  CHECK(sink.spans == 5);
  CHECK(sink.starts == 2);
  CHECK(sink.ends == 2);
  CHECK(sink.instants == 2);
  CHECK(sink.counters == 2);
  CHECK(sink.gauges == 2);
  CHECK(sink.phases == 1);
  CHECK(sink.dropped == 1);
  CHECK(sink.footers == 1);
  CHECK(sink.span_lines == std::vector<std::uint64_t>{6, 7, 8, 13, 14});
}

TEST_CASE("every malformed line of the corpus is reported with file, line and what was wrong") {
  const std::string expected = reader_test::read_text(data("bad_lines.expected"));
  std::istringstream lines(expected);
  std::string entry;
  std::vector<std::pair<std::uint64_t, std::string>> cases;
  while (std::getline(lines, entry)) {
    const auto tab = entry.find('\t');
    cases.emplace_back(std::stoull(entry.substr(0, tab)), entry.substr(tab + 1));
  }
  REQUIRE(cases.size() == 20);

  // Without --skip-bad the first bad line stops the reading, with its number and field.
  CountingSink sink;
  try {
    read_file(data("bad_lines.jsonl"), sink);
    FAIL("a malformed line must stop the reading");
  } catch (const ReadError& e) {
    CHECK(std::string(e.what()) ==
          data("bad_lines.jsonl").string() + ":3: field \"dur_ns\": expected an unsigned integer");
  }

  // Each bad line alone, after a good first line: the message names the line and the field.
  const std::string all = reader_test::read_text(data("bad_lines.jsonl"));
  std::vector<std::string> file_lines;
  std::istringstream split(all);
  for (std::string line; std::getline(split, line);) file_lines.push_back(line);
  for (const auto& bad_case : cases) {
    const std::uint64_t number = bad_case.first;  // not a structured binding: doctest's INFO captures it
    const std::string& message = bad_case.second;
    const std::string text = file_lines[0] + "\n" + file_lines[1] + "\n" + file_lines[number - 1] + "\n";
    const std::string error = read_error("run/telemetry.jsonl", text);
    INFO("line: " << file_lines[number - 1]);
    CHECK(contains(error, "run/telemetry.jsonl:3: " + message));
  }

  // With --skip-bad they are counted and the good lines all arrive.
  ReadOptions skip;
  skip.skip_bad = true;
  CountingSink counted;
  const ReadReport report = read_file(data("bad_lines.jsonl"), counted, skip);
  CHECK(report.skipped_lines == 20);
  CHECK(counted.instants == 21);
  CHECK(counted.headers == 1);
  REQUIRE(report.skipped_examples.size() == 5);
  CHECK(contains(report.skipped_examples[1], "bad_lines.jsonl:5: field \"ts\""));
}

TEST_CASE("a torn last line is a warning and everything before it is used") {
  CountingSink sink;
  const ReadReport report = read_file(data("crashed/telemetry.jsonl"), sink);
  REQUIRE(report.torn_last_line);
  CHECK(contains(*report.torn_last_line, "telemetry.jsonl:9: the last line is incomplete"));
  CHECK(report.records == 8);
  CHECK(sink.spans == 1);
  CHECK(sink.starts == 3);

  // A whole record that only lacks its final newline is used, not reported.
  CountingSink whole;
  JsonlReader reader("x", whole);
  reader.feed(R"({"event":"span","span_id":1,"name":"a","tid":1,"ts":5,"dur_ns":7})");
  reader.finish();
  CHECK(whole.spans == 1);
  CHECK_FALSE(reader.report().torn_last_line);
}

TEST_CASE("unknown record kinds and fields are ignored; blank lines are skipped") {
  CountingSink sink;
  const ReadReport report = read_file(data("unknown_kinds.jsonl"), sink);
  CHECK(report.skipped_lines == 0);
  CHECK(sink.spans == 2);
  CHECK(sink.dur_total == 2000);
  CHECK(sink.footers == 1);
  CHECK(report.lines == 7);
}

TEST_CASE("a newer major schema is refused with a clear message") {
  CountingSink sink;
  ReadOptions skip;
  skip.skip_bad = true;  // not even --skip-bad reads a file it does not understand
  try {
    read_file(data("schema2.jsonl"), sink, skip);
    FAIL("schema 2 must be refused");
  } catch (const ReadError& e) {
    CHECK(contains(e.what(), "schema2.jsonl:1: schema 2 is newer than this spanlog understands (schema 1)"));
  }
  CHECK(sink.spans == 0);
}

TEST_CASE("small chunks, long lines and CRLF give the same records as one big chunk") {
  std::string text = reader_test::read_text(data("basic/telemetry.jsonl"));
  // A line longer than the chunk, so the buffer must grow.
  text += R"({"event":"instant","name":"long","tid":1,"ts":9,"attrs":{"blob":")" + std::string(20000, 'x') +
          "\"}}\n";
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);

  for (const std::string* input : {&text, &crlf}) {
    for (const std::size_t feed_size : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, input->size()}) {
      CountingSink sink;
      ReadOptions options;
      options.chunk_bytes = 4096;
      JsonlReader reader("x", sink, options);
      for (std::size_t at = 0; at < input->size(); at += feed_size)
        reader.feed(std::string_view(*input).substr(at, feed_size));
      reader.finish();
      INFO("feed size " << feed_size);
      CHECK(sink.spans == 5);
      CHECK(sink.ends == 2);
      CHECK(sink.instants == 3);
      CHECK(sink.dur_total == 1039000);
      CHECK(reader.report().lines == 22);
    }
  }
}

TEST_CASE("a line longer than the limit is malformed, and reading goes on after it") {
  CountingSink sink;
  ReadOptions options;
  options.chunk_bytes = 4096;
  options.max_line_bytes = 8192;
  options.skip_bad = true;
  JsonlReader reader("x", sink, options);
  reader.feed(R"({"event":"instant","name":"a","tid":1,"ts":1})"
              "\n");
  reader.feed(R"({"event":"instant","name":")" + std::string(50000, 'y') + "\",\"tid\":1,\"ts\":2}\n");
  reader.feed(R"({"event":"instant","name":"c","tid":1,"ts":3})"
              "\n");
  reader.finish();
  CHECK(sink.instants == 2);
  CHECK(reader.report().skipped_lines == 1);
  REQUIRE(reader.report().skipped_examples.size() == 1);
  CHECK(contains(reader.report().skipped_examples[0], "x:2: line longer than 8192 bytes"));
}

TEST_CASE("mutated input never crashes or hangs the reader") {
  // A small deterministic fuzz: truncations, byte flips and insertions of JSON punctuation into good lines.
  const std::string good = reader_test::read_text(data("basic/telemetry.jsonl"));
  std::mt19937 random(1234);
  const std::string punctuation = "{}[]\",:\\\n 0-e.tfn\x80\xff";
  int runs = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string text = good;
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = random() % text.size();
      switch (random() % 4) {
        case 0:
          text.resize(at);
          break;
        case 1:
          text[at] = punctuation[random() % punctuation.size()];
          break;
        case 2:
          text.insert(at, 1, punctuation[random() % punctuation.size()]);
          break;
        default:
          text.erase(at, random() % 40);
          break;
      }
    }
    CountingSink sink;
    ReadOptions options;
    options.skip_bad = true;
    options.chunk_bytes = 4096;
    JsonlReader reader("fuzz", sink, options);
    try {
      reader.feed(text);
      reader.finish();
    } catch (const ReadError&) {
      // a mutated header may claim a newer schema: refused, which is fine
    }
    CHECK(reader.report().records + reader.report().skipped_lines <= reader.report().lines);
    ++runs;
  }
  CHECK(runs == 1500);
}

TEST_CASE("a key written with an escape is still recognised") {
  CountingSink sink;
  JsonlReader reader("x", sink);
  reader.feed(R"({"event":"instant","n\u0061me":"a","tid":1,"ts":5})"
              "\n");
  reader.feed(R"({"event":"span","span_id":1,"name":"a\"b","tid":1,"ts":5,"dur_ns":3})"
              "\n");
  reader.finish();
  CHECK(sink.instants == 1);
  CHECK(sink.spans == 1);
  CHECK(reader.report().skipped_lines == 0);
}

TEST_CASE("what the buffer holds after a line does not change what the line means") {
  // simdjson's parse_many reads past its input: with a ':' left there by an earlier, longer line,
  // `{"tid"0}` (no colon) used to come back as a valid object. Fed a byte at a time, the bad line lands at
  // the start of the buffer, over the first line's stale bytes.
  const std::string bad = R"({"event":"thread","tid"0},"x":{"y":"z"}})";
  std::string first = "\x01" + std::string(bad.size() + 1, 'a');  // not JSON: skipped
  first[bad.size() + 1] = ':';                                    // what will sit just after the bad line
  first += std::string(200, 'b');
  for (const std::size_t piece : {std::size_t{1}, std::size_t{1000}}) {
    CountingSink sink;
    ReadOptions options;
    options.skip_bad = true;
    JsonlReader reader("x", sink, options);
    const std::string text = first + "\n" + bad + "\n";
    for (std::size_t at = 0; at < text.size(); at += piece)
      reader.feed(std::string_view(text).substr(at, piece));
    reader.finish();
    INFO("feed size " << piece);
    CHECK(sink.threads == 0);
    CHECK(reader.report().skipped_lines == 2);
  }
}

namespace {

// Every record as a line of text with its line number, in the order received.
struct LoggingSink : RecordSink {
  std::vector<std::string> log;
  void on_header(const HeaderRecord& r, std::uint64_t line) override { add(line, "header", r.run_id); }
  void on_thread(const ThreadRecord& r, std::uint64_t line) override {
    add(line, "thread", std::to_string(r.tid));
  }
  void on_span(const SpanRecord& r, std::uint64_t line) override {
    std::string attrs;
    for (const Attr& a : r.attrs)
      attrs += std::string(a.key) + "=" + std::to_string(a.value.number.as_integer) + ",";
    add(line, "span",
        std::string(r.name) + " " + std::to_string(r.span_id) + " " + std::to_string(r.dur_ns) + " " + attrs);
  }
  void on_span_start(const SpanStartRecord& r, std::uint64_t line) override {
    add(line, "start", std::string(r.name) + " " + std::to_string(r.span_id));
  }
  void on_span_end(const SpanEndRecord& r, std::uint64_t line) override {
    add(line, "end", std::to_string(r.span_id) + " " + std::string(r.message));
  }
  void on_instant(const InstantRecord& r, std::uint64_t line) override { add(line, "instant", r.name); }
  void on_footer(const FooterRecord& r, std::uint64_t line) override {
    add(line, "footer", std::to_string(r.records));
  }
  void add(std::uint64_t line, std::string_view kind, std::string_view what) {
    log.push_back(std::to_string(line) + " " + std::string(kind) + " " + std::string(what));
  }
};

struct Reading {
  std::vector<std::string> log;
  ReadReport report;
  std::string error;
};

Reading read_on(unsigned threads, const std::string& text, ReadOptions options, std::size_t piece) {
  LoggingSink sink;
  JsonlReader reader("gen", sink, options);
  Reading result;
  std::size_t at = 0;
  try {
    reader.read_all(
        [&](char* into, std::size_t capacity) {
          const std::size_t n = std::min({capacity, piece, text.size() - at});
          std::memcpy(into, text.data() + at, n);
          at += n;
          return n;
        },
        threads);
  } catch (const ReadError& e) {
    result.error = e.what();
  }
  result.log = std::move(sink.log);
  result.report = reader.report();
  return result;
}

// Many chunks' worth of lines, with bad, blank and long ones among them, and a torn last line.
std::string generated_lines(std::mt19937& random, int count) {
  std::string text = R"({"event":"header","schema":1,"run_id":"gen","start_ts":1})"
                     "\n";
  for (int i = 0; i < count; ++i) {
    switch (random() % 40) {
      case 0:
        text += R"({"event":"span","span_id":1,"name":"bad","tid":1,"ts":5,"dur_ns":"x"})"
                "\n";
        break;
      case 1:
        text += "not json at all\n";
        break;
      case 2:
        text += "\n  \n";
        break;
      case 3:
        text += R"({"event":"instant","name":")" + std::string(9000 + random() % 3000, 'L') +
                R"(","tid":1,"ts":5})"
                "\n";
        break;
      case 4:
        text += R"({"event":"span_start","span_id":)" + std::to_string(i) + R"(,"name":"s","tid":2,"ts":9})" +
                "\n" + R"({"event":"span_end","span_id":)" + std::to_string(i) +
                R"(,"tid":2,"ts":19,"dur_ns":10,"status":"error","message":"m\u00e9"})" + "\n";
        break;
      default:
        text += R"({"event":"span","span_id":)" + std::to_string(i) + R"(,"name":"n)" +
                std::to_string(i % 7) + R"(","tid":1,"ts":)" + std::to_string(i) + R"(,"dur_ns":)" +
                std::to_string(random() % 100000) + R"(,"attrs":{"k":)" + std::to_string(i) + "}}\n";
    }
  }
  return text + R"({"event":"footer","records":)";  // cut short: a torn last line
}

}  // namespace

TEST_CASE("two threads hand out the same records, in the same order and with the same lines, as one") {
  std::mt19937 random(7);
  const std::string text = generated_lines(random, 3000);
  for (const std::size_t chunk : {std::size_t{4096}, std::size_t{128} << 10}) {
    ReadOptions options;
    options.skip_bad = true;
    options.chunk_bytes = chunk;
    options.max_line_bytes = 10000;  // some of the long lines are over it
    const Reading one = read_on(1, text, options, text.size());
    INFO("chunk " << chunk);
    REQUIRE(one.log.size() > 2500);
    CHECK(one.report.skipped_lines > 100);
    CHECK(one.report.torn_last_line);
    for (const std::size_t piece : {std::size_t{1000}, std::size_t{65536}, text.size()}) {
      INFO("read " << piece << " bytes at a time");
      const Reading two = read_on(2, text, options, piece);
      CHECK(two.error.empty());
      CHECK(two.log == one.log);
      CHECK(two.report.lines == one.report.lines);
      CHECK(two.report.records == one.report.records);
      CHECK(two.report.skipped_lines == one.report.skipped_lines);
      CHECK(two.report.skipped_examples == one.report.skipped_examples);
      CHECK(two.report.torn_last_line == one.report.torn_last_line);
      CHECK(two.report.bytes == text.size());
    }
  }
}

TEST_CASE("on two threads, the first bad line stops the reading with its line number, as on one") {
  std::mt19937 random(11);
  const std::string text = generated_lines(random, 2000);
  ReadOptions options;
  options.chunk_bytes = 4096;
  const Reading one = read_on(1, text, options, text.size());
  const Reading two = read_on(2, text, options, 777);
  REQUIRE_FALSE(one.error.empty());
  CHECK(two.error == one.error);
  // What came before the bad line arrived, in order; nothing after it.
  CHECK(two.log == one.log);

  const std::size_t cut = text.find('\n', 20000) + 1;
  const std::string newer =
      text.substr(0, cut) + R"({"event":"header","schema":9})" + "\n" + text.substr(cut);
  options.skip_bad = true;
  CHECK(contains(read_on(2, newer, options, 4096).error, "schema 9 is newer"));
}

namespace {

// The crash and footer records of a run, as a sink sees them (views copied during the callback).
struct EndingSink : RecordSink {
  std::vector<std::string> crashes;  // "signal name reason tid ts line | what"
  std::vector<std::string> stopped_by;
  void on_crash(const CrashRecord& r, std::uint64_t line) override {
    crashes.push_back(
        fmt::format("{} {} {} {} {} {} | {}", r.signal, r.name, r.reason, r.tid, r.ts, line, r.what()));
  }
  void on_footer(const FooterRecord& r, std::uint64_t) override {
    stopped_by.push_back(std::string(r.stopped_by));
  }
};

constexpr const char* kHeaderLine =
    R"({"event":"header","schema":1,"schema_minor":1,"run_id":"r","start_ts":1000})"
    "\n";

}  // namespace

TEST_CASE("a crash record reaches the sink with its signal, name, reason, thread and time") {
  EndingSink sink;
  JsonlReader reader("run/telemetry.jsonl", sink);
  reader.feed(
      std::string(kHeaderLine) +
      R"({"event":"crash","signal":6,"name":"SIGABRT","reason":"uncaught exception std::runtime_error: disk full","tid":4243,"ts":5000})"
      "\n");
  reader.finish();
  REQUIRE(sink.crashes.size() == 1);
  CHECK(sink.crashes[0] ==
        "6 SIGABRT uncaught exception std::runtime_error: disk full 4243 5000 2 | uncaught exception "
        "std::runtime_error: disk full");
  CHECK(reader.report().records == 2);
}

TEST_CASE("an older crash record without a reason is read, and its name says what ended the program") {
  EndingSink sink;
  JsonlReader reader("run/telemetry.jsonl", sink);
  reader.feed(std::string(kHeaderLine) +
              R"({"event":"crash","signal":11,"name":"SIGSEGV","tid":4243,"ts":5000})"
              "\n");
  reader.finish();
  REQUIRE(sink.crashes.size() == 1);
  CHECK(sink.crashes[0] == "11 SIGSEGV  4243 5000 2 | SIGSEGV");
}

TEST_CASE("the footer's stopped_by reaches the sink, empty when the footer has none") {
  EndingSink sink;
  JsonlReader reader("run/telemetry.jsonl", sink);
  reader.feed(std::string(kHeaderLine) +
              R"({"event":"footer","ts":9000,"wall_ns":8000,"records":3,"stopped_by":"SIGTERM"})"
              "\n"
              R"({"event":"footer","ts":9000,"wall_ns":8000,"records":3})"
              "\n");
  reader.finish();
  CHECK(sink.stopped_by == std::vector<std::string>{"SIGTERM", ""});
}

TEST_CASE("a crash or footer field of the wrong type is an error naming the file, line and field") {
  const std::string header = kHeaderLine;
  CHECK(read_error("run/telemetry.jsonl",
                   header + R"({"event":"crash","signal":6,"name":"SIGABRT","reason":42,"tid":1,"ts":5})"
                            "\n") == "run/telemetry.jsonl:2: field \"reason\": expected a string");
  CHECK(read_error("run/telemetry.jsonl",
                   header + R"({"event":"crash","signal":"SIGSEGV","name":"SIGSEGV","tid":1,"ts":5})"
                            "\n") == "run/telemetry.jsonl:2: field \"signal\": expected an unsigned integer");
  CHECK(read_error("run/telemetry.jsonl", header + R"({"event":"crash","signal":11,"name":null,"tid":1})"
                                                   "\n") ==
        "run/telemetry.jsonl:2: field \"name\": expected a string");
  CHECK(read_error("run/telemetry.jsonl", header + R"({"event":"crash","name":"SIGSEGV","tid":1,"ts":5})"
                                                   "\n") ==
        "run/telemetry.jsonl:2: field \"signal\": missing");
  CHECK(read_error("run/telemetry.jsonl", header + R"({"event":"footer","ts":9,"stopped_by":true})"
                                                   "\n") ==
        "run/telemetry.jsonl:2: field \"stopped_by\": expected a string");
}

namespace {

// A log line as one string: level, thread, time, span, message, attributes, site and line number.
struct LogSink : RecordSink {
  std::vector<std::string> logs;
  std::vector<std::uint64_t> footer_logs;
  void on_log(const LogRecord& r, std::uint64_t line) override {
    std::string attrs;
    for (const Attr& attr : r.attrs) attrs += fmt::format(" {}", attr.key);
    logs.push_back(fmt::format("{} {} {} {} '{}'{} @{}:{} line {}", log_level_name(r.level), r.tid, r.ts,
                               r.span_id, r.message, attrs, r.site_file, r.site_line, line));
  }
  void on_footer(const FooterRecord& r, std::uint64_t) override { footer_logs.push_back(r.logs); }
};

}  // namespace

TEST_CASE("a log line reaches the sink with its level, thread, time, span, message, attributes and site") {
  LogSink sink;
  JsonlReader reader("run/telemetry.jsonl", sink);
  reader.feed(
      std::string(kHeaderLine) +
      R"({"event":"log","level":"warn","tid":4243,"ts":5000,"span_id":1099511627777,"msg":"retrying https://example.com after 3 ms","attrs":{"url":"https://example.com","ms":3.0},"site":{"file":"src/fetch.cpp","line":88}})"
      "\n"
      R"({"event":"log","level":"trace","tid":1,"ts":6000,"msg":"no span, no holes","site":{"line":7,"file":"a.cpp"}})"
      "\n"
      R"({"event":"footer","ts":9000,"wall_ns":8000,"records":4,"logs":2})"
      "\n");
  reader.finish();
  CHECK(sink.logs == std::vector<std::string>{
                         "warn 4243 5000 1099511627777 'retrying https://example.com after 3 ms' url ms "
                         "@src/fetch.cpp:88 line 2",
                         "trace 1 6000 0 'no span, no holes' @a.cpp:7 line 3"});
  CHECK(sink.footer_logs == std::vector<std::uint64_t>{2});
  CHECK(reader.report().records == 4);
}

TEST_CASE("every level word is read, in order of severity") {
  LogSink sink;
  JsonlReader reader("run/telemetry.jsonl", sink);
  std::string text = kHeaderLine;
  for (const char* level : {"trace", "debug", "info", "warn", "error"})
    text += fmt::format(
        R"({{"event":"log","level":"{}","tid":1,"ts":5,"msg":"m","site":{{"file":"f","line":1}}}})"
        "\n",
        level);
  reader.feed(text);
  reader.finish();
  REQUIRE(sink.logs.size() == 5);
  CHECK(sink.logs[0].rfind("trace ", 0) == 0);
  CHECK(sink.logs[4].rfind("error ", 0) == 0);
  CHECK(LogLevel::trace < LogLevel::debug);
  CHECK(LogLevel::warn < LogLevel::error);
}

TEST_CASE(
    "a log line with a field missing or of the wrong type is an error naming the file, line and field") {
  const std::string header = kHeaderLine;
  // A good line with one field replaced: `replace` is the field's text in the good line, `with` what it
  // becomes.
  const std::string good =
      R"({"event":"log","level":"warn","tid":4,"ts":5,"span_id":6,"msg":"m","attrs":{"k":1},"site":{"file":"f.cpp","line":9}})";
  REQUIRE(read_error("run/telemetry.jsonl", header + good + "\n").empty());
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {R"("level":"warn",)", "", R"(field "level": missing)"},
      {R"("level":"warn")", R"("level":"fatal")",
       R"(field "level": expected "trace", "debug", "info", "warn" or "error", got "fatal")"},
      {R"("level":"warn")", R"("level":3)", R"(field "level": expected a string)"},
      {R"("tid":4,)", "", R"(field "tid": missing)"},
      {R"("tid":4)", R"("tid":-4)", R"(field "tid": expected an unsigned integer)"},
      {R"("ts":5,)", "", R"(field "ts": missing)"},
      {R"("ts":5)", R"("ts":"5")", R"(field "ts": expected an unsigned integer)"},
      {R"("span_id":6)", R"("span_id":null)", R"(field "span_id": expected an unsigned integer)"},
      {R"("msg":"m",)", "", R"(field "msg": missing)"},
      {R"("msg":"m")", R"("msg":["m"])", R"(field "msg": expected a string)"},
      {R"("attrs":{"k":1})", R"("attrs":[1])", R"(field "attrs": expected an object)"},
      {R"("attrs":{"k":1})", R"("attrs":1)", R"(field "attrs": expected an object)"},
      {R"(,"site":{"file":"f.cpp","line":9})", "", R"(field "site": missing)"},
      {R"("site":{"file":"f.cpp","line":9})", R"("site":"f.cpp:9")", R"(field "site": expected an object)"},
      {R"("file":"f.cpp")", R"("file":1)", R"(field "site": expected "file" to be a string)"},
      {R"("line":9)", R"("line":-9)", R"(field "site": expected "line" to be an unsigned integer)"},
      {R"(,"line":9)", "", R"(field "site": expected "file" and "line")"},
      {R"("file":"f.cpp",)", "", R"(field "site": expected "file" and "line")"},
  };
  for (const auto& [replace, with, message] : cases) {
    std::string line = good;
    const std::size_t at = line.find(replace);
    REQUIRE(at != std::string::npos);
    line.replace(at, replace.size(), with);
    INFO("line: " << line);
    CHECK(read_error("run/telemetry.jsonl", header + line + "\n") == "run/telemetry.jsonl:2: " + message);
  }
}

namespace {

// A metric record as one string: its kind, name, thread, figures and labels (key=value in the order given).
struct MetricSink : RecordSink {
  std::vector<std::string> records;
  std::vector<std::string> header_metrics;
  std::uint64_t metric_overflow = 0;

  static std::string labels_text(Labels labels) {
    std::string text;
    for (const Attr& label : labels) {
      text += text.empty() ? " {" : ",";
      text += std::string(label.key) + "=";
      switch (label.value.type) {
        case AttrValue::Type::string:
          text += std::string(label.value.string);
          break;
        case AttrValue::Type::number:
          text += fmt::format("{}", label.value.number.as_double);
          break;
        case AttrValue::Type::boolean:
          text += label.value.boolean ? "true" : "false";
          break;
        case AttrValue::Type::null:
          text += "null";
          break;
      }
    }
    return text.empty() ? text : text + "}";
  }
  void on_header(const HeaderRecord& r, std::uint64_t) override {
    for (const MetricInfoRecord& info : r.metrics)
      header_metrics.push_back(fmt::format("{} [{}] '{}'", info.name, info.unit, info.description));
  }
  void on_counter(const CounterRecord& r, std::uint64_t) override {
    records.push_back(fmt::format("counter {} tid {} delta {}", r.name, r.tid, r.delta.as_double) +
                      labels_text(r.labels));
  }
  void on_gauge(const GaugeRecord& r, std::uint64_t) override {
    records.push_back(fmt::format("gauge {} tid {} value {} min {} max {} count {}", r.name, r.tid,
                                  r.value.value_or(-1), r.min.value_or(-1), r.max.value_or(-1), r.count) +
                      labels_text(r.labels));
  }
  void on_histogram(const HistogramRecord& r, std::uint64_t) override {
    std::string buckets;
    for (const SpanStatsRecord::Bucket& bucket : r.buckets)
      buckets += fmt::format("[{},{}]", bucket.lower_ns, bucket.count);
    records.push_back(fmt::format("histogram {} tid {} ts {} sum {} count {} {}", r.name,
                                  r.tid ? std::to_string(*r.tid) : "-", r.ts, r.sum, r.count, buckets) +
                      labels_text(r.labels));
  }
  void on_metric_info(const MetricInfoRecord& r, std::uint64_t) override {
    records.push_back(fmt::format("metric_info {} ts {} [{}] '{}'", r.name, r.ts, r.unit, r.description));
  }
  void on_footer(const FooterRecord& r, std::uint64_t) override { metric_overflow = r.metric_overflow; }
};

}  // namespace

TEST_CASE("schema 1.7 metrics: labels sorted by key, histograms, metric infos, the header's metrics") {
  MetricSink sink;
  const ReadReport report = read_file(data("metrics/telemetry.jsonl"), sink);
  CHECK(report.records == 30);
  CHECK(sink.header_metrics == std::vector<std::string>{
                                   "llm.tokens [{token}] 'Tokens used by LLM calls'",
                                   "request.bytes [By] 'Request body sizes'",
                                   "pool.in_use [] 'Connections in use'",
                                   "spanlog.process.memory.rss [By] 'Resident memory'",
                                   "spanlog.process.cpu.time [s] 'CPU time'",
                                   "spanlog.ring.fill [1] 'Peak ring fill'",
                                   "spanlog.flusher.lag [ns] 'Age of the oldest record drained'",
                               });
  REQUIRE(sink.records.size() == 26);  // 30 lines less the header, two threads and the footer
  CHECK(sink.records[0] == "metric_info queue.wait ts 1795459260100000000 [us] 'Time waiting in a queue'");
  CHECK(sink.records[1] == "counter bytes.parsed tid 4242 delta 1000");
  // Written {"model":...,"kind":...}: handed out sorted by key, as the next line's order.
  CHECK(sink.records[2] == "counter llm.tokens tid 0 delta 812 {kind=input,model=m-large}");
  CHECK(sink.records[3] == "counter llm.tokens tid 0 delta 200 {kind=output,model=m-large}");
  CHECK(sink.records[4] == "gauge pool.in_use tid 0 value 3 min 1 max 4 count 12 {pool=db}");
  CHECK(
      sink.records[6] ==
      "histogram request.bytes tid 4242 ts 1795459260200000000 sum 30700 count 4 [1000,1][4096,2][21504,1]");
  CHECK(sink.records[7] ==
        "histogram queue.wait tid - ts 1795459260200000000 sum 73 count 3 [12,2][49,1] "
        "{queue=io}");
  CHECK(sink.records[10] == "gauge spanlog.ring.fill tid 0 value 0.25 min 0.25 max 0.5 count 1 {tid=4242}");
  CHECK(sink.records[19] == "counter llm.tokens tid 0 delta 7 {otel.metric.overflow=true}");
  CHECK(sink.metric_overflow == 7);
}

TEST_CASE("a repeated label key keeps its last value; an empty labels object is the series without labels") {
  MetricSink sink;
  JsonlReader reader("run/telemetry.jsonl", sink);
  reader.feed(std::string(kHeaderLine) +
              R"({"event":"counter","name":"c","ts":5,"delta":1,"labels":{"b":1,"a":"x","b":2.5,"c":null}})"
              "\n"
              R"({"event":"gauge","name":"g","ts":5,"value":1,"labels":{}})"
              "\n");
  reader.finish();
  CHECK(sink.records == std::vector<std::string>{"counter c tid 0 delta 1 {a=x,b=2.5,c=null}",
                                                 "gauge g tid 0 value 1 min 1 max 1 count 1"});
}

TEST_CASE("an older file's metrics read as before: no labels, no metric infos, no overflow") {
  MetricSink sink;
  read_file(data("basic/telemetry.jsonl"), sink);
  CHECK(sink.header_metrics.empty());
  REQUIRE_FALSE(sink.records.empty());
  for (const std::string& record : sink.records) CHECK(record.find('{') == std::string::npos);
  CHECK(sink.metric_overflow == 0);
}

TEST_CASE(
    "a metric line with a field missing or of the wrong type is an error naming the file, line and field") {
  const std::string header = kHeaderLine;
  const std::string histogram =
      R"({"event":"histogram","name":"h","tid":4,"ts":5,"sum":73,"buckets":[[12,2],[49,1]],"count":3,"labels":{"q":"io"}})";
  const std::string counter = R"({"event":"counter","name":"c","ts":5,"delta":1,"labels":{"k":"v"}})";
  const std::string info = R"({"event":"metric_info","name":"m","ts":5,"unit":"ms","description":"d"})";
  const std::string header_metrics =
      R"({"event":"header","schema":1,"schema_minor":7,"metrics":{"m":{"unit":"By","description":"d"}}})";
  const std::string footer = R"({"event":"footer","ts":9,"metric_overflow":3})";
  const std::string dropped = R"({"event":"dropped","tid":1,"ts":5,"metrics":2})";
  for (const std::string* good : {&histogram, &counter, &info, &footer, &dropped})
    REQUIRE(read_error("run/telemetry.jsonl", header + *good + "\n").empty());
  REQUIRE(read_error("run/telemetry.jsonl", header_metrics + "\n").empty());
  constexpr const char* kLabelValues =
      R"(field "labels": expected an object of label values (strings, numbers, booleans or null))";
  constexpr const char* kInfos =
      R"(field "metrics": expected an object of {"unit", "description"} objects of strings)";
  const std::vector<std::tuple<const std::string*, std::string, std::string, std::string>> cases = {
      {&histogram, R"("name":"h",)", "", R"(field "name": missing)"},
      {&histogram, R"("name":"h")", R"("name":"")", R"(field "name": expected a non-empty string)"},
      {&histogram, R"("ts":5,)", "", R"(field "ts": missing)"},
      {&histogram, R"("tid":4)", R"("tid":-4)", R"(field "tid": expected an unsigned integer)"},
      {&histogram, R"("sum":73,)", "", R"(field "sum": missing)"},
      {&histogram, R"("sum":73)", R"("sum":7.5)", R"(field "sum": expected an unsigned integer)"},
      {&histogram, R"("count":3)", R"("count":4)", R"(field "buckets": the counts sum to 3, not to count 4)"},
      {&histogram, R"(,"count":3)", "", R"(field "count": missing)"},
      {&histogram, R"("buckets":[[12,2],[49,1]],)", "", R"(field "buckets": missing)"},
      {&histogram, R"([49,1])", R"([49,-1])",
       R"(field "buckets": expected an array of [lower_ns, count] pairs of unsigned integers)"},
      {&histogram, R"("q":"io")", R"("q":["io"])", kLabelValues},
      {&histogram, R"({"q":"io"})", R"("io")", kLabelValues},
      {&counter, R"("k":"v")", R"("k":{"v":1})", kLabelValues},
      {&info, R"("name":"m",)", "", R"(field "name": missing)"},
      {&info, R"("name":"m")", R"("name":"")", R"(field "name": expected a non-empty string)"},
      {&info, R"("unit":"ms")", R"("unit":1)", R"(field "unit": expected a string)"},
      {&info, R"("description":"d")", R"("description":null)", R"(field "description": expected a string)"},
      {&footer, R"("metric_overflow":3)", R"("metric_overflow":"3")",
       R"(field "metric_overflow": expected an unsigned integer)"},
      {&dropped, R"("metrics":2)", R"("metrics":{"m":1})",
       R"(field "metrics": expected an unsigned integer)"},
  };
  for (const auto& [good, replace, with, message] : cases) {
    std::string line = *good;
    const std::size_t at = line.find(replace);
    REQUIRE(at != std::string::npos);
    line.replace(at, replace.size(), with);
    INFO("line: " << line);
    CHECK(read_error("run/telemetry.jsonl", header + line + "\n") == "run/telemetry.jsonl:2: " + message);
  }
  // The header's `metrics`: its errors are on line 1.
  const std::vector<std::pair<std::string, std::string>> header_cases = {
      {R"("metrics":2)", R"(field "metrics": expected an object)"},
      {R"("metrics":{"m":"By"})", kInfos},
      {R"("metrics":{"m":{"unit":7}})", kInfos},
  };
  for (const auto& [with, message] : header_cases) {
    std::string line = header_metrics;
    const std::string replace = R"("metrics":{"m":{"unit":"By","description":"d"}})";
    line.replace(line.find(replace), replace.size(), with);
    INFO("line: " << line);
    CHECK(read_error("run/telemetry.jsonl", line + "\n") == "run/telemetry.jsonl:1: " + message);
  }
}
