// `spanlog serve` without a browser: which request paths answer, following a file that grows, is truncated
// or is rotated, and the server itself over raw sockets: the page, /summary.json, /metrics, /events streaming
// new lines to many clients, and clients that go away; a runs directory served before its first run and from
// run to run; the run label /metrics adds to every series; schema 1.7 metrics as /events sends them and as a
// report carries them (each series apart, the largest kept, histograms merged).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "export/prometheus.hpp"
#include "export/prometheus_run_label.hpp"
#include "reader/file_follower.hpp"
#include "report/live_server.hpp"
#include "report/routes.hpp"
#include "report/run_snapshot.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using spanlog::reader::FileFollower;
using spanlog::report::LiveServer;
using spanlog::report::Route;
using spanlog::report::route_for;

namespace {

void append(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::app) << text;
}
void write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

const std::string kHeader =
    R"({"event":"header","schema":1,"schema_minor":0,"version":"0.1.0","run_id":"view-1","pid":1,"process":"demo","host":"h","start_ts":1000,"clock":{"source":"steady"}})"
    "\n";
std::string span_line(int id, const std::string& name, bool error = false) {
  return R"({"event":"span","span_id":)" + std::to_string(id) + R"(,"name":")" + name + R"(","tid":1,"ts":)" +
         std::to_string(1000 + id * 10) + R"(,"dur_ns":5,"status":")" + (error ? "error" : "ok") + "\"}\n";
}

// A connection to the server that speaks HTTP/1.1 by hand, so the request path is sent exactly as written.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~RawClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void get(const std::string& path, const std::string& host = "127.0.0.1") {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  }
  // Reads until `needle` has arrived (true) or the time is up or the server closed (false).
  bool read_until(const std::string& needle, double seconds = 10.0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (received.find(needle) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return received.find(needle) != std::string::npos;
      received.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }
  // The whole answer of a request with Connection: close.
  std::string answer(const std::string& path, const std::string& host = "127.0.0.1") {
    get(path, host);
    read_until("\x01never\x01", 10.0);
    return received;
  }
  std::string received;

 private:
  int fd_ = -1;
};

int status_of(const std::string& answer) {
  return answer.size() > 12 ? std::stoi(answer.substr(9, 3)) : 0;
}

bool wait_for(const std::function<bool()>& condition, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

}  // namespace

TEST_CASE("only the fixed paths answer; a path never names a file") {
  CHECK(route_for("/") == Route::page);
  CHECK(route_for("/index.html") == Route::page);
  CHECK(route_for("/events") == Route::events);
  CHECK(route_for("/summary.json") == Route::summary_json);
  CHECK(route_for("/metrics") == Route::metrics);
  CHECK(spanlog::report::is_loopback_host("127.0.0.1:8080", 8080));
  CHECK(spanlog::report::is_loopback_host("localhost", 8080));
  CHECK(spanlog::report::is_loopback_host("[::1]:8080", 8080));
  CHECK_FALSE(spanlog::report::is_loopback_host("127.0.0.1:8081", 8080));
  CHECK_FALSE(spanlog::report::is_loopback_host("localhost.evil.example:8080", 8080));
  CHECK_FALSE(spanlog::report::is_loopback_host("", 8080));
  for (const char* hostile : {"/telemetry.jsonl", "/../telemetry.jsonl", "/../../../etc/passwd",
                              "//etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/events/../../etc/passwd",
                              "/metrics/", "/events?x", "", "events", "/SUMMARY.JSON", "/run_summary.json"})
    CHECK_MESSAGE(route_for(hostile) == Route::not_found, hostile);
}

TEST_CASE("the follower hands out whole lines only, as they are completed") {
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  FileFollower follower(file);
  CHECK(follower.poll().lines.empty());  // not there yet
  CHECK_FALSE(follower.is_open());
  write(file, "{\"a\":1}\n{\"b\":");
  auto update = follower.poll();
  CHECK_FALSE(update.reset);
  CHECK(update.lines == "{\"a\":1}\n");
  CHECK(follower.poll().lines.empty());
  append(file, "2}\n{\"c\":3}\n");
  CHECK(follower.poll().lines == "{\"b\":2}\n{\"c\":3}\n");
  // Reads in bounded pieces: a large burst comes over several polls, nothing lost or repeated.
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += "{\"n\":" + std::to_string(i) + "}\n";
  append(file, burst);
  std::string got;
  for (int i = 0; i < 100 && got.size() < burst.size(); ++i) got += follower.poll(1000).lines;
  CHECK(got == burst);
}

