// A real Prometheus (Debian's /usr/bin/prometheus) scraping `spanlog serve` while a run is being written:
// started on a free loopback port from a temporary directory with a 1 s scrape interval, asked through its
// HTTP API (/api/v1/query), and its answers compared with what the run's file holds, read here without the
// reader library: (a) a labelled counter per label set, (b) a histogram's quantile through
// histogram_quantile over its buckets, (c) a vitals gauge (resident memory), besides an unlabelled counter
// and a gauge. `spanlog serve` is started before the program records, on the runs directory, as a long-lived
// scrape target is. Skipped, saying why, only when the prometheus binary is not installed.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <httplib.h>
#include <simdjson.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace fs = std::filesystem;
using test_support::env;

namespace {

const char* const kPrometheus = "/usr/bin/prometheus";

bool report_skip() {
  if (fs::exists(kPrometheus)) return false;
  std::cerr << "view_prometheus: skipped: " << kPrometheus
            << " is not installed (Debian's prometheus package)\n";
  return true;
}
const bool kSkip = report_skip();

// A program started in a process group of its own, ended with the whole group (SIGTERM, then SIGKILL after
// five seconds) when the object goes, also when a check failed: no server outlives the test.
class ProcessGroup {
 public:
  ProcessGroup(const std::vector<std::string>& argv, const fs::path& directory, const fs::path& output,
               const std::vector<std::string>& extra_env = {}) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> environment(extra_env);
    for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    const int error = posix_spawn(&pid_, args[0], &actions, &attributes, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    REQUIRE_MESSAGE(error == 0, "cannot start " << argv[0]);
  }
  ~ProcessGroup() { stop(); }
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  // Ends the group; the leader's exit status (128 + N for a signal), or -1 when it was gone already.
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(-pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(-pid_, SIGKILL);  // anything the leader left behind in its group
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // Waits up to `seconds` for the leader to exit by itself, then ends the group as stop() does.
  int wait(double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    int status = 0;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        ::kill(-pid_, SIGKILL);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return stop();
  }
  bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

 private:
  pid_t pid_ = -1;
};

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool wait_for(const std::function<bool()>& condition, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

// A loopback port nobody listens on now (bound and released: Prometheus takes it a moment later).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t size = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// One sample of a query's instant vector: its labels and value.
struct Sample {
  std::map<std::string, std::string> labels;
  double value = std::nan("");
};

// Prometheus's answer to an instant query, or nothing when it did not answer with success.
std::optional<std::vector<Sample>> query(int port, const std::string& promql) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5, 0);
  const auto answer = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!answer || answer->status != 200) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(answer->body).get(root) != simdjson::SUCCESS) return std::nullopt;
  std::string_view status;
  if (root["status"].get(status) != simdjson::SUCCESS || status != "success") return std::nullopt;
  simdjson::dom::array result;
  if (root["data"]["result"].get(result) != simdjson::SUCCESS) return std::nullopt;
  std::vector<Sample> samples;
  for (simdjson::dom::element item : result) {
    Sample sample;
    simdjson::dom::object metric;
    if (item["metric"].get(metric) == simdjson::SUCCESS)
      for (auto [key, value] : metric)
        sample.labels[std::string(key)] = std::string(value.get_string().value());
    std::string_view text;
    if (item["value"].at(1).get(text) == simdjson::SUCCESS) sample.value = std::stod(std::string(text));
    samples.push_back(std::move(sample));
  }
  return samples;
}

// The value of a query that answers one sample, once it equals `expected` (scrapes come every second), or
// the last value seen.
double settled_value(int port, const std::string& promql, double expected, double seconds = 20) {
  double last = std::nan("");
  wait_for(
      [&] {
        const auto samples = query(port, promql);
        if (samples && samples->size() == 1) last = samples->front().value;
        return last == expected;
      },
      seconds);
  return last;
}

