// One session per process across an executable, a shared library linked at build time and plugins loaded
// with dlopen(RTLD_NOW | RTLD_LOCAL), all built with hidden visibility, the executable without -rdynamic
// (tests/shared_libraries/). Each image carries its own copy of the implementation.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "support/process.hpp"
#include "support/run_reader.hpp"
#include "support/temp_dir.hpp"

using test_support::env;
using test_support::run;
using test_support::TempDir;

namespace {

std::vector<std::string> run_directories(const std::filesystem::path& dir) {
  std::vector<std::string> runs;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_directory() && !entry.is_symlink()) runs.push_back(entry.path().string());
  return runs;
}

std::string app(const std::string& dir, const std::string& args, const std::string& extra_env = "") {
  return run("SPANLOG_DIR=" + dir + " " + extra_env + " " + env("SPANLOG_TEST_APP") + " " + args);
}

std::map<std::string, int> span_names(const test_support::RunContents& r) {
  std::map<std::string, int> names;
  for (const auto& [id, s] : r.spans) ++names[s.name];
  return names;
}

// Every span named `child` has a parent named `parent` on its own thread.
void check_children(const test_support::RunContents& r, const std::string& child, const std::string& parent,
                    int expected) {
  int seen = 0;
  for (const auto& entry : r.spans) {
    const std::uint64_t id = entry.first;
    const test_support::SpanRecordLine& s = entry.second;
    if (s.name != child) continue;
    ++seen;
    INFO(child << " span " << id);
    REQUIRE(r.spans.count(s.parent) == 1);
    const auto& p = r.spans.at(s.parent);
    CHECK(p.name == parent);
    CHECK(p.tid == s.tid);
  }
  CHECK(seen == expected);
}

}  // namespace

TEST_CASE("an executable, a linked library and a plugin, all hidden, record one run") {
  TempDir dir;
  const std::string out = app(dir.path().string(), "trio " + env("SPANLOG_TEST_PLUGIN"));
  CHECK(out.find("flusher_threads 1\n") != std::string::npos);  // one flusher
  const auto runs = run_directories(dir.path());
  REQUIRE(runs.size() == 1);
  const auto r = test_support::read_run(runs[0]);
  CHECK(r.schema_errors == 0);
  check_children(r, "library.work", "app.request", 2);
  check_children(r, "plugin.work", "app.request", 2);
  std::set<std::uint64_t> threads;
  for (const auto& [id, s] : r.spans) threads.insert(s.tid);
  CHECK(threads.size() == 2);  // the main thread and the worker
  CHECK(r.counter_int_sums.at("app.calls") == 2);
  CHECK(r.counter_int_sums.at("library.calls") == 2);
  CHECK(r.counter_int_sums.at("plugin.calls") == 2);
  CHECK(r.instants.size() == 2);
}

TEST_CASE("a plugin loaded after the run started records into it") {
  TempDir dir;
  const std::string out = app(dir.path().string(), "late " + env("SPANLOG_TEST_PLUGIN"));
  CHECK(out.find("flusher_threads 1\n") != std::string::npos);
  const auto runs = run_directories(dir.path());
  REQUIRE(runs.size() == 1);
  const auto r = test_support::read_run(runs[0]);
  CHECK(r.schema_errors == 0);
  CHECK(span_names(r)["app.request"] == 3);
  check_children(r, "plugin.work", "app.request", 2);
  check_children(r, "library.work", "app.request", 3);
  CHECK(r.counter_int_sums.at("plugin.calls") == 2);
}