TEST_CASE("the follower starts again when the file is truncated or rotated") {
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  write(file, "{\"first\":1}\n{\"first\":2}\n");
  FileFollower follower(file);
  CHECK(follower.poll().lines == "{\"first\":1}\n{\"first\":2}\n");

  SUBCASE("truncated and rewritten shorter") {
    write(file, "{\"x\":1}\n");
    const auto update = follower.poll();
    CHECK(update.reset);
    CHECK(update.lines == "{\"x\":1}\n");
    append(file, "{\"x\":2}\n");
    const auto next = follower.poll();
    CHECK_FALSE(next.reset);
    CHECK(next.lines == "{\"x\":2}\n");
  }
  SUBCASE("rotated: another file renamed over it, even a longer one") {
    write(dir / "next.jsonl", "{\"second\":1}\n{\"second\":2}\n{\"second\":3}\n");
    fs::rename(dir / "next.jsonl", file);
    const auto update = follower.poll();
    CHECK(update.reset);
    CHECK(update.lines == "{\"second\":1}\n{\"second\":2}\n{\"second\":3}\n");
  }
  SUBCASE("removed: nothing more, and no error") {
    fs::remove(file);
    const auto update = follower.poll();
    CHECK_FALSE(update.reset);
    CHECK(update.lines.empty());
  }
}

TEST_CASE("the follower of $SPANLOG_DIR/latest moves to the next run when the link moves") {
  test_support::TempDir dir;
  fs::create_directories(dir / "run-1");
  fs::create_directories(dir / "run-2");
  write(dir / "run-1" / "telemetry.jsonl", "{\"run\":1}\n");
  write(dir / "run-2" / "telemetry.jsonl", "{\"run\":2}\n");
  fs::create_directory_symlink("run-1", dir / "latest");
  FileFollower follower(dir / "latest" / "telemetry.jsonl");
  CHECK(follower.poll().lines == "{\"run\":1}\n");
  fs::create_directory_symlink("run-2", dir / "latest.new");
  fs::rename(dir / "latest.new", dir / "latest");
  const auto update = follower.poll();
  CHECK(update.reset);
  CHECK(update.lines == "{\"run\":2}\n");
}

TEST_CASE("the server answers the page, the summary and the metrics, and nothing else") {
  ::signal(SIGPIPE, SIG_IGN);
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  write(file, kHeader + span_line(1, "alpha") + span_line(2, "beta", true));
  write(dir / "secret.txt", "do not serve\n");
  spanlog::report::ServeOptions options;
  options.file = file;
  options.metrics_text = spanlog::exporters::prometheus_text;
  LiveServer server(options);
  const int port = server.start();
  REQUIRE(port > 0);

  const std::string page = RawClient(port).answer("/");
  CHECK(status_of(page) == 200);
  CHECK(page.find("id=\"timeline\"") != std::string::npos);
  CHECK(page.find("<script src") == std::string::npos);  // nothing fetched from elsewhere

  const std::string summary = RawClient(port).answer("/summary.json");
  CHECK(status_of(summary) == 200);
  CHECK(summary.find("\"run_id\":\"view-1\"") != std::string::npos);
  CHECK(summary.find("\"name\":\"beta\"") != std::string::npos);

  const std::string metrics = RawClient(port).answer("/metrics");
  CHECK(status_of(metrics) == 200);
  CHECK(metrics.find("spanlog_span_duration_seconds_count{name=\"alpha\"} 1") != std::string::npos);
  {  // the page's layer writes no exporter's format: without the command's metrics text, no /metrics
    spanlog::report::ServeOptions bare;
    bare.file = file;
    LiveServer without_metrics(bare);
    const int bare_port = without_metrics.start();
    REQUIRE(bare_port > 0);
    CHECK(status_of(RawClient(bare_port).answer("/metrics")) == 404);
    CHECK(status_of(RawClient(bare_port).answer("/summary.json")) == 200);
    without_metrics.stop();
    without_metrics.wait();
  }

  // The summary follows the file.
  append(file, span_line(3, "gamma"));
  CHECK(RawClient(port).answer("/summary.json").find("\"name\":\"gamma\"") != std::string::npos);

  for (const char* hostile : {"/secret.txt", "/../secret.txt", "/telemetry.jsonl", "/%2e%2e/secret.txt",
                              "/..%2fsecret.txt", "/events/../secret.txt", "/../../../../etc/passwd"}) {
    const std::string answer = RawClient(port).answer(hostile);
    CHECK_MESSAGE(status_of(answer) >= 400, hostile);
    CHECK_MESSAGE(answer.find("do not serve") == std::string::npos, hostile);
    CHECK_MESSAGE(answer.find("root:") == std::string::npos, hostile);
  }
  // Another site's name resolved to 127.0.0.1 (DNS rebinding) gets nothing.
  for (const std::string& host : std::vector<std::string>{
           "evil.example", "evil.example:" + std::to_string(port), "127.0.0.1.evil.example"}) {
    const std::string answer = RawClient(port).answer("/summary.json", host);
    CHECK_MESSAGE(status_of(answer) == 403, host);
    CHECK_MESSAGE(answer.find("view-1") == std::string::npos, host);
  }
  CHECK(status_of(RawClient(port).answer("/summary.json", "localhost:" + std::to_string(port))) == 200);
  CHECK(status_of(RawClient(port).answer("/summary.json", "127.0.0.1:" + std::to_string(port))) == 200);
  server.stop();
}

