// The pages as a person sees them, in headless chromium (tests/browser/check-page.mjs prints what is on the
// page as JSON): `spanlog serve` on a program that is recording, where threads show, a span recorded after
// the page loaded appears without a reload and an error span shows in the error panel; and the report of the
// demo run, whose screenshot becomes docs/images/report.png. Screenshots stay in view_browser-output/ of the
// build's tests directory.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace fs = std::filesystem;
using test_support::env;

namespace {

std::string shell_quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

fs::path output_dir() {
  const fs::path dir = fs::current_path() / "view_browser-output";
  fs::create_directories(dir);
  return dir;
}

fs::path checker() {
  const fs::path dir = env("SPANLOG_BROWSER_CHECKS");
  INFO("install the checker's packages: npm ci --prefix " << dir.string() << " (scripts/test.sh does)");
  REQUIRE(fs::exists(dir / "node_modules" / "playwright-core"));
  return dir / "check-page.mjs";
}

// A program running beside the test; its standard output readable through a pipe when asked for.
class Child {
 public:
  Child(const std::vector<std::string>& argv, bool capture_output) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    int pipe_fds[2] = {-1, -1};
    if (capture_output) {
      REQUIRE(::pipe(pipe_fds) == 0);
      posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
      posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    }
    const int error = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(error == 0, "cannot start " << argv[0]);
    if (capture_output) {
      ::close(pipe_fds[1]);
      out_ = pipe_fds[0];
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  // Standard output up to the first newline.
  std::string first_line() {
    std::string line;
    char c;
    while (::read(out_, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }
  // Sends `signal` and returns the exit status, or -1 when the program did not exit within `seconds`.
  int stop(int signal, double seconds) {
    if (signal) ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

bool wait_for_file(const fs::path& file, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(file) && fs::file_size(file) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::vector<std::string> strings(simdjson::dom::element e) {
  std::vector<std::string> out;
  simdjson::dom::array array;
  if (e.get(array) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element item : array) {
    std::string_view s;
    if (item.get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}
bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Runs the checker and returns its JSON, which must not report a failure or a script error on the page.
simdjson::dom::element check_page(simdjson::dom::parser& parser, std::string& text,
                                  const std::string& arguments) {
  const test_support::CommandResult r =
      test_support::try_run("node " + shell_quoted(checker()) + " " + arguments);
  const auto brace = r.output.rfind("\n{");
  text = brace == std::string::npos ? r.output : r.output.substr(brace + 1);
  INFO("check-page.mjs " << arguments << "\n" << r.output);
  REQUIRE(r.status == 0);
  simdjson::dom::element facts;
  REQUIRE(parser.parse(text).get(facts) == simdjson::SUCCESS);
  simdjson::dom::element failure;
  CHECK(facts["failure"].get(failure) == simdjson::NO_SUCH_FIELD);
  simdjson::dom::element page_errors;
  CHECK(facts["page_errors"].get(page_errors) == simdjson::NO_SUCH_FIELD);
  return facts;
}

}  // namespace

TEST_CASE("serve: the live page shows the threads, then a new span and an error span without a reload") {
  const fs::path checks = checker();
  test_support::TempDir dir;
  const fs::path runs = dir / "runs";
  const fs::path trigger = dir / "trigger";
  ::setenv("SPANLOG_DIR", runs.c_str(), 1);
  Child program({env("SPANLOG_LIVE_BIN"), "60", trigger.string()}, false);
  REQUIRE(wait_for_file(runs / "latest" / "telemetry.jsonl", 20));

  Child server({env("SPANLOG_BIN"), "serve", (runs / "latest").string(), "--port", "0", "--timeout", "300"},
               true);
  const std::string banner = server.first_line();
  INFO(banner);
  const auto at = banner.find("http://127.0.0.1:");
  REQUIRE(at != std::string::npos);
  const std::string url = banner.substr(at);

  const fs::path shot = output_dir() / "live.png";
  simdjson::dom::parser parser;
  std::string text;
  const auto facts = check_page(parser, text,
                                "live " + shell_quoted(url) + " " + shell_quoted(shot) + " " +
                                    shell_quoted(trigger) + " late.task late.failure");
  (void)checks;
  INFO(text);
  const auto at_load = facts["at_load"];
  const auto after = facts["after_trigger"];
  const auto final = facts["final"];
  for (const char* thread : {"worker-0", "worker-1", "worker-2"})
    CHECK(contains(strings(at_load["threads"]), thread));
  CHECK(at_load["status"].get_string().value() == "running");
  CHECK(std::string(at_load["wall_time"].get_string().value()).find(" so far") != std::string::npos);
  // Before the trigger the span and the error did not exist; after it they appear on the same page.
  CHECK_FALSE(contains(strings(at_load["recent"]), "late.task"));
  CHECK(strings(at_load["errors"]).empty());
  CHECK(contains(strings(after["recent"]), "late.task"));
  CHECK(contains(strings(after["errors"]), "late.failure"));
  CHECK(contains(strings(final["errors"]), "late.failure"));
  CHECK(facts["same_page"].get_bool().value());
  CHECK(contains(strings(final["summary_rows"]), "task"));
  // Only the server was asked for anything.
  for (const std::string& request : strings(facts["requests"])) CHECK(request.rfind(url, 0) == 0);
  CHECK(fs::file_size(shot) > 10000);

  CHECK(program.stop(0, 30) == 0);  // the program saw the trigger and finished
  CHECK(server.stop(SIGTERM, 10) == 0);
}

TEST_CASE("serve of a runs directory: the page names its run and draws the next run without a reload") {
  const fs::path checks = checker();
  (void)checks;
  test_support::TempDir dir;
  const fs::path runs = dir / "runs";
  const fs::path trigger = dir / "trigger";
  const fs::path data(env("SPANLOG_TEST_DATA"));
  fs::create_directories(runs / "run-1");
  fs::copy(data / "basic" / "telemetry.jsonl", runs / "run-1" / "telemetry.jsonl");
  fs::create_directory_symlink("run-1", runs / "latest");

  Child server({env("SPANLOG_BIN"), "serve", runs.string(), "--port", "0", "--timeout", "300"}, true);
  const std::string banner = server.first_line();
  INFO(banner);
  const auto at = banner.find("http://127.0.0.1:");
  REQUIRE(at != std::string::npos);
  const std::string url = banner.substr(at);

  // When the page has loaded, the checker creates the trigger: then the next run starts.
  std::thread next_run([&] {
    if (!wait_for_file(trigger, 60)) return;
    fs::create_directories(runs / "run-2");
    fs::copy(data / "logs" / "telemetry.jsonl", runs / "run-2" / "telemetry.jsonl");
    fs::create_directory_symlink("run-2", runs / "latest.new");
    fs::rename(runs / "latest.new", runs / "latest");
  });
  simdjson::dom::parser parser;
  std::string facts_text;
  const auto facts =
      check_page(parser, facts_text,
                 "next-run " + shell_quoted(url) + " " + shell_quoted(output_dir() / "live-next-run.png") +
                     " " + shell_quoted(trigger) + " logs-1");
  next_run.join();
  INFO(facts_text);
  const auto at_load = facts["at_load"];
  CHECK(std::string(at_load["title"].get_string().value()).find("basic-1") != std::string::npos);
  CHECK(at_load["run"].get_string().value() == "run run-1 (the newest; a new run replaces it here)");
  const auto after = facts["after_trigger"];
  CHECK(std::string(after["title"].get_string().value()).find("fetcher") != std::string::npos);
  CHECK(after["run"].get_string().value() == "run run-2 (the newest; a new run replaces it here)");
  // Only the new run is drawn: its threads, its summary.
  CHECK(strings(after["threads"]) == std::vector<std::string>{"main", "worker-1"});
  CHECK(contains(strings(after["summary_rows"]), "fetch"));
  CHECK_FALSE(contains(strings(after["summary_rows"]), "db.query"));
  CHECK(facts["same_page"].get_bool().value());
  CHECK(server.stop(SIGTERM, 10) == 0);
}

TEST_CASE(
    "serve: spans written as rows (a spans record) show live, and rows and log lines appended later appear") {
  const fs::path checks = checker();
  (void)checks;
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  const fs::path trigger = dir / "trigger";
  // tests/data/span_rows/rows.jsonl without its footer: a run still being written.
  std::string text;
  {
    std::ifstream in(fs::path(env("SPANLOG_TEST_DATA")) / "span_rows" / "rows.jsonl");
    for (std::string line; std::getline(in, line);)
      if (line.find("\"event\":\"footer\"") == std::string::npos) text += line + "\n";
  }
  std::ofstream(file) << text;

  Child server({env("SPANLOG_BIN"), "serve", file.string(), "--port", "0", "--timeout", "300"}, true);
  const std::string banner = server.first_line();
  INFO(banner);
  const auto at = banner.find("http://127.0.0.1:");
  REQUIRE(at != std::string::npos);
  const std::string url = banner.substr(at);

  // When the page has loaded, the checker creates the trigger: then a spans line and an error span arrive.
  std::thread writer([&] {
    if (!wait_for_file(trigger, 60)) return;
    std::ofstream out(file, std::ios::app);
    out << R"({"event":"spans","tid":11,"ts":1795459260000300000,"id_base":1099511628000,)"
           R"("fields":["name","span_id","parent","ts","dur_ns","attrs"],)"
           R"("rows":[["late.task",2,1,0,1000,{"n":1}],["late.root",1,null,-500,3000]]})"
           "\n"
        << R"({"event":"span","span_id":1099511628100,"name":"late.failure","tid":12,)"
           R"("ts":1795459260000301000,"dur_ns":700,"status":"error","message":"late"})"
           "\n"
        << R"({"event":"log","level":"warn","tid":11,"ts":1795459260000300500,"span_id":1099511628002,)"
           R"("msg":"late warning","attrs":{"n":1},"site":{"file":"late.cpp","line":7}})"
           "\n";
  });
  simdjson::dom::parser parser;
  std::string facts_text;
  const auto facts =
      check_page(parser, facts_text,
                 "live " + shell_quoted(url) + " " + shell_quoted(output_dir() / "live-rows.png") + " " +
                     shell_quoted(trigger) + " late.task late.failure");
  writer.join();
  INFO(facts_text);
  const auto at_load = facts["at_load"];
  for (const char* thread : {"main", "worker"}) CHECK(contains(strings(at_load["threads"]), thread));
  // Every span of the file: 47 rows, two span lines and two span_start lines (a row is not one record).
  CHECK(at_load["spans_drawn"].get_int64().value() == 51);
  CHECK(contains(strings(at_load["recent"]), "request"));
  CHECK(contains(strings(at_load["errors"]), "db.query"));
  CHECK_FALSE(contains(strings(at_load["recent"]), "late.task"));
  const auto after = facts["after_trigger"];
  CHECK(contains(strings(after["recent"]), "late.task"));
  CHECK(contains(strings(after["errors"]), "late.failure"));
  CHECK(after["spans_drawn"].get_int64().value() == 54);
  // A log line written after the page loaded is listed and marked on its thread's lane.
  CHECK(strings(at_load["log_lines"]).empty());
  CHECK(strings(after["log_lines"]) == std::vector<std::string>{"warn late warning"});
  CHECK(strings(after["marks"]) == std::vector<std::string>{"warn late warning"});
  CHECK(facts["same_page"].get_bool().value());
  CHECK(server.stop(SIGTERM, 10) == 0);
}

TEST_CASE("report: the demo run's page shows its threads, phases, errors, summary and charts") {
  const fs::path checks = checker();
  (void)checks;
  test_support::TempDir dir;
  ::setenv("SPANLOG_DIR", (dir / "runs").c_str(), 1);
  test_support::run(shell_quoted(env("SPANLOG_PIPELINE_BIN")) + " 48 4");
  const fs::path report = output_dir() / "report.html";
  test_support::run(shell_quoted(env("SPANLOG_BIN")) + " report -o " + shell_quoted(report));

  const fs::path shot = output_dir() / "report.png";
  simdjson::dom::parser parser;
  std::string text;
  const auto facts = check_page(parser, text, "report " + shell_quoted(report) + " " + shell_quoted(shot));
  INFO(text);
  const auto at_load = facts["at_load"];
  for (const char* thread : {"pipeline", "worker-0", "worker-1", "worker-2", "worker-3"})
    CHECK(contains(strings(at_load["threads"]), thread));
  // The state every command names: a whole run is complete, and its wall time is not "so far".
  CHECK(at_load["status"].get_string().value() == "complete");
  CHECK(std::string(at_load["wall_time"].get_string().value()).find("so far") == std::string::npos);
  const auto phases = strings(at_load["phases"]);
  REQUIRE(phases.size() == 3);
  CHECK(phases[0].rfind("discovery", 0) == 0);
  CHECK(phases[1].rfind("analysis", 0) == 0);
  CHECK(phases[2].rfind("synthesis", 0) == 0);
  // pipeline.cpp fails the items whose size is a multiple of 13: 2000 + (i * 7919) % 6000 for i < 48.
  int failing = 0;
  for (int i = 0; i < 48; ++i) failing += (2000 + (i * 7919) % 6000) % 13 == 0;
  REQUIRE(failing > 0);
  const auto errors = strings(at_load["errors"]);
  CHECK(errors.size() == static_cast<std::size_t>(failing));
  for (const auto& e : errors) CHECK(e == "analyse");
  const auto rows = strings(at_load["summary_rows"]);
  REQUIRE_FALSE(rows.empty());
  CHECK(rows.front() == "analyse");  // the name with errors first
  for (const char* name : {"tool.call", "worker", "discover.item", "write.report"})
    CHECK(contains(rows, name));
  for (const char* chart : {"tokens (counter)", "tool_uses (counter)", "queue.depth (gauge)"})
    CHECK(contains(strings(at_load["charts"]), chart));
  CHECK_FALSE(facts["tooltip"].get_string().value().empty());
  const auto requests = strings(facts["requests"]);
  REQUIRE(requests.size() == 1);  // the file itself, nothing else
  CHECK(requests.front().rfind("file://", 0) == 0);
  REQUIRE(fs::file_size(shot) > 10000);
  // Zoomed in (a view narrower than the run) and sorted by p99: the longest-tailed name first.
  const auto controls = facts["after_controls"];
  CHECK(controls["sorted_by"].get_string().value() == "p99_ns");
  CHECK(controls["first_row"].get_string().value() == "run");
  simdjson::dom::array view;
  REQUIRE(controls["view"].get(view) == simdjson::SUCCESS);
  REQUIRE(view.size() == 2);
  CHECK(view.at(1).get_double().value() - view.at(0).get_double().value() > 0);

  // The README's picture of the demo run.
  const fs::path readme_image = env("SPANLOG_README_IMAGE");
  fs::create_directories(readme_image.parent_path());
  fs::copy_file(shot, readme_image, fs::copy_options::overwrite_existing);
}

TEST_CASE("report: a run of a million spans opens, draws the longest and says what it left out") {
  const fs::path checks = checker();
  (void)checks;
  test_support::TempDir dir;
  // 8 threads, each a series of "parent" spans with four children: 200,000 parents, 800,000 children.
  const fs::path file = dir / "telemetry.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    const std::uint64_t base = 1795459260000000000ull;
    out << R"({"event":"header","schema":1,"schema_minor":0,"version":"0.1.0","run_id":"million","pid":1,)"
        << R"("process":"big","host":"h","start_ts":)" << base << R"(,"clock":{"source":"steady"}})"
        << "\n";
    std::uint64_t id = 1;
    std::string text;
    for (int tid = 1; tid <= 8; ++tid) {
      text += R"({"event":"thread","tid":)" + std::to_string(tid) + R"(,"name":"worker-)" +
              std::to_string(tid) + R"(","ts":)" + std::to_string(base) + "}\n";
      std::uint64_t ts = base + 1000;
      for (int i = 0; i < 25000; ++i) {
        const std::uint64_t parent = id++, start = ts;
        ts += 100;
        for (int c = 0; c < 4; ++c) {
          const std::uint64_t dur = 200 + (id * 7919) % 4800;
          text += R"({"event":"span","span_id":)" + std::to_string(id++) + R"(,"parent":)" +
                  std::to_string(parent) + R"(,"name":"child.)" + std::to_string(c) + R"(","tid":)" +
                  std::to_string(tid) + R"(,"ts":)" + std::to_string(ts) + R"(,"dur_ns":)" +
                  std::to_string(dur) + "}\n";
          ts += dur + 50;
        }
        text += R"({"event":"span","span_id":)" + std::to_string(parent) + R"(,"name":"parent","tid":)" +
                std::to_string(tid) + R"(,"ts":)" + std::to_string(start) + R"(,"dur_ns":)" +
                std::to_string(ts - start + 100) + "}\n";
        ts += 300;
        if (text.size() > (1u << 20)) {
          out << text;
          text.clear();
        }
      }
    }
    out << text;
  }
  const fs::path report = output_dir() / "million.html";
  const std::string printed = test_support::run(shell_quoted(env("SPANLOG_BIN")) + " report " +
                                                shell_quoted(dir.path()) + " -o " + shell_quoted(report));
  CHECK(printed.find("60000 of 1000000 spans drawn") != std::string::npos);

  const fs::path shot = output_dir() / "million.png";
  simdjson::dom::parser parser;
  std::string text;
  const auto facts = check_page(parser, text, "report " + shell_quoted(report) + " " + shell_quoted(shot));
  const auto at_load = facts["at_load"];
  CHECK(at_load["spans_drawn"].get_uint64().value() == 60000);
  CHECK(std::string(at_load["notice"].get_string().value()).find("draws 60000 of 1000000 spans") !=
        std::string::npos);
  CHECK(strings(at_load["threads"]).size() == 8);
  CHECK(contains(strings(at_load["summary_rows"]), "child.3"));
  CHECK_FALSE(facts["tooltip"].get_string().value().empty());
  // Reported, not judged: timings belong to bench/, and this machine is shared.
  MESSAGE("a million spans: page ready in " << facts["load_ms"].get_int64().value() << " ms, a full redraw "
                                            << facts["redraw_ms"].get_double().value() << " ms");
}

TEST_CASE(
    "report: the log panel lists the run's lines, filters them by level, and a click selects the span") {
  const fs::path checks = checker();
  (void)checks;
  const fs::path report = output_dir() / "logs.html";
  test_support::run(shell_quoted(env("SPANLOG_BIN")) + " report " +
                    shell_quoted(fs::path(env("SPANLOG_TEST_DATA")) / "logs") + " -o " +
                    shell_quoted(report));
  simdjson::dom::parser parser;
  std::string text;
  const auto facts = check_page(
      parser, text, "report " + shell_quoted(report) + " " + shell_quoted(output_dir() / "logs.png"));
  INFO(text);
  const auto at_load = facts["at_load"];
  // tests/data/logs: eight lines, written a thread at a time, listed in time order.
  const auto lines = strings(at_load["log_lines"]);
  REQUIRE(lines.size() == 8);
  CHECK(lines.front() == "debug worker ready");
  CHECK(lines.back() == "error shutting down after 1 error");
  CHECK(strings(at_load["log_counts"]) ==
        std::vector<std::string>{"trace 1", "debug 1", "info 1", "warn 3", "error 2"});
  // A mark on the timeline for each warning and error.
  auto marks = strings(at_load["marks"]);
  std::sort(marks.begin(), marks.end());
  CHECK(marks == std::vector<std::string>{"error fetch failed: timeout", "error shutting down after 1 error",
                                          "warn queue full", "warn retrying https://example.com after 3 ms",
                                          "warn retrying https://example.org after 7 ms"});

  // Lanes in a fixed order: by first activity (main's span at 1 ms, worker-1's line at 1.5 ms, thread 12's
  // line at 2.5 ms; worker-1's first span begins later), then by name when chosen.
  CHECK(strings(at_load["lane_order"]) == std::vector<std::string>{"main", "worker-1", "12"});
  CHECK(strings(facts["lanes_by_name"]) == std::vector<std::string>{"12", "main", "worker-1"});

  const auto clicks = facts["log_clicks"];
  CHECK(strings(clicks["warn_and_error"]) == std::vector<std::string>{
                                                 "warn retrying https://example.org after 7 ms",
                                                 "warn retrying https://example.com after 3 ms",
                                                 "error fetch failed: timeout",
                                                 "warn queue full",
                                                 "error shutting down after 1 error",
                                             });
  // A line: the line with its attributes, and its span selected as a click on the span selects it.
  const auto row = clicks["row"];
  CHECK(row["shown"].get_bool().value());
  CHECK(row["log"].get_string().value() == "fetch failed: timeout");
  CHECK(row["span"].get_string().value() == "fetch");
  CHECK(row["selected_span"].get_string().value() == "fetch");
  CHECK(strings(row["selected_rows"]) == std::vector<std::string>{"fetch failed: timeout"});
  CHECK(std::string(row["text"].get_string().value()).find("error = \"timeout\"") != std::string::npos);
  // A mark: the same, for the warning it stands for.
  const auto mark = clicks["mark"];
  CHECK(mark["clicked"].get_string().value() == "retrying https://example.com after 3 ms");
  CHECK(mark["log"].get_string().value() == "retrying https://example.com after 3 ms");
  CHECK(mark["selected_span"].get_string().value() == "fetch");
  CHECK(std::string(mark["text"].get_string().value()).find("url = \"https://example.com\"") !=
        std::string::npos);
  // A span: the span alone, no line.
  const auto span = clicks["span"];
  CHECK(span["selected_span"].get_string().value() == span["clicked"].get_string().value());
  CHECK(span["span"].get_string().value() == span["clicked"].get_string().value());
  CHECK(span["log"].get_string().value().empty());
  CHECK(strings(span["selected_rows"]).empty());
}

namespace {

simdjson::dom::element field(simdjson::dom::element object, const std::string& key) {
  simdjson::dom::element value;
  INFO("no field " << key);
  REQUIRE(object[key].get(value) == simdjson::SUCCESS);
  return value;
}
std::string text_of(simdjson::dom::element object, const std::string& key) {
  std::string_view s;
  return object[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

}  // namespace

TEST_CASE(
    "report: labelled series apart, histograms with their percentiles, and the vitals in their section") {
  const fs::path checks = checker();
  (void)checks;
  test_support::TempDir dir;
  // A copy: reading a run without run_summary.json writes one beside it.
  fs::copy(fs::path(env("SPANLOG_TEST_DATA")) / "metrics" / "telemetry.jsonl", dir / "telemetry.jsonl");
  const fs::path report = output_dir() / "metrics.html";
  test_support::run(shell_quoted(env("SPANLOG_BIN")) + " report " + shell_quoted(dir.path()) + " -o " +
                    shell_quoted(report));
  simdjson::dom::parser parser;
  std::string text;
  const auto facts = check_page(
      parser, text, "report " + shell_quoted(report) + " " + shell_quoted(output_dir() / "metrics.png"));
  INFO(text);
  const simdjson::dom::element at_load = field(facts, "at_load");
  const auto series = field(at_load, "metric_series");

  // tests/data/metrics: llm.tokens{kind="input",model="m-large"} is 812 + 188; each label set its own line.
  const auto input_large = field(series, R"(llm.tokens{kind="input",model="m-large"})");
  CHECK(text_of(input_large, "metric") == "llm.tokens (counter)");
  CHECK(text_of(input_large, "total") == "1000");
  CHECK(text_of(field(series, R"(llm.tokens{kind="input",model="m-small"})"), "total") == "50");
  CHECK(text_of(field(series, R"(llm.tokens{kind="output",model="m-large"})"), "total") == "200");
  CHECK(text_of(field(series, R"(llm.tokens{otel.metric.overflow=true})"), "total") == "7");
  // A labelled gauge's last value per label set: db was set to 3, then 2; cache to 7.
  CHECK(text_of(field(series, R"(pool.in_use{pool="db"})"), "last") == "2");
  CHECK(text_of(field(series, R"(pool.in_use{pool="db"})"), "peak") == "5");
  CHECK(text_of(field(series, R"(pool.in_use{pool="cache"})"), "last") == "7");
  // The unit from the header's metrics.
  CHECK(text_of(field(at_load, "chart_units"), "llm.tokens (counter)") == "per second, token");
  CHECK(text_of(field(at_load, "chart_units"), "request.bytes (histogram)") == "By");

  // Histograms. request.bytes: [1000,1] [4096,2] [21504,1] then [4992,1]: 5 values. p50 is rank 3, in the
  // bucket of 4096 (64 wide: 4096..4159), its midpoint 4127; p90 (rank 5) is the largest, the top of the
  // bucket of 21504 (256 wide): 21759. queue.wait{queue="io"}: 12, 12, 49, 100, all exact below 128.
  const auto histograms = field(at_load, "histograms");
  const auto request = field(histograms, "request.bytes");
  CHECK(request["count"].get_double().value() == 5);
  CHECK(request["p50"].get_double().value() == 4127);
  CHECK(request["p90"].get_double().value() == 21759);
  CHECK(request["max"].get_double().value() == 21759);
  const auto io = field(histograms, R"(queue.wait{queue="io"})");
  CHECK(io["count"].get_double().value() == 4);
  CHECK(io["p50"].get_double().value() == 12);
  CHECK(io["p90"].get_double().value() == 100);
  CHECK(field(histograms, R"(queue.wait{queue="net"})")["count"].get_double().value() == 2);
  // The page's figures are the reader's (summary --json), series by series.
  const auto by_reader = field(at_load, "summary_histograms");
  simdjson::dom::object page_histograms;
  REQUIRE(histograms.get(page_histograms) == simdjson::SUCCESS);
  CHECK(page_histograms.size() == 3);
  for (auto [name, figures] : page_histograms)
    for (const char* key : {"count", "p50", "p90", "p99", "max"}) {
      INFO(name << " " << key);
      CHECK(figures[key].get_double().value() ==
            field(field(by_reader, std::string(name)), key).get_double().value());
    }

  // The vitals in their own section, none among the program's metrics.
  CHECK(at_load["vitals_shown"].get_bool().value());
  const auto rss = field(series, "spanlog.process.memory.rss");
  CHECK(text_of(rss, "section") == "vitals");
  CHECK(text_of(rss, "last") == "12582912");
  CHECK(text_of(rss, "text").find("12.0 MiB") != std::string::npos);
  CHECK(text_of(field(series, R"(spanlog.process.cpu.time{cpu.mode="user"})"), "total") == "0.75");
  // CPU seconds per second: the last user line's 0.5 s over the 3 s since the one before.
  const double user_rate =
      std::stod(text_of(field(series, R"(spanlog.process.cpu.time{cpu.mode="user"})"), "last_rate"));
  CHECK(user_rate > 0.16);
  CHECK(user_rate < 0.17);
  CHECK(text_of(field(series, "spanlog.flusher.lag"), "peak") == "1500000000");
  // The rings' peak fill per thread, named by the thread.
  const auto ring = field(series, "spanlog.ring.fill{tid=4243}");
  CHECK(text_of(ring, "peak") == "0.875");
  CHECK(text_of(ring, "text").find("worker (4243): peak 87.5%") != std::string::npos);
  for (const char* program :
       {R"(llm.tokens{kind="input",model="m-large"})", R"(pool.in_use{pool="db"})", "bytes.parsed"})
    CHECK(text_of(field(series, program), "section") == "charts");
  simdjson::dom::object all_series;
  REQUIRE(series.get(all_series) == simdjson::SUCCESS);
  for (auto [name, figures] : all_series) {
    INFO(name);
    CHECK((text_of(figures, "section") == "vitals") == (std::string_view(name).rfind("spanlog.", 0) == 0));
  }
}

TEST_CASE("serve: labelled series, a histogram and the vitals live, metric lines appended later drawn") {
  const fs::path checks = checker();
  (void)checks;
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  const fs::path trigger = dir / "trigger";
  // A run still being written: a counter with ten label sets (10, 20, ... 100 tokens), a histogram, vitals.
  {
    std::ofstream out(file);
    out << R"({"event":"header","schema":1,"schema_minor":7,"version":"0.1.0","run_id":"metrics-live","pid":1,)"
           R"("process":"metrics","host":"h","start_ts":1795459260000000000,"clock":{"source":"steady"},)"
           R"("options":{"flush_interval_ms":100},"metrics":{"spanlog.process.memory.rss":{"unit":"By"}}})"
        << "\n";
    for (int model = 1; model <= 10; ++model)
      out << R"({"event":"counter","name":"llm.tokens","ts":1795459260100000000,"delta":)" << model * 10
          << R"(,"labels":{"model":"m-)" << model << "\"}}\n";
    out << R"({"event":"histogram","name":"queue.wait","ts":1795459260200000000,"sum":73,)"
           R"("buckets":[[12,2],[49,1]],"count":3,"labels":{"queue":"io"}})"
        << "\n"
        << R"({"event":"gauge","name":"spanlog.process.memory.rss","ts":1795459261000000000,"value":10485760,)"
           R"("min":10485760,"max":10485760,"count":1})"
        << "\n";
  }
  Child server({env("SPANLOG_BIN"), "serve", file.string(), "--port", "0", "--timeout", "300"}, true);
  const std::string banner = server.first_line();
  INFO(banner);
  const auto at = banner.find("http://127.0.0.1:");
  REQUIRE(at != std::string::npos);
  const std::string url = banner.substr(at);

  // When the page has loaded: 19 more values of the histogram, a new resident memory, a labelled gauge.
  std::thread writer([&] {
    if (!wait_for_file(trigger, 60)) return;
    std::ofstream out(file, std::ios::app);
    out << R"({"event":"histogram","name":"queue.wait","ts":1795459262000000000,"sum":42000,)"
           R"("buckets":[[200,5],[1000,10],[5000,4]],"count":19,"labels":{"queue":"io"}})"
        << "\n"
        << R"({"event":"gauge","name":"spanlog.process.memory.rss","ts":1795459262000000000,"value":12582912,)"
           R"("min":12582912,"max":12582912,"count":1})"
        << "\n"
        << R"({"event":"gauge","name":"pool.in_use","ts":1795459262000000000,"value":3,"min":1,"max":4,)"
           R"("count":5,"labels":{"pool":"db"}})"
        << "\n";
  });
  simdjson::dom::parser parser;
  std::string facts_text;
  const auto facts =
      check_page(parser, facts_text,
                 "metrics " + shell_quoted(url) + " " + shell_quoted(output_dir() / "live-metrics.png") +
                     " " + shell_quoted(trigger) + " " + shell_quoted(R"(queue.wait{queue="io"})") + " 22");
  writer.join();
  INFO(facts_text);
  const simdjson::dom::element at_load = field(facts, "at_load");
  const auto series = field(at_load, "metric_series");
  // The eight largest label sets drawn, the two smallest counted.
  CHECK(text_of(field(series, R"(llm.tokens{model="m-10"})"), "total") == "100");
  CHECK(text_of(field(series, R"(llm.tokens{model="m-3"})"), "total") == "30");
  simdjson::dom::element absent;
  CHECK(series[R"(llm.tokens{model="m-2"})"].get(absent) == simdjson::NO_SUCH_FIELD);
  CHECK(strings(at_load["left_out"]) ==
        std::vector<std::string>{"2 more series not shown (the largest 8 are)"});
  CHECK(text_of(field(series, "spanlog.process.memory.rss"), "last") == "10485760");
  CHECK(field(field(at_load, "histograms"), R"(queue.wait{queue="io"})")["count"].get_double().value() == 3);

  // After: 22 values, 12 12 49 (200 x5) (1000 x10) (4992..5055 x4). p50 is rank 11, in the bucket of 1000
  // (1000..1007): its midpoint 1003. p90 is rank 20, in the bucket of 5000 (4992..5055): 5023. p99 (rank 22)
  // is the largest: the top of that bucket, 5055.
  const simdjson::dom::element after = field(facts, "after_trigger");
  const auto io = field(field(after, "histograms"), R"(queue.wait{queue="io"})");
  CHECK(io["count"].get_double().value() == 22);
  CHECK(io["p50"].get_double().value() == 1003);
  CHECK(io["p90"].get_double().value() == 5023);
  CHECK(io["p99"].get_double().value() == 5055);
  CHECK(io["max"].get_double().value() == 5055);
  const auto after_series = field(after, "metric_series");
  CHECK(text_of(field(after_series, "spanlog.process.memory.rss"), "last") == "12582912");
  CHECK(text_of(field(after_series, "spanlog.process.memory.rss"), "section") == "vitals");
  CHECK(text_of(field(after_series, R"(pool.in_use{pool="db"})"), "last") == "3");
  CHECK(facts["same_page"].get_bool().value());
  CHECK(server.stop(SIGTERM, 10) == 0);
}