// What the run's file holds, read line by line with simdjson here (not with the reader library).
struct Recorded {
  std::string run_id;
  std::map<std::string, double> counters;                // unlabelled: name -> sum of deltas
  std::map<std::string, double> gauges;                  // unlabelled: name -> last value
  std::map<std::string, std::set<double>> gauge_values;  // every value a gauge line held, labelled or not
  std::map<std::string, double> labelled_counters;       // "name{key=value}" -> sum of deltas
  std::vector<std::pair<std::uint64_t, std::uint64_t>> histogram_buckets;  // request.bytes: [lower, count]
};

Recorded read_run(const fs::path& file) {
  Recorded recorded;
  simdjson::dom::parser parser;
  std::istringstream lines(read_text(file));
  std::string line;
  while (std::getline(lines, line)) {
    simdjson::dom::element record;
    if (parser.parse(line).get(record) != simdjson::SUCCESS) continue;
    std::string_view event, name;
    if (record["event"].get(event) != simdjson::SUCCESS) continue;
    if (event == "header") {
      std::string_view run_id;
      if (record["run_id"].get(run_id) == simdjson::SUCCESS) recorded.run_id = run_id;
      continue;
    }
    if (record["name"].get(name) != simdjson::SUCCESS) continue;
    simdjson::dom::object labels;
    const bool labelled = record["labels"].get(labels) == simdjson::SUCCESS && labels.size() > 0;
    std::string series(name);
    if (labelled) {
      series += "{";
      for (auto [key, value] : labels) {
        std::string_view text;
        series +=
            std::string(key) + "=" + (value.get(text) == simdjson::SUCCESS ? std::string(text) : "?") + ",";
      }
      series.back() = '}';
    }
    if (event == "counter") {
      double delta = 0;
      if (record["delta"].get(delta) != simdjson::SUCCESS) continue;
      (labelled ? recorded.labelled_counters[series] : recorded.counters[series]) += delta;
    } else if (event == "gauge") {
      double value = 0;
      if (record["value"].get(value) != simdjson::SUCCESS) continue;
      if (!labelled) recorded.gauges[series] = value;
      recorded.gauge_values[std::string(name)].insert(value);
    } else if (event == "histogram" && name == "request.bytes") {
      simdjson::dom::array buckets;
      if (record["buckets"].get(buckets) != simdjson::SUCCESS) continue;
      for (simdjson::dom::element bucket : buckets)
        recorded.histogram_buckets.emplace_back(bucket.at(0).get_uint64().value(),
                                                bucket.at(1).get_uint64().value());
    }
  }
  return recorded;
}

// The values a query answers, by the value of one label (one sample per label value), once they equal
// `expected`, or the last answer seen.
std::map<std::string, double> settled_by_label(int port, const std::string& promql, const std::string& label,
                                               const std::map<std::string, double>& expected) {
  std::map<std::string, double> last;
  wait_for(
      [&] {
        const auto samples = query(port, promql);
        if (!samples) return false;
        last.clear();
        for (const Sample& sample : *samples)
          last[sample.labels.count(label) ? sample.labels.at(label) : ""] = sample.value;
        return last == expected;
      },
      20);
  return last;
}

// What histogram_quantile(q, ...) answers for the recorded request.bytes, computed here from the file's
// buckets as serve exports them (each bucket counted under the first power of two at or above its largest
// value) and as Prometheus interpolates (linearly within the bucket that holds the rank).
double expected_quantile(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& buckets, double q) {
  std::map<double, double> at_bound;  // power-of-two bound -> values counted under it alone
  double total = 0;
  for (const auto& [lower, count] : buckets) {
    // The file's buckets: exact below 128, then 64 to each power of two (docs/format.md, histogram).
    const double width =
        lower < 128 ? 1.0 : std::exp2(std::floor(std::log2(static_cast<double>(lower)))) / 64;
    const double largest = static_cast<double>(lower) + width - 1;
    double bound = 1;
    while (bound < largest) bound *= 2;
    at_bound[bound] += static_cast<double>(count);
    total += static_cast<double>(count);
  }
  const double rank = q * total;
  double below = 0, previous_bound = 0;
  for (const auto& [bound, count] : at_bound) {
    if (below + count >= rank) return previous_bound + (bound - previous_bound) * (rank - below) / count;
    below += count;
    previous_bound = bound;
  }
  return std::nan("");
}

