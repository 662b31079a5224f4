// `spanlog report` and `spanlog top` as a user runs them, on the runs of tests/data: the report is one file
// that fetches nothing, carrying the summary and the records its page draws (open spans of a crashed run
// included, the longest spans kept when there are too many); top shows threads, spans, rates and drops.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using test_support::env;

namespace {

std::string spanlog() {
  return env("SPANLOG_BIN");
}
fs::path data(const std::string& name) {
  return fs::path(env("SPANLOG_TEST_DATA")) / name;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int exit_status(const test_support::CommandResult& r) {
  return r.status;
}

// The JSON the page carries, between its data script's tags.
std::string embedded_data(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"spanlog-data\">";
  const auto from = page.find(open);
  REQUIRE(from != std::string::npos);
  const auto to = page.find("</script>", from);
  REQUIRE(to != std::string::npos);
  return page.substr(from + open.size(), to - from - open.size());
}

struct ReportData {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string text;
  std::multiset<std::string> events;  // "span:name", "span_start:name", "thread:name", "counter", ...
};

void load(ReportData& d, const std::string& page) {
  d.text = embedded_data(page);
  REQUIRE(d.parser.parse(d.text).get(d.root) == simdjson::SUCCESS);
  simdjson::dom::array records;
  REQUIRE(d.root["records"].get(records) == simdjson::SUCCESS);
  for (simdjson::dom::element r : records) {
    std::string_view event, name;
    REQUIRE(r["event"].get(event) == simdjson::SUCCESS);
    if (r["name"].get(name) == simdjson::SUCCESS)
      d.events.insert(std::string(event) + ":" + std::string(name));
    else
      d.events.insert(std::string(event));
  }
}

}  // namespace

TEST_CASE("report: one file that fetches nothing, with the summary and every span of a small run") {
  test_support::TempDir dir;
  const fs::path out = dir / "basic.html";
  const std::string printed =
      test_support::run(spanlog() + " report " + data("basic").string() + " -o " + out.string());
  CHECK(printed.find("7 of 7 spans drawn") != std::string::npos);
  const std::string page = read_text(out);
  CHECK_FALSE(fs::exists(out.string() + ".tmp"));
  // Self-contained: no script, style, image or link fetched from anywhere.
  std::string lower = page;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* fetching : {"src=", "src =", "href=", "href =", "url(", "http://", "https://"})
    CHECK_MESSAGE(lower.find(fetching) == std::string::npos, fetching);
  CHECK(page.find("@import") == std::string::npos);
  CHECK(page.find("EventSource") != std::string::npos);  // the same page as the live one

  ReportData d;
  load(d, page);
  CHECK(d.events.count("span:request") == 2);
  CHECK(d.events.count("span:db.query") == 2);
  CHECK(d.events.count("span:parse") == 2);
  CHECK(d.events.count("span:analysis") == 1);
  CHECK(d.events.count("span_start:request") == 0);  // every span of this run ended
  CHECK(d.events.count("thread:main") == 1);
  CHECK(d.events.count("thread:worker") == 1);
  CHECK(d.events.count("phase:analysis") == 1);
  CHECK(d.events.count("counter:bytes") >= 1);
  CHECK(d.events.count("gauge:queue.depth") >= 1);
  CHECK(d.events.count("dropped") == 1);
  CHECK(d.events.count("footer") == 1);
  // Times are relative to the run's start, so they stay exact as JavaScript numbers.
  CHECK(d.text.find("\"ts\":11000,\"dur_ns\":2000") == std::string::npos);  // (parse: parent comes first)
  CHECK(d.text.find("\"name\":\"parse\",\"tid\":1,\"ts\":11000,\"parent\":2,\"dur_ns\":2000") !=
        std::string::npos);
  CHECK(d.text.find("\"status\":\"error\",\"message\":\"timeout\"") != std::string::npos);
  CHECK(d.text.find("\"attrs\":{\"model\":\"small\",\"tokens\":50}") != std::string::npos);
  CHECK(d.text.find("\"async\":true,\"end_tid\":2") != std::string::npos);

