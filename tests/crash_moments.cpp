// A crash at any moment leaves the run on disk: the header, every record the rings held, the spans open at
// the crash and the crash record. Each moment is reached in a child program (crash_moments/child.cpp) by a
// crash point compiled only into it, and tried 100 times; every trial must pass. Then SIGTERM and SIGINT
// (the run written whole, then the signal's own death), a program's own handler kept, and quick_exit.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/process.hpp"
#include "support/run_reader.hpp"

extern char** environ;

namespace {

constexpr int trials = 100;

struct Death {
  int signal = 0;      // the signal the child died of, or 0
  int exit_code = -1;  // its exit status, when it exited
};

using Variables = std::vector<std::pair<std::string, std::string>>;

// Runs the child with `scenario`, its run in dir/run_id, and these extra environment variables.
Death run_child(const std::string& scenario, const std::string& dir, const std::string& run_id,
                const Variables& extra) {
  static const std::string child = test_support::env("SPANLOG_CRASH_CHILD");
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    if (entry.rfind("SPANLOG", 0) != 0) env.push_back(entry);
  }
  env.push_back("SPANLOG_DIR=" + dir);
  env.push_back("SPANLOG_RUN_ID=" + run_id);
  bool interval_given = false;
  for (const auto& [name, value] : extra) {
    env.push_back(name + "=" + value);
    interval_given = interval_given || name == "SPANLOG_FLUSH_INTERVAL_MS";
  }
  if (!interval_given)
    env.push_back("SPANLOG_FLUSH_INTERVAL_MS=10");  // the drains a hold waits for come soon
  std::vector<char*> envp;
  for (auto& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string program = child, argument = scenario;
  char* argv[] = {program.data(), argument.data(), nullptr};

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execve(program.c_str(), argv, envp.data());
    ::_exit(127);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("the child " << scenario << " hung");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  Death d;
  if (WIFSIGNALED(status)) d.signal = WTERMSIG(status);
  if (WIFEXITED(status)) d.exit_code = WEXITSTATUS(status);
  return d;
}

std::size_t complete_spans(const test_support::RunContents& run, const std::string& name) {
  std::size_t n = 0;
  for (const auto& [id, s] : run.spans) n += s.name == name && s.dur_ns >= 0 && s.ends == 1;
  return n;
}

std::size_t open_spans(const test_support::RunContents& run, const std::string& name) {
  std::size_t n = 0;
  for (const auto& [id, s] : run.spans) n += s.name == name && s.dur_ns < 0;
  return n;
}

struct ExpectedCrash {
  const char* completed_name = "before.crash";
  std::size_t completed = 0;
  const char* open_name = "crashing";  // nullptr: no span is open
  int signal = SIGSEGV;
};

// One trial's verdict, with what was wrong; the file's lines were checked one by one by read_run.
std::string crashed_run_problems(const test_support::RunContents& run, const Death& d,
                                 const ExpectedCrash& want) {
  std::string problems;
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) problems += what + "; ";
  };
  expect(d.signal == want.signal, "died of signal " + std::to_string(d.signal) + ", exit " +
                                      std::to_string(d.exit_code) + ", not of " +
                                      std::to_string(want.signal));
  expect(!run.header.empty(), "no header");
  expect(run.footer.empty(), "a footer in a crashed run");
  expect(!run.kinds.empty() && run.kinds.back() == "crash", "the last line is not the crash record");
  expect(run.crash_signal == want.signal, "the crash record says signal " + std::to_string(run.crash_signal));
  const std::size_t completed = complete_spans(run, want.completed_name);
  expect(completed == want.completed, std::to_string(completed) + " complete " + want.completed_name +
                                          " spans, not " + std::to_string(want.completed));
  if (want.open_name) expect(open_spans(run, want.open_name) == 1, std::string("no open ") + want.open_name);
  expect(run.end_without_start == 0, "span_end lines without their start");
  return problems;
}