TEST_CASE("/events streams every line, then each new one, to many clients; truncation resets them") {
  ::signal(SIGPIPE, SIG_IGN);
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  write(file, kHeader + span_line(1, "before"));
  spanlog::report::ServeOptions options;
  options.file = file;
  options.poll_seconds = 0.02;
  options.keepalive_seconds = 0.1;
  LiveServer server(options);
  const int port = server.start();

  constexpr int kClients = 12;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(port));
    clients.back()->get("/events");
  }
  for (auto& c : clients) {
    REQUIRE(c->read_until("\"name\":\"before\""));
    CHECK(c->received.find("text/event-stream") != std::string::npos);
    CHECK(c->received.find("event: reset") < c->received.find("data: {\"event\":\"header\""));
  }
  CHECK(wait_for([&] { return server.event_clients() == kClients; }, 5));

  // A line written in two pieces arrives once, whole.
  append(file, span_line(2, "after").substr(0, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  append(file, span_line(2, "after").substr(20));
  for (auto& c : clients) {
    REQUIRE(c->read_until("\"name\":\"after\""));
    CHECK(c->received.find("data: " + span_line(2, "after").substr(0, span_line(2, "after").size() - 1) +
                           "\n\n") != std::string::npos);
  }

  // Half the clients go away: their streams end, the others go on.
  for (int i = 0; i < kClients / 2; ++i) clients[static_cast<std::size_t>(i)]->close();
  CHECK(wait_for([&] { return server.event_clients() == kClients - kClients / 2; }, 10));
  append(file, span_line(3, "later"));
  for (int i = kClients / 2; i < kClients; ++i)
    CHECK(clients[static_cast<std::size_t>(i)]->read_until("\"name\":\"later\""));

  // Truncated and written again: a reset, then the new content.
  auto& c = *clients.back();
  const std::size_t seen = c.received.size();
  write(file, kHeader + span_line(9, "fresh"));
  REQUIRE(c.read_until("\"name\":\"fresh\""));
  const std::string tail = c.received.substr(seen);
  CHECK(tail.find("event: reset") != std::string::npos);
  CHECK(tail.find("event: reset") < tail.find("\"name\":\"fresh\""));

  server.stop();
  server.wait();
  CHECK(wait_for([&] { return server.event_clients() == 0; }, 10));
}

TEST_CASE("a label added to every sample: bare, labelled and empty label sets; comments and its own kept") {
  using spanlog::exporters::with_label;
  const std::string text =
      "# HELP spanlog_items_total items\n"
      "# TYPE spanlog_items_total counter\n"
      "spanlog_items_total 3\n"
      "spanlog_span_duration_seconds_bucket{name=\"a \\\"run_id=\\\" b\",le=\"+Inf\"} 2\n"
      "spanlog_empty{} 1\n"
      "spanlog_own{model=\"x\",run_id=\"mine\"} 4\n";
  const std::string labelled = with_label(text, "run_id", "r\"1");
  CHECK(labelled ==
        "# HELP spanlog_items_total items\n"
        "# TYPE spanlog_items_total counter\n"
        "spanlog_items_total{run_id=\"r\\\"1\"} 3\n"
        "spanlog_span_duration_seconds_bucket{run_id=\"r\\\"1\",name=\"a \\\"run_id=\\\" b\",le=\"+Inf\"} 2\n"
        "spanlog_empty{run_id=\"r\\\"1\"} 1\n"
        "spanlog_own{model=\"x\",run_id=\"mine\"} 4\n");
  CHECK(with_label("", "run_id", "r") == "");
}

TEST_CASE("the server of a runs directory is up before its first run and moves to each new run") {
  ::signal(SIGPIPE, SIG_IGN);
  test_support::TempDir dir;
  const fs::path runs = dir / "runs";  // not there yet: the program that makes it has not started
  spanlog::report::ServeOptions options;
  options.file = runs / "latest" / "telemetry.jsonl";
  options.follows_latest = true;
  options.poll_seconds = 0.02;
  options.metrics_text = spanlog::exporters::prometheus_text;
  LiveServer server(options);
  const int port = server.start();
  REQUIRE(port > 0);

  // No run yet: a scrape finds no series (and is not an error), the page is told it waits.
  const std::string empty_metrics = RawClient(port).answer("/metrics");
  CHECK(status_of(empty_metrics) == 200);
  CHECK(empty_metrics.find("spanlog_") == std::string::npos);
  CHECK(status_of(RawClient(port).answer("/summary.json")) == 503);
  RawClient events(port);
  events.get("/events");
  REQUIRE(events.read_until("data: {\"run\":null,\"latest\":true}"));

  const auto start_run = [&](const std::string& name, const std::string& run_id, const std::string& span) {
    fs::create_directories(runs / name);
    std::string header = kHeader;
    header.replace(header.find("view-1"), 6, run_id);
    write(runs / name / "telemetry.jsonl", header + span_line(1, span));
    fs::create_directory_symlink(name, runs / "latest.new");
    fs::rename(runs / "latest.new", runs / "latest");
  };
  start_run("run-1", "first-run", "alpha");
  REQUIRE(events.read_until("\"name\":\"alpha\""));
  const std::size_t first_announced = events.received.find("data: {\"run\":\"run-1\",\"latest\":true}");
  CHECK(first_announced != std::string::npos);
  CHECK(first_announced < events.received.find("\"name\":\"alpha\""));
  CHECK(RawClient(port).answer("/metrics").find("spanlog_span_duration_seconds_count{name=\"alpha\"} 1") !=
        std::string::npos);

  const std::size_t seen = events.received.size();
  start_run("run-2", "second-run", "beta");
  REQUIRE(events.read_until("\"name\":\"beta\""));
  const std::string after = events.received.substr(seen);
  CHECK(after.find("data: {\"run\":\"run-2\",\"latest\":true}") < after.find("\"run_id\":\"second-run\""));
  CHECK(after.find("\"name\":\"alpha\"") == std::string::npos);
  const std::string summary = RawClient(port).answer("/summary.json");
  CHECK(summary.find("\"run_id\":\"second-run\"") != std::string::npos);
  CHECK(summary.find("\"name\":\"alpha\"") == std::string::npos);
  server.stop();
  server.wait();
}

namespace {

// A run of schema 1.7 metrics: a counter with ten label sets (sizes 10, 20, ... 100), a histogram in two
// lines, a metric declared after the start, and a vital.
std::string metrics_run() {
  std::string text =
      R"({"event":"header","schema":1,"schema_minor":7,"version":"0.1.0","run_id":"metrics-view","pid":1,)"
      R"("process":"demo","host":"h","start_ts":1000000000,"clock":{"source":"steady"},)"
      R"("metrics":{"llm.tokens":{"unit":"{token}","description":"Tokens"}}})"
      "\n"
      R"({"event":"metric_info","name":"queue.wait","ts":1100000000,"unit":"us","description":"Waiting"})"
      "\n";
  for (int model = 1; model <= 10; ++model)
    text += R"({"event":"counter","name":"llm.tokens","ts":1100000000,"delta":)" +
            std::to_string(model * 10) + R"(,"labels":{"model":"m-)" + std::to_string(model) + "\"}}\n";
  text += R"({"event":"histogram","name":"queue.wait","ts":1200000000,"sum":73,"buckets":[[12,2],[49,1]],)"
          R"("count":3,"labels":{"queue":"io"}})"
          "\n"
          R"({"event":"histogram","name":"queue.wait","ts":1300000000,"sum":300,"buckets":[[12,1],[300,1]],)"
          R"("count":2,"labels":{"queue":"io"}})"
          "\n"
          R"({"event":"gauge","name":"spanlog.ring.fill","ts":1400000000,"value":0.25,"min":0.25,"max":0.5,)"
          R"("count":1,"labels":{"tid":7}})"
          "\n"
          R"({"event":"footer","ts":1500000000,"wall_ns":500000000})"
          "\n";
  return text;
}

}  // namespace

