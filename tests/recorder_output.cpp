// What the recorder writes: spans pair up and nest, attributes and statuses arrive typed, events, counters,
// gauges, phases and threads are reported, and every line matches the schema.
#include <doctest/doctest.h>
// This program compiles the implementation itself: it looks at the flusher's internals.
#define SPANLOG_IMPLEMENTATION
#ifdef SPANLOG_TEST_SINGLE_HEADER
#include <spanlog.hpp>
#else
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>
#endif

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/run_options.hpp"
#include "support/run_reader.hpp"

using test_support::read_run;

namespace {

spanlog::Options test_options(const std::string& dir, const char* run_id) {
  return test_support::run_options(dir, run_id, spanlog::OverflowPolicy::block);
}

void leaf(int i) {
  SPANLOG_SPAN("leaf", "i", i);
  SPANLOG_COUNTER_ADD("leaves", 1);
}

void branch(int depth, int i) {
  SPANLOG_SPAN("branch", "depth", depth);
  if (depth == 0) {
    leaf(i);
    leaf(i + 1);
  } else {
    branch(depth - 1, i);
  }
}

}  // namespace

TEST_CASE("many threads by many spans: every span pairs up and nests under its caller") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "nesting")));
  constexpr int threads = 6, per_thread = 2000, depth = 3;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([t] {
      spanlog::set_thread_name("worker-" + std::to_string(t));
      for (int i = 0; i < per_thread; ++i) branch(depth, i);
    });
  for (auto& th : pool) th.join();
  spanlog::stop();

  const auto run = read_run(dir + "/nesting");
  CHECK(run.schema_errors == 0);
  CHECK(run.end_without_start == 0);
  const std::size_t expected = static_cast<std::size_t>(threads) * per_thread * (depth + 1 + 2);
  CHECK(run.spans.size() == expected);
  std::size_t leaves = 0, roots = 0;
  for (const auto& entry : run.spans) {
    const std::uint64_t id = entry.first;
    const auto& s = entry.second;
    CHECK_MESSAGE(s.ends == 1, "span " << id << " ended " << s.ends << " times");
    CHECK(s.dur_ns >= 0);
    CHECK(s.status == "ok");
    if (s.name == "leaf") {
      ++leaves;
      const auto parent = run.spans.find(s.parent);
      REQUIRE(parent != run.spans.end());
      CHECK(parent->second.name == "branch");
      CHECK(parent->second.attrs_json == "{\"depth\":0}");
      CHECK(parent->second.tid == s.tid);
      // A child lies within its parent.
      CHECK(s.ts >= parent->second.ts);
      CHECK(s.ts + s.dur_ns <= parent->second.ts + parent->second.dur_ns);
    }
    if (s.parent == 0) {
      ++roots;
      CHECK(s.name == "branch");
      CHECK(s.attrs_json == "{\"depth\":3}");
    }
  }
  CHECK(leaves == static_cast<std::size_t>(threads) * per_thread * 2);
  CHECK(roots == static_cast<std::size_t>(threads) * per_thread);
  CHECK(run.counter_int_sums.at("leaves") == threads * per_thread * 2);
  CHECK(test_support::json_int(run.footer, "/spans") == static_cast<std::int64_t>(expected));
  CHECK(test_support::json_int(run.footer, "/open_spans") == 0);
  int named = 0;
  for (const auto& entry : run.thread_names) named += entry.second.rfind("worker-", 0) == 0;
  CHECK(named == threads);
}