// `trials` runs of the child, each into a run of its own (its directory is the run id and `suffix`). `check`
// looks at one trial (its CHECKs fail the test) and says whether it passed; the first that did not ends the
// loop, so a broken build reports one trial, not a hundred.
template <class Check>
void for_each_trial(const std::string& scenario, const Variables& extra, const std::string& suffix,
                    Check&& check) {
  const std::string dir = test_support::make_temp_dir();
  for (int trial = 1; trial <= trials; ++trial) {
    const std::string run_id = "trial-" + std::to_string(trial);
    const Death d = run_child(scenario, dir, run_id, extra);
    INFO("trial " << trial << " of " << scenario << " in " << dir);
    const std::string run_dir = dir + "/" + run_id + suffix;
    if (!check(d, run_dir)) break;
    std::filesystem::remove_all(run_dir);
  }
}

// Every trial leaves the run whole, as `want` says.
void every_trial_complete(const std::string& scenario, const Variables& extra, const ExpectedCrash& want) {
  for_each_trial(scenario, extra, "", [&](const Death& d, const std::string& run_dir) {
    const auto run = test_support::read_run(run_dir);
    const std::string problems = crashed_run_problems(run, d, want);
    CHECK_MESSAGE(problems.empty(), problems);
    return problems.empty() && run.schema_errors == 0;
  });
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CRASH_MOMENTS_UNDER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CRASH_MOMENTS_UNDER_TSAN 1
#endif

// The signal a process dies of when a second fault comes inside the crash handler. ThreadSanitizer runs
// every signal handler with all signals blocked, so there the kernel ends the process with the second fault's
// SIGSEGV at once, before any handler can act: the file is still whole lines, which is what is checked.
int first_signal_or_thread_sanitizers(int first) {
#if defined(CRASH_MOMENTS_UNDER_TSAN)
  (void)first;
  return SIGSEGV;
#else
  return first;
#endif
}

}  // namespace

TEST_CASE("5,000 spans and then SIGSEGV in an open span, within the first flush interval: every run whole") {
  every_trial_complete("record_then_crash", {}, {"before.crash", 5000, "crashing", SIGSEGV});
}

TEST_CASE("an uncaught exception: the crash record names its type and what(), and the process aborts") {
  for_each_trial("throw_uncaught", {}, "", [](const Death& d, const std::string& run_dir) {
    const auto run = test_support::read_run(run_dir);
    const std::string problems = crashed_run_problems(run, d, {"before.throw", 100, "throwing", SIGABRT});
    CHECK_MESSAGE(problems.empty(), problems);
    CHECK(run.crash_reason == "uncaught exception std::runtime_error: disk full");
    return problems.empty() && run.crash_reason == "uncaught exception std::runtime_error: disk full";
  });
}

TEST_CASE("a crash before the flusher thread has done anything") {
  every_trial_complete("hold_then_crash", {{"SPANLOG_TEST_HOLD_AT", "flusher.started"}},
                       {"before.crash", 5100, "crashing", SIGSEGV});
}

TEST_CASE("a crash while the run's directory is made and its file opened: the header and the crash") {
  every_trial_complete("record_then_crash", {{"SPANLOG_TEST_CRASH_AT", "start.run_directory"}},
                       {"before.crash", 0, nullptr, SIGSEGV});
}

TEST_CASE("a crash after the file is open, before the flusher thread is launched") {
  every_trial_complete("record_then_crash", {{"SPANLOG_TEST_CRASH_AT", "start.before_launch"}},
                       {"before.crash", 0, nullptr, SIGSEGV});
}

TEST_CASE("a crash while the flusher holds still at the first record of its first drain") {
  every_trial_complete("hold_then_crash", {{"SPANLOG_TEST_HOLD_AT", "flusher.drain@1"}},
                       {"before.crash", 5100, "crashing", SIGSEGV});
}