TEST_CASE("a report's metrics: each series apart, the largest kept, histograms merged, units carried") {
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  write(file, metrics_run());
  const spanlog::report::Snapshot snapshot = spanlog::report::build_snapshot(file, {});
  // The records the page draws: the summary before them lists every series.
  const std::string json = snapshot.json.substr(snapshot.json.find(R"("series_left_out":)"));
  INFO(json);
  // Eight of the ten label sets, the largest (m-3 to m-10); the two smallest counted as left out.
  for (int model = 3; model <= 10; ++model)
    CHECK(json.find(R"("delta":)" + std::to_string(model * 10) + R"(,"labels":{"model":"m-)" +
                    std::to_string(model) + "\"}}") != std::string::npos);
  CHECK(json.find(R"("labels":{"model":"m-1"})") == std::string::npos);
  CHECK(json.find(R"("labels":{"model":"m-2"})") == std::string::npos);
  CHECK(json.find(R"("series_left_out":{"llm.tokens":2})") != std::string::npos);
  // The histogram's two lines as one, its buckets merged: 12 three times, 49, 300 (in the bucket of 300).
  CHECK(json.find(R"({"event":"histogram","name":"queue.wait","ts":300000000,"sum":373,"count":5,)"
                  R"("buckets":[[12,3],[49,1],[300,1]],"labels":{"queue":"io"}})") != std::string::npos);
  // Units and descriptions, from the header and from a metric_info line.
  CHECK(
      json.find(
          R"({"event":"metric_info","name":"llm.tokens","ts":0,"unit":"{token}","description":"Tokens"})") !=
      std::string::npos);
  CHECK(json.find(
            R"({"event":"metric_info","name":"queue.wait","ts":0,"unit":"us","description":"Waiting"})") !=
        std::string::npos);
  // A gauge keeps its labels and the peak of its bucket (a ring's peak fill).
  CHECK(json.find(R"({"event":"gauge","name":"spanlog.ring.fill","ts":400000000,"value":0.25,"max":0.5,)"
                  R"("labels":{"tid":7}})") != std::string::npos);
}

TEST_CASE("/events sends labelled, histogram and metric_info lines as the file holds them") {
  ::signal(SIGPIPE, SIG_IGN);
  test_support::TempDir dir;
  const fs::path file = dir / "telemetry.jsonl";
  const std::string run = metrics_run();
  const std::string without_footer = run.substr(0, run.find(R"({"event":"footer")"));
  write(file, without_footer);
  spanlog::report::ServeOptions options;
  options.file = file;
  LiveServer server(options);
  const int port = server.start();
  REQUIRE(port > 0);
  RawClient client(port);
  client.get("/events");
  REQUIRE(client.read_until(R"(data: {"event":"gauge","name":"spanlog.ring.fill")"));
  std::string::size_type from = 0;
  for (std::string::size_type end; (end = without_footer.find('\n', from)) != std::string::npos;
       from = end + 1)
    CHECK(client.received.find("data: " + without_footer.substr(from, end - from) + "\n") !=
          std::string::npos);
  const std::string late =
      R"({"event":"histogram","name":"queue.wait","ts":1450000000,"sum":5,"buckets":[[5,1]],"count":1,)"
      R"("labels":{"queue":"net"}})";
  append(file, late + "\n");
  CHECK(client.read_until("data: " + late + "\n"));
  server.stop();
}