TEST_CASE("attributes keep their types; errors, events, gauges and float counters arrive") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "attrs")));
  {
    const std::string dynamic = "line\n\"quoted\" \xff end";
    SPANLOG_SPAN("typed", "i", -3, "u", 7u, "d", 2.5, "b", true, "lit", "text", "dyn", dynamic);
    SPANLOG_SPAN_SET("tokens", 1200);
    SPANLOG_SPAN_ERROR("model refused");
    SPANLOG_EVENT("cache.miss", "key", "users/42");
    SPANLOG_EVENT("plain");
    SPANLOG_GAUGE_SET("queue.depth", 3);
    SPANLOG_GAUGE_SET("queue.depth", 9);
    SPANLOG_GAUGE_SET("queue.depth", 4);
    SPANLOG_COUNTER_ADD("cost.usd", 0.25);
    SPANLOG_COUNTER_ADD("cost.usd", 0.5);
  }
  {
    spanlog::ScopedSpan s("macro-free", "k", 1);
    s.set("bytes", 4096);
    s.set_error();
  }
  spanlog::stop();

  const auto run = read_run(dir + "/attrs");
  CHECK(run.schema_errors == 0);
  const test_support::SpanRecordLine* typed = nullptr;
  const test_support::SpanRecordLine* free_span = nullptr;
  for (const auto& entry : run.spans) {
    const auto& s = entry.second;
    if (s.name == "typed") typed = &s;
    if (s.name == "macro-free") free_span = &s;
  }
  REQUIRE(typed);
  CHECK(
      typed->attrs_json ==
      "{\"i\":-3,\"u\":7,\"d\":2.5,\"b\":true,\"lit\":\"text\",\"dyn\":\"line\\n\\\"quoted\\\" \xef\xbf\xbd "
      "end\",\"tokens\":1200}");
  CHECK(typed->status == "error");
  CHECK(typed->message == "model refused");
  REQUIRE(free_span);
  CHECK(free_span->attrs_json == "{\"k\":1,\"bytes\":4096}");
  CHECK(free_span->status == "error");
  CHECK(run.instants == std::vector<std::string>{"cache.miss", "plain"});
  CHECK(run.gauge_last.at("queue.depth") == 4.0);
  CHECK(run.counter_sums.at("cost.usd") == doctest::Approx(0.75));
}

TEST_CASE("a long dynamic string is cut at a UTF-8 boundary") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "long")));
  std::string long_value;
  while (long_value.size() < SPANLOG_MAX_STRING_BYTES + 10) long_value += "\xc3\xa9";  // é, two bytes each
  { SPANLOG_SPAN("long", "v", long_value); }
  spanlog::stop();
  const auto run = read_run(dir + "/long");
  REQUIRE(run.spans.size() == 1);
  const std::string& a = run.spans.begin()->second.attrs_json;
  const std::string expected = "{\"v\":\"" + long_value.substr(0, SPANLOG_MAX_STRING_BYTES) + "\"}";
  CHECK(a == expected);
}

TEST_CASE("phases: a phase record and run_summary.json with each phase's wall time and spans") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "phases")));
  {
    SPANLOG_PHASE("discovery");
    leaf(0);
  }
  {
    SPANLOG_PHASE("analysis");
    const auto ctx = spanlog::current_span();
    std::vector<std::thread> workers;
    for (int w = 0; w < 3; ++w)
      workers.emplace_back([ctx, w] {
        SPANLOG_SPAN_CHILD_OF(ctx, "analyze", "worker", w);
        leaf(w);
      });
    for (auto& t : workers) t.join();
  }
  spanlog::stop();
  const auto run = read_run(dir + "/phases");
  CHECK(run.schema_errors == 0);
  CHECK(run.phases == std::vector<std::string>{"discovery", "analysis"});
  std::uint64_t analysis_id = 0;
  for (const auto& entry : run.spans)
    if (entry.second.name == "analysis") {
      analysis_id = entry.first;
      CHECK(entry.second.is_phase);
    }
  int children = 0;
  for (const auto& entry : run.spans)
    if (entry.second.name == "analyze") {
      CHECK(entry.second.parent == analysis_id);
      ++children;
    }
  CHECK(children == 3);
  const std::string summary = test_support::read_file(dir + "/phases/run_summary.json");
  CHECK(test_support::json_int(summary, "/phases/discovery/spans") == 1);
  CHECK(test_support::json_int(summary, "/phases/analysis/spans") == 6);
  CHECK(test_support::json_int(summary, "/phases/analysis/wall_ns") > 0);
  CHECK(test_support::json_int(summary, "/totals/spans") == 9);  // the two phases and seven spans
  CHECK(test_support::json_int(summary, "/totals/counters/leaves") == 4);
}