  // The summary table's data is `spanlog summary --json`'s.
  simdjson::dom::array spans;
  REQUIRE(d.root["summary"]["spans"].get(spans) == simdjson::SUCCESS);
  std::set<std::string> names;
  for (simdjson::dom::element s : spans) names.insert(std::string(s["name"].get_string().value()));
  CHECK(names == std::set<std::string>{"analysis", "db.query", "parse", "request"});
  std::string_view note;
  REQUIRE(d.root["note"].get(note) == simdjson::SUCCESS);
  CHECK(note.empty());
  CHECK(d.root["activity"].is_null());  // everything is drawn: nothing to shade
}

TEST_CASE("report: statistics-mode names are in the summary table, with no spans drawn for them") {
  test_support::TempDir dir;
  const fs::path out = dir / "stats.html";
  test_support::run(spanlog() + " report " + data("span_stats").string() + " -o " + out.string());
  ReportData d;
  load(d, read_text(out));
  simdjson::dom::array spans;
  REQUIRE(d.root["summary"]["spans"].get(spans) == simdjson::SUCCESS);
  bool found = false;
  for (simdjson::dom::element s : spans) {
    if (s["name"].get_string().value() != "block.read") continue;
    found = true;
    CHECK(s["count"].get_uint64().value() == 10);
    CHECK(s["total_ns"].get_uint64().value() == 12485);
    CHECK(s["self_ns"].get_uint64().value() == 11400);
    CHECK(s["statistics"].get_uint64().value() == 10);
  }
  CHECK(found);
  // No timeline bars: the file has no span of it, only its statistics.
  CHECK(d.events.count("span:block.read") == 0);
  CHECK(d.events.count("span_stats:block.read") == 0);
  CHECK(d.events.count("span:kv.get") == 1);
  CHECK(d.events.count("span:kv.put") == 1);
}

TEST_CASE("report: a crashed run's open spans are drawn open-ended") {
  test_support::TempDir dir;
  const fs::path out = dir / "crashed.html";
  const std::string printed =
      test_support::run(spanlog() + " report " + data("crashed").string() + " -o " + out.string());
  CHECK(printed.find("and 3 never ended") != std::string::npos);
  ReportData d;
  load(d, read_text(out));
  CHECK(d.events.count("span_start:load") == 1);
  CHECK(d.events.count("span_start:decode") == 1);
  CHECK(d.events.count("span_start:fetch") == 1);
  CHECK(d.events.count("footer") == 0);
}

TEST_CASE("report: past --max-spans the longest are drawn, every error kept, and the page says so") {
  test_support::TempDir dir;
  const fs::path out = dir / "few.html";
  const std::string printed = test_support::run(spanlog() + " report " + data("basic").string() +
                                                " --max-spans 2 -o " + out.string());
  ReportData d;
  load(d, read_text(out));
  // Drawn: the two longest non-error, non-phase spans (request 20 us, request 8 us), the phase and the error.
  CHECK(d.events.count("span:request") == 2);
  CHECK(d.events.count("span:analysis") == 1);
  CHECK(d.events.count("span:db.query") == 1);
  CHECK(d.text.find("\"message\":\"timeout\"") != std::string::npos);
  CHECK(d.events.count("span:parse") == 0);
  std::string_view note;
  REQUIRE(d.root["note"].get(note) == simdjson::SUCCESS);
  CHECK(note.find("draws 4 of 7 spans: the 2 longest, with every phase and every error span") !=
        std::string::npos);
  CHECK(printed.find("4 of 7 spans drawn") != std::string::npos);
  // Where all the spans began, per thread: what the timeline shades under each lane.
  simdjson::dom::object threads;
  REQUIRE(d.root["activity"]["threads"].get(threads) == simdjson::SUCCESS);
  std::map<std::string, std::uint64_t> begun;
  for (auto [tid, counts] : threads)
    for (simdjson::dom::element c : counts.get_array()) begun[std::string(tid)] += c.get_uint64().value();
  CHECK(begun == std::map<std::string, std::uint64_t>{{"1", 3}, {"2", 4}});
}

