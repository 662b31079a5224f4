// Log lines as the recorder writes them: every level, the run-time level, the message formatted by the
// flusher from the arguments copied on the calling thread, its holes as typed attributes, its site, the span
// of the thread it was logged in; drops, blocking, a crash and the console.
#include <doctest/doctest.h>
// This program compiles the implementation itself: a crash test resets its handlers in a forked child.
#define SPANLOG_IMPLEMENTATION
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
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
    for (spanlog::LogLevel level :
         {spanlog::LogLevel::debug, spanlog::LogLevel::info, spanlog::LogLevel::error})
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
  CHECK(run.footer.find("\"strings_cut\":1,") != std::string::npos);  // cut, and counted
}

TEST_CASE("every attribute type a log line takes") {
  enum class Colour { red = 3 };
  const auto run = record("argument_types", spanlog::LogLevel::info, [] {
    const char* pointer = "ptr";
    char array[8] = "array";
    const std::string text = "text";
    SPANLOG_LOG_INFO("{i8} {u16} {i32} {u32} {i64} {u64} {f} {d} {b} {e} {p} {a} {s} {v} {lit}",
                     static_cast<signed char>(-8), static_cast<unsigned short>(16), -32, 32u,
                     std::int64_t{-64}, std::uint64_t{64}, 1.5f, -2.25, true, Colour::red, pointer, array,
                     text, std::string_view(text).substr(1), "literal");
  });
  REQUIRE(run.logs.size() == 1);
  CHECK(run.logs[0].msg == "-8 16 -32 32 -64 64 1.5 -2.25 true 3 ptr array text ext literal");
  CHECK(run.logs[0].attrs ==
        R"({"i8":-8,"u16":16,"i32":-32,"u32":32,"i64":-64,"u64":64,"f":1.5,"d":-2.25,"b":true,"e":3,)"
        R"("p":"ptr","a":"array","s":"text","v":"ext","lit":"literal"})");
  CHECK(run.footer.find("\"strings_cut\":0,") != std::string::npos);
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

namespace {

// Logs `count` lines as fast as one thread can, into a 4 KiB ring that may not grow.
test_support::RunContents flood(const char* run_id, spanlog::OverflowPolicy policy, int count) {
  const std::string dir = test_support::make_temp_dir();
  spanlog::Options o = log_options(dir, run_id, spanlog::LogLevel::info);
  o.overflow = policy;
  o.ring_bytes = o.ring_max_bytes = 4096;
  o.flush_interval = std::chrono::milliseconds(50);
  REQUIRE(spanlog::start(o));
  std::thread([count] {
    const std::string text(20, 't');
    for (int i = 0; i < count; ++i) SPANLOG_LOG_INFO("line {i} of {count}: {text}", i, count, text);
  }).join();
  spanlog::stop();
  return read_run(dir + "/" + run_id);
}

std::uint64_t footer_logs(const test_support::RunContents& run) {
  const auto at = run.footer.find("\"logs\":");
  REQUIRE(at != std::string::npos);
  return std::stoull(run.footer.substr(at + 7));
}

}  // namespace

TEST_CASE("a full ring under drop: every line is written or counted as dropped, none lost silently") {
  constexpr int count = 20000;
  const auto run = flood("flood_drop", spanlog::OverflowPolicy::drop, count);
  CHECK(run.schema_errors == 0);
  const std::uint64_t dropped = run.dropped.count("events") ? run.dropped.at("events") : 0;
  CHECK(dropped > 0);  // a 4 KiB ring cannot keep up with 20000 lines
  CHECK(run.logs.size() + dropped == count);
  CHECK(footer_logs(run) == run.logs.size());
}

TEST_CASE("a full ring under block: every line is written, in order") {
  constexpr int count = 20000;
  const auto run = flood("flood_block", spanlog::OverflowPolicy::block, count);
  REQUIRE(run.logs.size() == count);
  for (int i = 0; i < count; i += 997)
    CHECK(run.logs[static_cast<std::size_t>(i)].msg ==
          "line " + std::to_string(i) + " of 20000: " + std::string(20, 't'));
}

TEST_CASE("a crash writes the log lines still in the rings, formatted without fmt") {
  const std::string dir = test_support::make_temp_dir();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Handlers from the default action: doctest's are below spanlog's in this process.
    for (int sig : spanlog::detail::crash_signals) ::signal(sig, SIG_DFL);
    spanlog::detail::g_crash_handlers_installed = false;
    spanlog::Options o = log_options(dir, "crash", spanlog::LogLevel::info);
    o.flush_interval = std::chrono::milliseconds(60000);  // nothing is written before the crash
    spanlog::start(o);
    SPANLOG_SPAN("request");
    SPANLOG_LOG_WARN("retrying {url} after {ms:.1f} ms, attempt {n} of {max}", "https://x/\"q\"", 2.5, -3,
                     5u);
    SPANLOG_LOG_ERROR("giving up: {ok}", false);
    std::abort();
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  const auto run = read_run(dir + "/crash");
  CHECK(run.schema_errors == 0);
  CHECK(run.crash_signal == SIGABRT);
  REQUIRE(run.logs.size() == 2);
  CHECK(run.logs[0].level == "warn");
  CHECK(run.logs[0].msg == "retrying https://x/\"q\" after 2.500000 ms, attempt -3 of 5");
  CHECK(run.logs[0].attrs == R"({"url":"https://x/\"q\"","ms":2.5,"n":-3,"max":5})");
  CHECK(run.logs[1].msg == "giving up: false");
  REQUIRE(run.logs[0].span_id != 0);
  REQUIRE(run.spans.count(run.logs[0].span_id) == 1);
  CHECK(run.spans.at(run.logs[0].span_id).name == "request");
}

TEST_CASE("the console prints the lines at or above its level on stderr, for a person") {
  const std::string dir = test_support::make_temp_dir();
  const std::string captured = dir + "/stderr.txt";
  const int saved = ::dup(2);
  const int file = ::open(captured.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(file >= 0);
  ::dup2(file, 2);
  spanlog::Options o = log_options(dir, "console", spanlog::LogLevel::debug);
  o.log_console = spanlog::LogLevel::warn;
  REQUIRE(spanlog::start(o));
  spanlog::set_thread_name("console-thread");
  {
    SPANLOG_SPAN("fetch");
    SPANLOG_LOG_WARN("retrying {url}", "https://example.com");
    SPANLOG_LOG_INFO("not on the console {n}", 1);
  }
  SPANLOG_LOG_ERROR("giving up after {attempts} attempts", 3);
  spanlog::stop();
  ::dup2(saved, 2);
  ::close(saved);
  ::close(file);
  std::ifstream in(captured);
  std::stringstream text;
  text << in.rdbuf();
  const std::string console = text.str();
  CAPTURE(console);
  CHECK(console.find("WARN  [console-thread] fetch: retrying https://example.com\n") != std::string::npos);
  CHECK(console.find("ERROR [console-thread] giving up after 3 attempts\n") != std::string::npos);
  CHECK(console.find("not on the console") == std::string::npos);
  CHECK(console.find("\033[") == std::string::npos);  // not a terminal: no colour
  const auto run = read_run(dir + "/console");
  CHECK(run.logs.size() == 3);  // the file has every recorded line, the console only warn and up
}