std::string write_scrape_configuration(const fs::path& directory, int serve_port) {
  const fs::path file = directory / "prometheus.yml";
  std::ofstream(file) << "global:\n"
                         "  scrape_interval: 1s\n"
                         "  evaluation_interval: 1s\n"
                         "scrape_configs:\n"
                         "  - job_name: spanlog\n"
                         "    scrape_interval: 1s\n"
                         "    scrape_timeout: 1s\n"
                         "    static_configs:\n"
                         "      - targets: ['127.0.0.1:"
                      << serve_port << "']\n";
  return file.string();
}

// `spanlog serve`'s port, from the first line it prints ("serving ... on http://127.0.0.1:PORT/").
int served_port(const fs::path& output) {
  int port = 0;
  wait_for(
      [&] {
        const std::string text = read_text(output);
        const auto at = text.find("http://127.0.0.1:");
        if (at == std::string::npos) return false;
        port = std::stoi(text.substr(at + 17));
        return true;
      },
      20);
  return port;
}

}  // namespace

TEST_CASE("Prometheus scrapes serve's /metrics of a run being written and answers what the run recorded" *
          doctest::skip(kSkip)) {
  test_support::TempDir dir;
  const fs::path runs = dir / "runs";
  fs::create_directories(dir / "prometheus");

  // The scrape target first, on a runs directory that does not exist yet: it waits for the program.
  ProcessGroup serve({env("SPANLOG_BIN"), "serve", runs.string(), "--port", "0"}, dir.path(),
                     dir / "serve.out");
  const int serve_port = served_port(dir / "serve.out");
  INFO("spanlog serve:\n" << read_text(dir / "serve.out"));
  REQUIRE(serve_port > 0);

  const int prometheus_port = free_port();
  ProcessGroup prometheus({kPrometheus, "--config.file=" + write_scrape_configuration(dir.path(), serve_port),
                           "--storage.tsdb.path=" + (dir / "prometheus" / "data").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                          dir / "prometheus", dir / "prometheus.out");
  INFO("prometheus:\n" << read_text(dir / "prometheus.out"));
  httplib::Client prometheus_client("127.0.0.1", prometheus_port);
  REQUIRE(wait_for(
      [&] {
        const auto ready = prometheus_client.Get("/-/ready");
        return ready && ready->status == 200;
      },
      30));
  // Up before any run: the target answers, with no series.
  CHECK(settled_value(prometheus_port, "up{job=\"spanlog\"}", 1) == 1);

  ProcessGroup program(
      {env("SPANLOG_PROMETHEUS_PROGRAM"), dir.path().string()}, dir.path(), dir / "program.out",
      {"SPANLOG_DIR=" + runs.string(), "SPANLOG_FLUSH_INTERVAL_MS=50", "SPANLOG_STATS_INTERVAL_MS=200"});
  REQUIRE(wait_for(
      [&] { return read_text(dir / "program.out").find("step 1 recorded") != std::string::npos; }, 30));
  const fs::path file = runs / "latest" / "telemetry.jsonl";
  Recorded recorded = read_run(file);
  REQUIRE_FALSE(recorded.run_id.empty());
  REQUIRE(recorded.counters["items"] == 5);
  REQUIRE(recorded.gauges["queue.depth"] == 7);
  const std::string run = "{run_id=\"" + recorded.run_id + "\"}";

  // An unlabelled counter and a gauge, with the run's id as a label.
  CHECK(settled_value(prometheus_port, "spanlog_items_total" + run, recorded.counters["items"]) == 5);
  CHECK(settled_value(prometheus_port, "spanlog_queue_depth" + run, recorded.gauges["queue.depth"]) == 7);

  // (a) A labelled counter, one series per label set.
  std::map<std::string, double> tokens{{"small", recorded.labelled_counters["llm.tokens{model=small}"]},
                                       {"large", recorded.labelled_counters["llm.tokens{model=large}"]}};
  REQUIRE(tokens == std::map<std::string, double>{{"small", 10}, {"large", 32}});
  CHECK(settled_by_label(prometheus_port, "spanlog_llm_tokens_total" + run, "model", tokens) == tokens);

  // (b) A histogram's quantile over its buckets: what the recorded buckets give by Prometheus's
  // interpolation, and within the documented error of the exact quantile of the values recorded (1 to 1000:
  // p90 is 900): the estimate lies in the power-of-two bucket that holds it, so it is off by less than a
  // factor of two.
  REQUIRE_FALSE(recorded.histogram_buckets.empty());
  const double p90 = expected_quantile(recorded.histogram_buckets, 0.9);
  const double estimate =
      settled_value(prometheus_port, "histogram_quantile(0.9, spanlog_request_bytes_bucket" + run + ")", p90);
  CHECK(estimate == doctest::Approx(p90).epsilon(1e-9));
  CHECK(estimate > 512);
  CHECK(estimate <= 1024);
  CHECK(std::abs(estimate - 900) < 900);
  CHECK(settled_value(prometheus_port, "spanlog_request_bytes_count" + run, 1000) == 1000);
  CHECK(settled_value(prometheus_port, "spanlog_request_bytes_sum" + run, 500500) == 500500);

  // (c) A vitals gauge, resident memory in bytes (spanlog.process.memory.rss, unit By): a value the run
  // recorded (the flusher writes it again each statistics interval).
  double rss = std::nan("");
  CHECK(wait_for(
      [&] {
        const auto samples = query(prometheus_port, "spanlog_process_memory_rss_bytes" + run);
        if (!samples || samples->size() != 1) return false;
        rss = samples->front().value;
        return read_run(file).gauge_values["spanlog.process.memory.rss"].count(rss) == 1;
      },
      20));
  CHECK(rss > 0);

  // The run goes on: the next values reach Prometheus by the next scrapes.
  std::ofstream(dir / "step-2") << "go\n";
  REQUIRE(wait_for(
      [&] { return read_text(dir / "program.out").find("step 2 recorded") != std::string::npos; }, 30));
  recorded = read_run(file);
  REQUIRE(recorded.counters["items"] == 9);
  CHECK(settled_value(prometheus_port, "spanlog_items_total" + run, recorded.counters["items"]) == 9);
  CHECK(settled_value(prometheus_port, "spanlog_queue_depth" + run, recorded.gauges["queue.depth"]) == 3);
  tokens["small"] = recorded.labelled_counters["llm.tokens{model=small}"];
  REQUIRE(tokens["small"] == 15);
  CHECK(settled_by_label(prometheus_port, "spanlog_llm_tokens_total" + run, "model", tokens) == tokens);
  CHECK(program.running());  // all of it while the run was still being written

  std::ofstream(dir / "stop") << "stop\n";
  CHECK(program.wait(20) == 0);

  // The next run: serve moves to it, and its series carry its own run_id, so no counter goes down. The first
  // run's series ends with its total; only the new run's is current.
  const fs::path second_steps = dir / "second";
  fs::create_directories(second_steps);
  ProcessGroup second(
      {env("SPANLOG_PROMETHEUS_PROGRAM"), second_steps.string()}, dir.path(), dir / "second.out",
      {"SPANLOG_DIR=" + runs.string(), "SPANLOG_FLUSH_INTERVAL_MS=50", "SPANLOG_STATS_INTERVAL_MS=200"});
  REQUIRE(wait_for([&] { return read_text(dir / "second.out").find("step 1 recorded") != std::string::npos; },
                   30));
  const Recorded next = read_run(file);
  REQUIRE(next.run_id != recorded.run_id);
  const std::map<std::string, double> current{{next.run_id, 5}};
  CHECK(settled_by_label(prometheus_port, "spanlog_items_total", "run_id", current) == current);
  CHECK(settled_value(prometheus_port, "max_over_time(spanlog_items_total" + run + "[5m])", 9) == 9);
  std::ofstream(second_steps / "step-2") << "go\n";
  std::ofstream(second_steps / "stop") << "stop\n";
  CHECK(second.wait(20) == 0);
  CHECK(prometheus.stop() == 0);
  CHECK(serve.stop() == 0);
}