TEST_CASE("report: a missing run or an unwritable output is exit status 2, naming it") {
  test_support::TempDir dir;
  auto r = test_support::try_run(spanlog() + " report " + (dir / "nothing").string() + " -o " +
                                 (dir / "x.html").string());
  CHECK(exit_status(r) == 2);
  CHECK(r.output.find("nothing") != std::string::npos);
  r = test_support::try_run(spanlog() + " report " + data("basic").string() + " -o " +
                            (dir / "no" / "such" / "dir.html").string());
  CHECK(exit_status(r) == 2);
  CHECK(r.output.find("dir.html") != std::string::npos);
}

TEST_CASE("top --once: active spans, slowest names, counter totals and drops, as plain text") {
  const std::string basic = test_support::run(spanlog() + " top --once " + data("basic").string());
  CHECK(basic.find("basic-1  complete  ") != std::string::npos);
  CHECK(basic.find("(no open spans)") != std::string::npos);
  CHECK(basic.find("request") != std::string::npos);
  CHECK(basic.find("db.query") != std::string::npos);
  CHECK(basic.find("bytes") != std::string::npos);
  CHECK(basic.find("total          150") != std::string::npos);
  CHECK(basic.find("DROPPED  spans 2  events 1") != std::string::npos);
  CHECK(basic.find("\x1b[") == std::string::npos);  // not a terminal: no escapes

  const std::string crashed = test_support::run(spanlog() + " top --once " + data("crashed").string());
  CHECK(crashed.find("crashed-1  died  ") != std::string::npos);  // no footer, its process not on this host
  CHECK(crashed.find("load > decode") != std::string::npos);
  CHECK(crashed.find("fetch") != std::string::npos);
}

TEST_CASE("top follows a file being written and stops at its footer") {
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  // Written by this test's process, on this host: until its footer, the run is running.
  std::string all = read_text(data("basic") / "telemetry.jsonl");
  char host[256] = {};
  REQUIRE(::gethostname(host, sizeof host - 1) == 0);
  all.replace(all.find("\"pid\":100"), 9, "\"pid\":" + std::to_string(::getpid()));
  all.replace(all.find("\"host\":\"testhost\""), 17, "\"host\":\"" + std::string(host) + "\"");
  const auto footer = all.rfind("{\"event\":\"footer\"");
  std::ofstream(file, std::ios::binary) << all.substr(0, footer);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    std::ofstream(file, std::ios::binary | std::ios::app) << all.substr(footer);
  });
  const auto r = test_support::try_run(spanlog() + " top --interval 0.1 --timeout 20 " + file.string());
  writer.join();
  CHECK(exit_status(r) == 0);
  CHECK(r.output.find("basic-1  running  ") != std::string::npos);  // views before the footer
  CHECK(r.output.find("----") != std::string::npos);
  const auto last = r.output.rfind("spanlog top");
  CHECK(r.output.find("basic-1  complete  ", last) != std::string::npos);
}

TEST_CASE("top --once: each gauge's last value with its range, the newest events and each name's count") {
  const std::string basic = test_support::run(spanlog() + " top --once " + data("basic").string());
  CHECK(basic.find("GAUGES\n") != std::string::npos);
  CHECK(basic.find("  queue.depth                             4            1            9\n") !=
        std::string::npos);
  CHECK(basic.find("EVENTS (newest first)\n") != std::string::npos);
  CHECK(basic.find("main             cache.miss\n") != std::string::npos);
  CHECK(basic.find("worker           cache.miss\n") < basic.find("main             cache.miss\n"));
  CHECK(basic.find("  cache.miss 2\n") != std::string::npos);
  const std::string logs = test_support::run(spanlog() + " top --once " + data("logs").string());
  CHECK(logs.find("GAUGES\n  name") != std::string::npos);
  CHECK(logs.find("EVENTS (newest first)\n  (none)\n") != std::string::npos);
}