TEST_CASE("async spans end on another thread, before or after their begin is drained") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "async")));
  spanlog::async_begin("request", 1, "route", "/a");
  std::thread([] { spanlog::async_end(1, "status", 200); }).join();
  std::thread([] { spanlog::async_begin("job", 2); }).join();
  spanlog::flush();
  spanlog::async_end(2);
  spanlog::stop();
  const auto run = read_run(dir + "/async");
  CHECK(run.schema_errors == 0);
  CHECK(run.end_without_start == 0);
  int found = 0;
  for (const auto& entry : run.spans) {
    const auto& s = entry.second;
    CHECK(s.ends == 1);
    if (s.name == "request") {
      ++found;
      CHECK(s.attrs_json.find("\"route\":\"/a\"") != std::string::npos);
      CHECK(s.attrs_json.find("\"status\":200") != std::string::npos);
    }
    if (s.name == "job") ++found;
  }
  CHECK(found == 2);
}

TEST_CASE("a span still open at a drain shows its span_start first; one open at stop is counted") {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(test_options(dir, "open")));
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  std::thread t([&] {
    SPANLOG_SPAN("long-running");
    started = true;
    while (!release) std::this_thread::yield();
  });
  while (!started) std::this_thread::yield();
  spanlog::flush();
  {
    const auto mid = read_run(dir + "/open");
    REQUIRE(mid.spans.size() == 1);
    CHECK(mid.spans.begin()->second.started_alone);
    CHECK(mid.spans.begin()->second.dur_ns == -1);
  }
  release = true;
  t.join();
  auto* hung = new std::atomic<bool>(false);
  started = false;
  std::thread stuck([hung, &started] {
    SPANLOG_SPAN("never-ends-before-stop");
    started = true;
    while (!*hung) std::this_thread::yield();
  });
  while (!started) std::this_thread::yield();
  spanlog::flush();
  spanlog::stop();
  *hung = true;
  stuck.join();
  delete hung;
  const auto run = read_run(dir + "/open");
  CHECK(run.schema_errors == 0);
  CHECK(test_support::json_int(run.footer, "/open_spans") == 1);
  int ended = 0, open = 0;
  for (const auto& entry : run.spans) (entry.second.dur_ns >= 0 ? ended : open)++;
  CHECK(ended == 1);
  CHECK(open == 1);
}