TEST_CASE("a plugin unloaded while its records are in a ring: every name is its own, none read unmapped") {
  TempDir dir;
  // A long flush interval keeps the first plugin's records in the ring until it is unloaded.
  app(dir.path().string(), "unload " + env("SPANLOG_TEST_PLUGIN") + " " + env("SPANLOG_TEST_PLUGIN_RENAMED"),
      "SPANLOG_FLUSH_INTERVAL_MS=60000 SPANLOG_OVERFLOW=block");
  const auto runs = run_directories(dir.path());
  REQUIRE(runs.size() == 1);
  const auto r = test_support::read_run(runs[0]);
  CHECK(r.schema_errors == 0);
  const auto names = span_names(r);
  constexpr int spans = 20000;  // per plugin (app.cpp)
  CHECK(names.at("plugin.work") == spans);
  CHECK(names.at("rename.work") == spans);
  for (const auto& entry : names) {
    const std::string& name = entry.first;
    INFO(name);
    CHECK(
        (name == "plugin.work" || name == "rename.work" || name == "app.request" || name == "library.work"));
  }
  check_children(r, "plugin.work", "app.request", spans);
  check_children(r, "rename.work", "app.request", spans);
  CHECK(r.counter_int_sums.at("plugin.calls") == spans);
  CHECK(r.counter_int_sums.at("rename.calls") == spans);
  int first_events = 0, second_events = 0;
  for (const auto& name : r.instants) {
    first_events += name == "plugin.event";
    second_events += name == "rename.event";
  }
  CHECK(first_events == spans);
  CHECK(second_events == spans);
  for (const auto& [id, s] : r.spans) {
    if (s.name == "plugin.work")
      CHECK(s.attrs_json.find("\"plugin.key\":\"plugin.value\"") != std::string::npos);
    if (s.name == "rename.work")
      CHECK(s.attrs_json.find("\"rename.key\":\"rename.value\"") != std::string::npos);
  }
}

TEST_CASE("a plugin with a spanlog of another ABI keeps to itself, writes its own run and says so") {
  TempDir dir;
  const std::string out = app(dir.path().string(), "other_abi " + env("SPANLOG_TEST_PLUGIN_OTHER_ABI"));
  CHECK(out.find("another spanlog build") != std::string::npos);
  CHECK(out.find("flusher_threads 2\n") != std::string::npos);  // a session of its own
  const auto runs = run_directories(dir.path());
  REQUIRE(runs.size() == 2);
  std::map<std::string, int> all;
  for (const auto& run_dir : runs) {
    const auto r = test_support::read_run(run_dir);
    CHECK(r.schema_errors == 0);
    CHECK(!r.footer.empty());
    const auto names = span_names(r);
    // Each run holds one copy's spans only.
    CHECK((names.count("plugin.work") == 0 || names.count("app.request") == 0));
    for (const auto& [name, count] : names) all[name] += count;
  }
  CHECK(all["app.request"] == 2);
  CHECK(all["plugin.work"] == 2);
}

TEST_CASE("a forked child records through every image into a run of its own") {
  TempDir dir;
  app(dir.path().string(), "fork " + env("SPANLOG_TEST_PLUGIN"));
  const auto runs = run_directories(dir.path());
  REQUIRE(runs.size() == 2);
  for (const auto& run_dir : runs) {
    const bool is_child = run_dir.find("-fork-") != std::string::npos;
    INFO(run_dir);
    const auto r = test_support::read_run(run_dir);
    CHECK(r.schema_errors == 0);
    const int requests = is_child ? 10 : 1;  // fork_child_requests in app.cpp, or the parent's one
    const auto names = span_names(r);
    CHECK(names.count("app.request") == 1);
    if (names.count("app.request")) CHECK(names.at("app.request") == requests);
    check_children(r, "library.work", "app.request", requests);
    check_children(r, "plugin.work", "app.request", requests);
    CHECK(r.counter_int_sums.at("plugin.calls") == requests);
  }
}

TEST_CASE(
    "a crash inside a plugin, in the first flush interval: the run holds every image's spans and the crash") {
  TempDir dir;
  const auto result = test_support::try_run("SPANLOG_DIR=" + dir.path().string() + " " +
                                            env("SPANLOG_TEST_APP") + " crash " + env("SPANLOG_TEST_PLUGIN"));
  INFO(result.output);
  // Died of SIGSEGV: the shell's exit status for it, as try_run reports a signal too.
  CHECK(result.status == 128 + SIGSEGV);
  const auto runs = run_directories(dir.path());
  REQUIRE(runs.size() == 1);
  const auto r = test_support::read_run(runs[0]);
  CHECK(r.schema_errors == 0);
  CHECK(r.kinds.back() == "crash");
  CHECK(r.crash_signal == SIGSEGV);
  CHECK(r.footer.empty());
  int completed_plugin = 0, completed_library = 0, open_plugin = 0, open_app = 0;
  for (const auto& [id, s] : r.spans) {
    completed_plugin += s.name == "plugin.work" && s.dur_ns >= 0;
    completed_library += s.name == "library.work" && s.dur_ns >= 0;
    open_plugin += s.name == "plugin.crashing" && s.dur_ns < 0;
    open_app += s.name == "app.request" && s.dur_ns < 0;
  }
  CHECK(completed_plugin == 100);
  CHECK(completed_library == 100);
  CHECK(open_plugin == 1);
  CHECK(open_app == 1);
}