TEST_CASE("top of a runs directory waits for the first run and moves to the next, past a run's footer") {
  test_support::TempDir dir;
  const fs::path runs = dir / "runs";
  std::thread maker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    fs::create_directories(runs / "run-1");
    fs::copy(data("basic") / "telemetry.jsonl", runs / "run-1" / "telemetry.jsonl");
    fs::create_directory_symlink("run-1", runs / "latest");
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    fs::create_directories(runs / "run-2");
    fs::copy(data("logs") / "telemetry.jsonl", runs / "run-2" / "telemetry.jsonl");
    fs::create_directory_symlink("run-2", runs / "latest.new");
    fs::rename(runs / "latest.new", runs / "latest");
  });
  const auto r = test_support::try_run(spanlog() + " top --interval 0.1 --timeout 2.5 " + runs.string());
  maker.join();
  CHECK(exit_status(r) == 0);
  const auto waiting = r.output.find("spanlog top  waiting for the first run in " + runs.string());
  const auto first = r.output.find("basic-1  complete  ");
  const auto second = r.output.find("logs-1  complete  ");
  CHECK(waiting != std::string::npos);
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(waiting < first);
  CHECK(r.output.find("waiting for the first run", waiting + 20) == std::string::npos);  // said once
  CHECK(first < second);
  CHECK(r.output.rfind("basic-1") < second);  // the first run is not shown once the second is
}

namespace {

// `spanlog top` on a terminal of its own (a pseudo-terminal this test holds the other end of).
class TopOnTerminal {
 public:
  explicit TopOnTerminal(const std::string& run) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(master_ >= 0);
    REQUIRE(::grantpt(master_) == 0);
    REQUIRE(::unlockpt(master_) == 0);
    const std::string terminal = ::ptsname(master_);
    const std::string program = spanlog();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setsid();
      const int slave = ::open(terminal.c_str(), O_RDWR);
      if (slave < 0) ::_exit(99);
      ::ioctl(slave, TIOCSCTTY, 0);
      for (int fd = 0; fd < 3; ++fd) ::dup2(slave, fd);
      ::execl(program.c_str(), program.c_str(), "top", "--interval", "0.2", "--timeout", "60", run.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(98);
    }
  }
  ~TopOnTerminal() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
  }
  // Reads what top drew until `text` shows (true) or `seconds` pass.
  bool read_until(const std::string& text, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (screen.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) break;
      screen.append(buffer, static_cast<std::size_t>(n));
    }
    return screen.find(text) != std::string::npos;
  }
  bool line_mode() const {  // keys buffered until Enter and echoed: as a shell leaves its terminal
    termios mode{};
    REQUIRE(::tcgetattr(master_, &mode) == 0);
    return (mode.c_lflag & ICANON) != 0 && (mode.c_lflag & ECHO) != 0;
  }
  void type(char key) { REQUIRE(::write(master_, &key, 1) == 1); }
  void signal(int number) { ::kill(pid_, number); }
  // The exit status, or -1 when it did not exit within `seconds`.
  int wait(double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      read_until("\x01never\x01", 0.05);  // keeps its output flowing
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }
  std::string screen;

 private:
  int master_ = -1;
  pid_t pid_ = -1;
};

}  // namespace

TEST_CASE(
    "top on a terminal: keys unbuffered while it runs, q quits, the terminal restored (also on SIGTERM)") {
  test_support::TempDir dir;
  fs::create_directories(dir / "runs" / "run-1");
  fs::copy(data("basic") / "telemetry.jsonl", dir / "runs" / "run-1" / "telemetry.jsonl");
  fs::create_directory_symlink("run-1", dir / "runs" / "latest");
  {
    TopOnTerminal top((dir / "runs").string());  // a runs directory: top waits for the next run, until q
    REQUIRE(top.read_until("(q quits)", 20));
    CHECK(top.screen.find("basic-1  complete") != std::string::npos);
    CHECK_FALSE(top.line_mode());
    top.type('q');
    CHECK(top.wait(10) == 0);
    CHECK(top.line_mode());
  }
  {
    TopOnTerminal top((dir / "runs").string());
    REQUIRE(top.read_until("(q quits)", 20));
    CHECK_FALSE(top.line_mode());
    top.signal(SIGTERM);
    CHECK(top.wait(10) == 0);
    CHECK(top.line_mode());
  }
}

TEST_CASE("top: a missing run is exit status 2") {
  const auto r = test_support::try_run(spanlog() + " top --once /nonexistent/run");
  CHECK(exit_status(r) == 2);
  CHECK(r.output.find("/nonexistent/run") != std::string::npos);
}