TEST_CASE("a crash after the ring grew while the flusher held still: the handler follows the link") {
  // A 64 KiB ring holds about 2,000 spans: the 5,100 the flusher never drains make it grow, twice.
  for_each_trial(
      "hold_then_crash", {{"SPANLOG_TEST_HOLD_AT", "flusher.drain@1"}, {"SPANLOG_RING_SIZE", "65536"}}, "",
      [](const Death& d, const std::string& run_dir) {
        const auto run = test_support::read_run(run_dir);
        std::string problems = crashed_run_problems(run, d, {"before.crash", 5100, "crashing", SIGSEGV});
        if (std::count(run.kinds.begin(), run.kinds.end(), "ring_grown") == 0)
          problems += "no ring_grown record; ";
        CHECK_MESSAGE(problems.empty(), problems);
        return problems.empty() && run.schema_errors == 0;
      });
}

TEST_CASE("a crash while the flusher holds still in the middle of a later drain") {
  every_trial_complete("two_drains_then_crash", {{"SPANLOG_TEST_HOLD_AT", "flusher.drain@15000"}},
                       {"before.crash", 10100, "crashing", SIGSEGV});
}

TEST_CASE("a crash during stop(), on another thread") {
  every_trial_complete("crash_during_stop", {{"SPANLOG_TEST_HOLD_AT", "stop.finish"}},
                       {"before.crash", 5000, nullptr, SIGSEGV});
}

TEST_CASE("a crash on a thread registering its ring") {
  every_trial_complete("crash_registering_a_thread", {{"SPANLOG_TEST_CRASH_AT", "ring.register@2"}},
                       {"before.crash", 5000, "crashing", SIGSEGV});
}

// A long flush interval: the flusher drains nothing before the program's flush(), so the crash comes after
// every record is in the ring.
TEST_CASE("a crash in the flusher thread itself, in the middle of a drain") {
  every_trial_complete(
      "flush_then_wait",
      {{"SPANLOG_TEST_CRASH_AT", "flusher.drain@3000"}, {"SPANLOG_FLUSH_INTERVAL_MS", "60000"}},
      {"before.crash", 5000, "crashing", SIGSEGV});
}

// The first write is the header's; the second, the flush's.
TEST_CASE("a crash in the flusher thread itself, about to write what it formatted") {
  every_trial_complete(
      "flush_then_wait",
      {{"SPANLOG_TEST_CRASH_AT", "flusher.write_out@2"}, {"SPANLOG_FLUSH_INTERVAL_MS", "60000"}},
      {"before.crash", 5000, "crashing", SIGSEGV});
}

TEST_CASE("a crash in the flusher thread itself, during stop()") {
  every_trial_complete("crash_in_stop", {{"SPANLOG_TEST_CRASH_AT", "stop.finish"}},
                       {"before.crash", 5000, "crashing", SIGSEGV});
}

TEST_CASE("a crash between two runs: the first run stays whole, and nothing is added to it") {
  for_each_trial("crash_between_runs", {}, "-first", [](const Death& d, const std::string& run_dir) {
    CHECK(d.signal == SIGSEGV);
    const auto run = test_support::read_run(run_dir);
    CHECK(!run.footer.empty());
    CHECK(run.kinds.back() == "footer");
    CHECK(complete_spans(run, "before.crash") == 1000);
    CHECK(run.crash.empty());
    return d.signal == SIGSEGV && !run.footer.empty() && run.crash.empty();
  });
}

TEST_CASE(
    "a second fault inside the crash handler: the process dies of the first signal, the file whole lines") {
  for_each_trial("abort_inside_span", {{"SPANLOG_TEST_CRASH_AT", "crash.drain@100"}}, "",
                 [](const Death& d, const std::string& run_dir) {
                   CHECK(d.signal == first_signal_or_thread_sanitizers(SIGABRT));
                   const auto run = test_support::read_run(run_dir);  // every line checked, the last whole
                   CHECK(!run.header.empty());
                   CHECK(run.crash.empty());  // the handler died before it
                   return d.signal == first_signal_or_thread_sanitizers(SIGABRT) && run.schema_errors == 0;
                 });
}

