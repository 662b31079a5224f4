// Log lines as the recorder writes them: every level, the run-time level, the message formatted by the flusher
// from the arguments copied on the calling thread, its holes as typed attributes, its site, and the span of
// the thread it was logged in.
#include <doctest/doctest.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/run_options.hpp"
#include "support/run_reader.hpp"

using test_support::read_run;

namespace {

spanlog::Options log_options(const std::string& dir, const char* run_id, spanlog::LogLevel level) {
  spanlog::Options o = test_support::run_options(dir, run_id, spanlog::OverflowPolicy::block);
  o.log_level = level;
  return o;
}

test_support::RunContents record(const char* run_id, spanlog::LogLevel level, void (*body)()) {
  const std::string dir = test_support::make_temp_dir();
  REQUIRE(spanlog::start(log_options(dir, run_id, level)));
  body();
  spanlog::stop();
  return read_run(dir + "/" + run_id);
}

void every_level() {
  SPANLOG_LOG_TRACE("trace {n}", 0);
  SPANLOG_LOG_DEBUG("debug {n}", 1);
  SPANLOG_LOG_INFO("info {n}", 2);
  SPANLOG_LOG_WARN("warn {n}", 3);
  SPANLOG_LOG_ERROR("error {n}", 4);
}

std::vector<std::string> levels_of(const test_support::RunContents& run) {
  std::vector<std::string> levels;
  for (const auto& log : run.logs) levels.push_back(log.level);
  return levels;
}

}  // namespace

TEST_CASE("every level is written at the run-time level trace, and only warn and error at warn") {
  const auto all = record("all_levels", spanlog::LogLevel::trace, every_level);
  CHECK(all.schema_errors == 0);
  CHECK(levels_of(all) == std::vector<std::string>{"trace", "debug", "info", "warn", "error"});
  REQUIRE(all.logs.size() == 5);
  CHECK(all.logs[3].msg == "warn 3");
  CHECK(all.logs[3].attrs == R"({"n":3})");

  const auto warn = record("warn_and_up", spanlog::LogLevel::warn, every_level);
  CHECK(levels_of(warn) == std::vector<std::string>{"warn", "error"});
  CHECK(warn.footer.find("\"logs\":2") != std::string::npos);
}

TEST_CASE("the message is formatted from the holes, each argument an attribute of its type") {
  const auto run = record("formatted", spanlog::LogLevel::info, [] {
    const std::string table = "users \"eu\"";
    const std::string_view view = "v";
    SPANLOG_LOG_INFO("fetched {rows} rows from {table} in {ms:.1f} ms", 42, table, 3.14159);
    SPANLOG_LOG_WARN("{{literal}} {} and {} from {view}", true, std::uint64_t{18446744073709551615u}, view);
    SPANLOG_LOG_ERROR("{neg:+d} {mismatch:d}", -7, "text");
    SPANLOG_LOG_ERROR("no holes at all");
  });
  REQUIRE(run.logs.size() == 4);
  CHECK(run.logs[0].msg == "fetched 42 rows from users \"eu\" in 3.1 ms");
  CHECK(run.logs[0].attrs == R"({"rows":42,"table":"users \"eu\"","ms":3.14159})");
  CHECK(run.logs[1].msg == "{literal} true and 18446744073709551615 from v");
  CHECK(run.logs[1].attrs == R"({"0":true,"1":18446744073709551615,"view":"v"})");
  // A spec that does not suit its value leaves the value as it is.
  CHECK(run.logs[2].msg == "-7 text");
  CHECK(run.logs[3].msg == "no holes at all");
  CHECK(run.logs[3].attrs.empty());
  CHECK(run.logs[0].file.find("recorder_logs.cpp") != std::string::npos);
  CHECK(run.logs[0].line > 0);
  CHECK(run.logs[1].line == run.logs[0].line + 1);
}

TEST_CASE("a level chosen at run time, through SPANLOG_LOG") {
  const auto run = record("runtime_level", spanlog::LogLevel::info, [] {
    for (spanlog::LogLevel level : {spanlog::LogLevel::debug, spanlog::LogLevel::info, spanlog::LogLevel::error})
      SPANLOG_LOG(level, "chosen {level}", static_cast<int>(level));
  });
  CHECK(levels_of(run) == std::vector<std::string>{"info", "error"});
  REQUIRE(run.logs.size() == 2);
  CHECK(run.logs[1].msg == "chosen 4");
}

TEST_CASE("a string argument is cut at the documented limit, on a UTF-8 boundary") {
  const auto run = record("long_string", spanlog::LogLevel::info, [] {
    const std::string long_text(SPANLOG_MAX_STRING_BYTES + 50, 'x');
    SPANLOG_LOG_INFO("{text}", long_text);
  });
  REQUIRE(run.logs.size() == 1);
  CHECK(run.logs[0].msg == std::string(SPANLOG_MAX_STRING_BYTES, 'x'));
}

TEST_CASE("each line carries the innermost open span of its own thread, on several threads") {
  const auto run = record("span_ids", spanlog::LogLevel::info, [] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([t] {
        SPANLOG_LOG_INFO("outside {t}", t);
        SPANLOG_SPAN("outer", "t", t);
        SPANLOG_LOG_INFO("in outer {t}", t);
        {
          SPANLOG_SPAN("inner", "t", t);
          SPANLOG_LOG_INFO("in inner {t}", t);
        }
        SPANLOG_LOG_INFO("back in outer {t}", t);
      });
    for (auto& th : threads) th.join();
  });
  REQUIRE(run.logs.size() == 16);
  std::map<std::uint64_t, std::set<std::string>> names_by_span;
  for (const auto& log : run.logs) {
    if (log.msg.rfind("outside", 0) == 0) {
      CHECK(log.span_id == 0);
      continue;
    }
    REQUIRE(run.spans.count(log.span_id) == 1);
    const auto& span = run.spans.at(log.span_id);
    CHECK(span.tid == log.tid);
    const std::string expected = log.msg.rfind("in inner", 0) == 0 ? "inner" : "outer";
    CHECK(span.name == expected);
    names_by_span[log.span_id].insert(log.msg);
  }
  CHECK(names_by_span.size() == 8);  // an outer and an inner span a thread
}