TEST_CASE("serve: a missing run file, a bad port or a port in use is exit status 2, naming it") {
  auto r = test_support::try_run(spanlog() + " serve /nonexistent/run/telemetry.jsonl --port 0 --timeout 1");
  CHECK(exit_status(r) == 2);
  CHECK(r.output.find("/nonexistent/run/telemetry.jsonl") != std::string::npos);
  // A directory that is not there yet is a runs directory whose first run has not started: served, waiting.
  r = test_support::try_run(spanlog() + " serve /nonexistent/runs --port 0 --timeout 1");
  CHECK(exit_status(r) == 0);
  CHECK(r.output.find("serving the newest run in /nonexistent/runs on http://127.0.0.1:") !=
        std::string::npos);
  CHECK(r.output.find("waiting for the first run in /nonexistent/runs\n") != std::string::npos);
  r = test_support::try_run(spanlog() + " serve " + data("basic").string() + " --port 70000 --timeout 1");
  CHECK(exit_status(r) == 2);
  CHECK(r.output.find("70000") != std::string::npos);

  // A first server on a free port, then a second asking for the same port.
  test_support::TempDir dir;
  const fs::path banner = dir / "banner";
  r = test_support::try_run(
      "sh -c '" + spanlog() + " serve " + data("basic").string() + " --port 0 --timeout 20 > " +
      banner.string() + " & first=$!; for i in $(seq 100); do grep -q http " + banner.string() +
      " && break; sleep 0.1; done; port=$(sed -n \"s|.*127.0.0.1:\\([0-9]*\\)/.*|\\1|p\" " + banner.string() +
      "); " + spanlog() + " serve " + data("basic").string() +
      " --port $port --timeout 1; echo second=$?; kill $first; wait $first; echo first=$?'");
  INFO(r.output);
  CHECK(r.output.find("cannot listen on 127.0.0.1:") != std::string::npos);
  CHECK(r.output.find("second=2") != std::string::npos);
  CHECK(r.output.find("first=0") != std::string::npos);  // SIGTERM ends it cleanly
}

TEST_CASE("report: a crash record reaches the page with its reason, a footer with its stopped_by") {
  test_support::TempDir dir;
  const std::string header =
      R"({"event":"header","schema":1,"schema_minor":1,"run_id":"ended","start_ts":1795459260000000000})"
      "\n"
      R"({"event":"span_start","span_id":1,"name":"write","tid":4243,"ts":1795459260000001000})"
      "\n";
  auto record_of = [&](const std::string& last, const std::string& event) {
    {
      std::ofstream out(dir / "telemetry.jsonl", std::ios::binary | std::ios::trunc);
      out << header << last << "\n";
    }
    const fs::path page = dir / "report.html";
    test_support::run(spanlog() + " report " + (dir / "telemetry.jsonl").string() + " -o " + page.string());
    auto d = std::make_unique<ReportData>();
    load(*d, read_text(page));
    simdjson::dom::array records;
    REQUIRE(d->root["records"].get(records) == simdjson::SUCCESS);
    for (simdjson::dom::element r : records)
      if (std::string_view(r["event"].get_string()) == event) return simdjson::to_string(r);
    return std::string();
  };
  const std::string crash = record_of(
      R"({"event":"crash","signal":6,"name":"SIGABRT","reason":"uncaught exception std::runtime_error: disk full","tid":4243,"ts":1795459261200000000})",
      "crash");
  CHECK(crash.find(R"("reason":"uncaught exception std::runtime_error: disk full")") != std::string::npos);
  CHECK(crash.find(R"("name":"SIGABRT")") != std::string::npos);
  CHECK(crash.find(R"("ts":1200000000)") != std::string::npos);  // relative to the run's start, as the rest

  // An older record without reason: the page is given its name as the reason.
  const std::string old = record_of(
      R"({"event":"crash","signal":11,"name":"SIGSEGV","tid":4243,"ts":1795459261200000000})", "crash");
  CHECK(old.find(R"("reason":"SIGSEGV")") != std::string::npos);

  const std::string footer = record_of(
      R"({"event":"footer","ts":1795459262000000000,"wall_ns":2000000000,"stopped_by":"SIGTERM"})", "footer");
  CHECK(footer.find(R"("stopped_by":"SIGTERM")") != std::string::npos);
}