TEST_CASE("two threads crash at once: one crash record, and the process dies of its signal") {
  for_each_trial("two_threads_crash", {}, "", [](const Death& d, const std::string& run_dir) {
    const auto run = test_support::read_run(run_dir);
    CHECK((d.signal == SIGSEGV || d.signal == SIGFPE));
    CHECK(run.crash_signal == d.signal);
    CHECK(std::count(run.kinds.begin(), run.kinds.end(), "crash") == 1);
    CHECK(complete_spans(run, "before.crash") == 5000);
    return run.crash_signal == d.signal && run.schema_errors == 0;
  });
}

namespace {

// A run written whole because of a termination signal or quick_exit.
void check_written_whole(const std::string& run_dir, const std::string& stopped_by, const char* name,
                         std::size_t spans) {
  const auto run = test_support::read_run(run_dir);
  REQUIRE(!run.footer.empty());
  CHECK(run.kinds.back() == "footer");
  CHECK(run.stopped_by == stopped_by);
  CHECK(run.crash.empty());
  CHECK(complete_spans(run, name) == spans);
  REQUIRE(std::filesystem::exists(run_dir + "/run_summary.json"));
  CHECK(
      test_support::read_file(run_dir + "/run_summary.json").find("\"stopped_by\":\"" + stopped_by + "\"") !=
      std::string::npos);
  // The worker recording meanwhile: every span it began is in the file, at most one of them still open.
  CHECK(open_spans(run, "worker.busy") <= 1);
  CHECK(run.end_without_start == 0);
}

}  // namespace

TEST_CASE(
    "SIGTERM and SIGINT left at their default: the run is written whole, then the signal ends the process") {
  struct Termination {
    const char* scenario;
    int sig;
    const char* name;
  };
  for (const Termination& t :
       {Termination{"sigterm", SIGTERM, "SIGTERM"}, Termination{"sigint", SIGINT, "SIGINT"}}) {
    const char* scenario = t.scenario;
    const int sig = t.sig;
    const char* name = t.name;
    const std::string dir = test_support::make_temp_dir();
    for (int trial = 1; trial <= 20; ++trial) {
      const std::string run_id = "trial-" + std::to_string(trial);
      const Death d = run_child(scenario, dir, run_id, {});
      INFO(scenario << " trial " << trial << " in " << dir);
      CHECK(d.signal == sig);
      check_written_whole(dir + "/" + run_id, name, "before.signal", 5000);
    }
  }
}

TEST_CASE("SPANLOG_TERMINATION_SIGNALS=off: SIGTERM ends the process at once, as without spanlog") {
  const std::string dir = test_support::make_temp_dir();
  const Death d = run_child("sigterm", dir, "off", {{"SPANLOG_TERMINATION_SIGNALS", "off"}});
  CHECK(d.signal == SIGTERM);
  // What the flusher had written by then, if anything, and no footer.
  const std::string text = test_support::read_file(dir + "/off/telemetry.jsonl");
  CHECK(text.find("\"footer\"") == std::string::npos);
}

TEST_CASE("a program's own SIGTERM handler, installed before or after the run starts, is kept") {
  for (const char* scenario : {"own_handler_before", "own_handler_after"}) {
    const std::string dir = test_support::make_temp_dir();
    const Death d = run_child(scenario, dir, "own", {});
    INFO(scenario);
    CHECK(d.signal == 0);
    CHECK(d.exit_code == 7);  // the program's handler ran, and it stopped and exited itself
    const auto run = test_support::read_run(dir + "/own");
    REQUIRE(!run.footer.empty());
    CHECK(run.stopped_by.empty());
    CHECK(complete_spans(run, "before.signal") == 5000);
  }
}

TEST_CASE("quick_exit writes the run through at_quick_exit") {
  const std::string dir = test_support::make_temp_dir();
  const Death d = run_child("quick_exit", dir, "quick", {});
  CHECK(d.exit_code == 5);
  check_written_whole(dir + "/quick", "quick_exit", "before.exit", 5000);
}