TEST_CASE("the live OTLP/JSON file holds every ended span, typed, under the run's trace id") {
  const std::string dir = test_support::make_temp_dir();
  auto o = test_options(dir, "otlp");
  o.otlp = true;
  REQUIRE(spanlog::start(o));
  {
    SPANLOG_SPAN("request", "route", "/users", "attempt", 2, "ratio", 0.5, "cached", false);
    SPANLOG_SPAN_SET("tokens", 1200);
    { SPANLOG_SPAN("db.query"); }
    SPANLOG_SPAN_ERROR("timeout");
  }
  spanlog::flush();
  for (int i = 0; i < 10; ++i) leaf(i);
  spanlog::stop();
  const auto run = read_run(dir + "/otlp");
  const std::string text = test_support::read_file(dir + "/otlp/traces.otlp.jsonl");
  simdjson::dom::parser parser;
  std::size_t lines = 0, spans = 0;
  const std::string trace_id = spanlog::detail::OtlpLiveWriter::trace_id("otlp");
  CHECK(trace_id.size() == 32);
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t nl = text.find('\n', start);
    REQUIRE(nl != std::string::npos);
    simdjson::dom::element line;
    REQUIRE(!parser.parse(text.substr(start, nl - start)).get(line));
    start = nl + 1;
    ++lines;
    simdjson::dom::array list;
    REQUIRE(!line.at_pointer("/resourceSpans/0/scopeSpans/0/spans").get(list));
    std::string_view service;
    CHECK(!line.at_pointer("/resourceSpans/0/resource/attributes/0/value/stringValue").get(service));
    for (simdjson::dom::element span : list) {
      ++spans;
      std::string_view id, name, trace;
      REQUIRE(!span["spanId"].get(id));
      REQUIRE(!span["name"].get(name));
      REQUIRE(!span["traceId"].get(trace));
      CHECK(trace == trace_id);
      const auto found = run.spans.find(std::stoull(std::string(id), nullptr, 16));
      REQUIRE(found != run.spans.end());
      CHECK(found->second.name == name);
      std::string_view start_ns, end_ns;
      REQUIRE(!span["startTimeUnixNano"].get(start_ns));
      REQUIRE(!span["endTimeUnixNano"].get(end_ns));
      CHECK(std::stoll(std::string(end_ns)) - std::stoll(std::string(start_ns)) == found->second.dur_ns);
      if (name == "request") {
        std::int64_t code = 0;
        CHECK(!span.at_pointer("/status/code").get(code));
        CHECK(code == 2);
        const std::string attrs = simdjson::minify(span["attributes"]);
        CHECK(attrs.find("{\"key\":\"route\",\"value\":{\"stringValue\":\"/users\"}}") != std::string::npos);
        CHECK(attrs.find("{\"key\":\"attempt\",\"value\":{\"intValue\":\"2\"}}") != std::string::npos);
        CHECK(attrs.find("{\"key\":\"ratio\",\"value\":{\"doubleValue\":0.5}}") != std::string::npos);
        CHECK(attrs.find("{\"key\":\"cached\",\"value\":{\"boolValue\":false}}") != std::string::npos);
        CHECK(attrs.find("{\"key\":\"tokens\",\"value\":{\"intValue\":\"1200\"}}") != std::string::npos);
      }
    }
  }
  CHECK(lines >= 2);  // one per drain that ended spans: before and after the flush
  CHECK(spans == run.spans.size());
}

namespace {

// Spans of every kind a `spans` record may or may not hold: plain nested ones with attributes (some set
// while open), errors, a phase, and children of a span on another thread.
void record_every_kind(int n) {
  SPANLOG_PHASE("load");
  const spanlog::SpanContext outer = spanlog::current_span();
  for (int i = 0; i < n; ++i) {
    SPANLOG_SPAN("request", "key", i, "bytes", 4096 + i);
    {
      SPANLOG_SPAN("parse", "i", i);
      if (i % 7 == 0) SPANLOG_SPAN_SET("late", i);
    }
    if (i % 100 == 0) {
      SPANLOG_SPAN("fails");
      SPANLOG_SPAN_ERROR("bad input");
    }
  }
  std::thread([outer] {
    for (int i = 0; i < 10; ++i) {
      SPANLOG_SPAN_CHILD_OF(outer, "remote.child", "i", i);
    }
  }).join();
}

// What identifies a span but its id and times: its name, its parent's name, thread, status and attributes.
std::multiset<std::string> span_identities(const test_support::RunContents& run) {
  std::multiset<std::string> out;
  for (const auto& entry : run.spans) {
    const auto& s = entry.second;
    const auto parent = run.spans.find(s.parent);
    out.insert(s.name + " < " + (parent == run.spans.end() ? std::string("-") : parent->second.name) + " " +
               s.status + " " + s.message + " " + s.attrs_json + (s.is_phase ? " phase" : ""));
  }
  return out;
}

std::size_t count_kind(const test_support::RunContents& run, const std::string& kind) {
  return static_cast<std::size_t>(std::count(run.kinds.begin(), run.kinds.end(), kind));
}

}  // namespace