TEST_CASE("report: the run's log lines in time order with thread and span names, counted by level") {
  test_support::TempDir dir;
  const fs::path out = dir / "logs.html";
  test_support::run(spanlog() + " report " + data("logs").string() + " -o " + out.string());
  ReportData d;
  load(d, read_text(out));
  const auto logs = d.root["logs"];
  std::map<std::string, std::uint64_t> counts;
  for (auto [level, count] : logs["counts"].get_object()) counts[std::string(level)] = count.get_uint64();
  CHECK(counts == std::map<std::string, std::uint64_t>{
                      {"trace", 1}, {"debug", 1}, {"info", 1}, {"warn", 3}, {"error", 2}});
  CHECK(logs["max_lines"].get_uint64().value() == 2000);
  CHECK(logs["left_out"].get_uint64().value() == 0);
  std::vector<std::string> lines;
  std::uint64_t previous = 0;
  for (simdjson::dom::element line : logs["lines"].get_array()) {
    const std::uint64_t offset = line["offset_ns"].get_uint64();
    CHECK(offset >= previous);  // the file holds one thread's lines after another's
    previous = offset;
    std::string_view span = "-";
    if (!line["span"].is_null()) span = line["span"].get_string();
    lines.push_back(fmt::format("{} {} {} {}", offset / 1000, line["level"].get_string().value(), span,
                                line["msg"].get_string().value()));
  }
  CHECK(lines == std::vector<std::string>{
                     "1500 debug - worker ready",
                     "2000 info request request started for /users",
                     "2500 trace - tick",
                     "3000 warn fetch retrying https://example.org after 7 ms",
                     "5000 warn fetch retrying https://example.com after 3 ms",
                     "6000 error fetch fetch failed: timeout",
                     "7000 warn - queue full",
                     "8500 error - shutting down after 1 error",
                 });
  // What a click on a line shows: its attributes and thread.
  CHECK(d.text.find(R"("thread":"worker-1","span_id":200,"span":"fetch","msg":"fetch failed: timeout",)"
                    R"("attrs":{"error":"timeout"})") != std::string::npos);
}

TEST_CASE("report: past 2,000 log lines the newest are listed, and the older ones only counted") {
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  {
    // Two threads of 2,500 lines each, one thread's after the other's as the flusher writes them: the
    // newest 2,000 by time are half of each.
    std::ofstream run(file, std::ios::binary);
    run << R"({"event":"header","schema":1,"schema_minor":6,"run_id":"many","start_ts":1000000})"
        << "\n";
    for (int tid = 1; tid <= 2; ++tid)
      for (int i = 0; i < 2500; ++i)
        run << fmt::format(
                   R"({{"event":"log","level":"{}","tid":{},"ts":{},"msg":"line {}","site":{{"file":"a.cpp","line":1}}}})",
                   i % 10 == 0 ? "warn" : "info", tid, 1000000 + 2 * i + tid, i)
            << "\n";
    run << R"({"event":"footer","ts":1100000,"wall_ns":100000})"
        << "\n";
  }
  const fs::path out = dir / "many.html";
  test_support::run(spanlog() + " report " + file.string() + " -o " + out.string());
  ReportData d;
  load(d, read_text(out));
  const auto logs = d.root["logs"];
  CHECK(logs["counts"]["info"].get_uint64().value() == 4500);
  CHECK(logs["counts"]["warn"].get_uint64().value() == 500);
  CHECK(logs["left_out"].get_uint64().value() == 3000);
  simdjson::dom::array lines;
  REQUIRE(logs["lines"].get(lines) == simdjson::SUCCESS);
  REQUIRE(lines.size() == 2000);
  CHECK(lines.at(0)["offset_ns"].get_uint64().value() == 2 * 1500 + 1);  // thread 1's line 1500
  CHECK(lines.at(1999)["offset_ns"].get_uint64().value() == 2 * 2499 + 2);
  std::uint64_t previous = 0;
  for (simdjson::dom::element line : lines) {
    CHECK(line["offset_ns"].get_uint64().value() > previous);
    previous = line["offset_ns"].get_uint64();
  }
}
