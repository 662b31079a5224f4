// The HTTP side of `spanlog serve`: the page, /events (Server-Sent Events: every line of the run's
// telemetry.jsonl from its start, then each new one as it is written), /summary.json and /metrics. Each
// /events client follows the file on its own server thread; a client that goes away ends its thread at the
// next write (the program must ignore SIGPIPE, as `serve` does). Requests name no files: only the run given
// at start is ever read, or, when following a runs directory, the newest run its `latest` link points at.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "reader/summary.hpp"

namespace spanlog::report {

struct ServeOptions {
  std::filesystem::path
      file;  // the run's telemetry.jsonl; DIR/latest/telemetry.jsonl follows DIR's newest run
  bool follows_latest =
      false;  // `file` is a runs directory's newest run: the page says so, and waits for one
  std::string host = "127.0.0.1";
  int port = 0;                    // 0: any free port
  double poll_seconds = 0.1;       // how often an /events client looks for new lines
  double keepalive_seconds = 5.0;  // an idle /events stream sends a comment this often (finds gone clients)
  std::size_t max_clients = 64;    // server threads, /events streams included
  // What /metrics answers, from the run's summary (Prometheus text, given by the command that serves): the
  // page's layer writes no exporter's format. Without it /metrics is not found.
  std::function<std::string(const reader::Summary&)> metrics_text;
};

class LiveServer {
 public:
  explicit LiveServer(ServeOptions options);
  ~LiveServer();
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  // Binds and starts answering on a thread of its own; returns the port. Throws std::runtime_error when the
  // address cannot be bound.
  int start();
  // Blocks until stop() (from a signal handler's thread or another thread).
  void wait();
  void stop();
  // /events streams open now.
  int event_clients() const { return event_clients_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> event_clients_{0};
};

}  // namespace spanlog::report
