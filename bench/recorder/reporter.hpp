// Children report to the parent through a pipe, one line per result: "S key v v v" (samples) or "V key v".
// run_group forks the child for one group of scenarios and parses its lines into `results` for the table.
#pragma once
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "machine.hpp"

namespace recorder_bench {

// The child's side: writes each result as one line to the pipe.
class Reporter {
 public:
  explicit Reporter(int fd) : fd_(fd) {}
  void samples(const std::string& key, const std::vector<double>& v) {
    std::string line = "S " + key;
    for (double x : v) {
      char b[40];
      std::snprintf(b, sizeof b, " %.6g", x);
      line += b;
    }
    send(line);
  }
  void value(const std::string& key, double v) {
    char b[40];
    std::snprintf(b, sizeof b, " %.9g", v);
    send("V " + key + b);
  }

 private:
  void send(std::string line) {
    line += '\n';
    const char* p = line.data();
    std::size_t left = line.size();
    while (left) {
      const ssize_t n = ::write(fd_, p, left);
      if (n <= 0) return;
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  int fd_;
};

// The parent's side: every group's results, by key ("group.scenario").
struct Results {
  std::map<std::string, std::vector<double>> samples;
  std::map<std::string, double> values;
  std::vector<std::string> failed;

  bool has(const std::string& k) const { return samples.count(k) && !samples.at(k).empty(); }
  const std::vector<double>& s(const std::string& k) const {
    static const std::vector<double> none;
    auto it = samples.find(k);
    return it == samples.end() ? none : it->second;
  }
  double v(const std::string& k, double fallback = std::nan("")) const {
    auto it = values.find(k);
    return it == values.end() ? fallback : it->second;
  }
};

// Runs `body` in a forked child and collects its lines. A child that has not finished after `timeout_s` (a
// recorder that deadlocks, a flusher that never drains) is killed and its group reported as failed.
inline bool run_group(const std::string& name, double timeout_s, const std::function<void(Reporter&)>& body,
                      Results& res) {
  int fds[2];
  if (::pipe(fds) != 0) return false;
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::close(fds[0]);
    Reporter out(fds[1]);
    body(out);
    ::close(fds[1]);
    std::exit(0);
  }
  ::close(fds[1]);
  std::string data;
  char buf[4096];
  const std::int64_t deadline = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  bool timed_out = false;
  for (;;) {
    const std::int64_t left_ms = (deadline - now_ns()) / 1000000;
    pollfd p{fds[0], POLLIN, 0};
    const int ready =
        left_ms > 0 ? ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left_ms, 1000))) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (now_ns() < deadline) continue;
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) {
    res.failed.push_back(name + strf(": killed after %.0f s, a hang", timeout_s));
    return false;
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    const std::string line = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() < 3) continue;
    char* p = const_cast<char*>(line.c_str()) + 2;
    char* key_end = std::strchr(p, ' ');
    if (!key_end) continue;
    const std::string key(p, key_end);
    p = key_end;
    std::vector<double> v;
    for (;;) {
      char* stop = nullptr;
      const double x = std::strtod(p, &stop);
      if (stop == p) break;
      v.push_back(x);
      p = stop;
    }
    if (line[0] == 'S') res.samples[key] = v;
    if (line[0] == 'V' && !v.empty()) res.values[key] = v[0];
  }
  const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok)
    res.failed.push_back(name + (WIFSIGNALED(status) ? strf(": killed by signal %.0f", WTERMSIG(status))
                                                     : strf(": exit status %.0f", WEXITSTATUS(status))));
  return ok;
}

}  // namespace recorder_bench