TEST_CASE(
    "spans as rows or as lines: the same spans; errors, phases and remote parents keep lines of their own") {
  const std::string dir = test_support::make_temp_dir();
  constexpr int n = 3000;
  for (const bool rows : {true, false}) {
    auto o = test_options(dir, rows ? "rows" : "lines");
    o.span_rows = rows;
    REQUIRE(spanlog::start(o));
    // A thread of its own: its ring is new, so the run holds only these spans.
    std::thread([] { record_every_kind(n); }).join();
    spanlog::stop();
  }
  const auto as_rows = read_run(dir + "/rows"), as_lines = read_run(dir + "/lines");
  CHECK(as_rows.schema_errors == 0);
  CHECK(as_lines.schema_errors == 0);
  const std::size_t expected = 1 + n * 2 + n / 100 + (n % 100 != 0) + 10;
  CHECK(as_rows.spans.size() == expected);
  CHECK(span_identities(as_rows) == span_identities(as_lines));
  CHECK(count_kind(as_lines, "spans") == 0);
  CHECK(count_kind(as_rows, "spans") > 0);
  // A row holds a complete span that is ok, not a phase, with no parent on another thread; every other span
  // has lines of its own, and so has a span still open when its batch was drained.
  std::size_t from_rows = 0, started_alone = 0;
  for (const auto& entry : as_rows.spans) {
    const auto& s = entry.second;
    const bool row_kind = s.status == "ok" && !s.is_phase && s.name != "remote.child";
    CHECK_MESSAGE((!s.from_row || row_kind), s.name);
    from_rows += s.from_row;
    started_alone += s.started_alone && row_kind;
  }
  CHECK(from_rows + started_alone == n * 2);
  CHECK(started_alone < 50);
  for (const auto& entry : as_rows.spans) {
    if (entry.second.name != "parse") continue;
    CHECK(entry.second.attrs_json.find("\"i\":") != std::string::npos);
  }
  CHECK(test_support::json_int(as_rows.footer, "/spans") == static_cast<std::int64_t>(expected));
  CHECK(test_support::read_file(dir + "/rows/telemetry.jsonl")
            .find("\"fields\":[\"name\",\"span_id\",\"parent\","
                  "\"ts\",\"dur_ns\",\"attrs\"]") != std::string::npos);
}

TEST_CASE("a span with two integer attributes takes under 100 bytes of the file as a row") {
  const std::string dir = test_support::make_temp_dir();
  constexpr int n = 200000;
  REQUIRE(spanlog::start(test_options(dir, "compact")));
  std::thread([] {
    for (int i = 0; i < n; ++i) {
      SPANLOG_SPAN("memtable.insert", "key", 1000000007LL * i, "bytes", 4096 + i % 1000);
    }
  }).join();
  spanlog::stop();
  const auto size = std::filesystem::file_size(dir + "/compact/telemetry.jsonl");
  const double per_span = static_cast<double>(size) / n;
  INFO("bytes per span: " << per_span);
  CHECK(per_span < 100);
  const auto run = read_run(dir + "/compact");
  CHECK(run.spans.size() == static_cast<std::size_t>(n));
}

TEST_CASE("integers are written as std::to_string writes them, at every digit count and both ends") {
  spanlog::detail::JsonlWriter w;
  std::string expected;
  auto both = [&](std::uint64_t v) {
    w.u64(v);
    w.raw(' ');
    w.i64(static_cast<std::int64_t>(v));
    w.raw(' ');
    expected += std::to_string(v) + ' ' + std::to_string(static_cast<std::int64_t>(v)) + ' ';
  };
  std::uint64_t power = 1;
  for (int digits = 1; digits <= 20; ++digits) {
    both(power - 1);
    both(power);
    both(power + 1);
    if (digits < 20) power *= 10;
  }
  for (std::uint64_t v :
       {std::uint64_t{0}, ~std::uint64_t{0}, std::uint64_t{1} << 63, (std::uint64_t{1} << 63) - 1})
    both(v);
  for (std::uint64_t v = 1; v < (std::uint64_t{1} << 62); v = v * 3 + 1) both(v);
  CHECK(std::string(w.data(), w.size()) == expected);
}
