// `spanlog serve [RUN] --port P`: the report page, live over Server-Sent Events, until SIGINT or SIGTERM.
// Given a runs directory (or nothing: $SPANLOG_DIR), it is up before the first run and moves to each new run.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/usage_error.hpp"
#include "cli/view_commands.hpp"
#include "export/prometheus.hpp"
#include "export/prometheus_run_label.hpp"
#include "reader/run_location.hpp"
#include "report/live_server.hpp"

namespace spanlog::cli {
namespace {

// /metrics: every series labelled with its run's id, so that a new run is a new series (docs/report.md).
std::string metrics_with_run_label(const reader::Summary& summary) {
  const std::string text = exporters::prometheus_text(summary);
  if (summary.runs.empty() || summary.runs.front().run_id.empty()) return text;
  return exporters::with_label(text, "run_id", summary.runs.front().run_id);
}

timespec timespec_of(double seconds) {
  timespec out{};
  out.tv_sec = static_cast<time_t>(seconds);
  out.tv_nsec = static_cast<long>((seconds - static_cast<double>(out.tv_sec)) * 1e9);
  return out;
}

// Says which run is served whenever that changes: once while there is none yet, then each new run.
class RunAnnouncer {
 public:
  RunAnnouncer(const reader::LiveRun& run, const Console& console) : run_(run), console_(console) {}
  void announce_change() {
    const std::optional<std::filesystem::path> now = reader::current_run_directory(run_);
    if (announced_ && now == current_) return;
    if (!now && !announced_)
      console_.print("waiting for the first run in {}\n", run_.runs_directory->string());
    else if (now)
      console_.print("following run {}\n", now->string());
    announced_ = true;
    current_ = now;
    std::fflush(console_.out);
  }

 private:
  const reader::LiveRun& run_;
  const Console& console_;
  bool announced_ = false;
  std::optional<std::filesystem::path> current_;
};

}  // namespace

int serve_command(const ServeOptions& options, const Console& console) {
  const reader::LiveRun run = reader::locate_live_run(options.run);
  if (options.port < 0 || options.port > 65535)
    throw UsageError(fmt::format("--port {}: expected 0 to 65535", options.port));

  // The signals are taken by sigtimedwait below, on this thread, not by a handler on any thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  report::ServeOptions serve;
  serve.file = run.file;
  serve.follows_latest = run.runs_directory.has_value();
  serve.host = options.host;
  serve.port = options.port;
  serve.metrics_text = metrics_with_run_label;
  report::LiveServer server(serve);
  int port = 0;
  try {
    port = server.start();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  const std::string what = run.runs_directory
                               ? fmt::format("the newest run in {}", run.runs_directory->string())
                               : run.file.string();
  console.print("serving {} on http://{}:{}/\n", what, options.host, port);
  std::fflush(console.out);

  // Wakes every half second to say when the served run changes; a signal or the timeout ends the wait.
  RunAnnouncer announcer(run, console);
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    if (run.runs_directory) announcer.announce_change();
    double wait = 0.5;
    if (options.timeout_seconds) {
      const double left = *options.timeout_seconds -
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (left <= 0) break;
      wait = std::min(wait, left);
    }
    const timespec step = timespec_of(wait);
    if (sigtimedwait(&signals, nullptr, &step) > 0) break;
  }
  server.stop();
  server.wait();
  return 0;
}

}  // namespace spanlog::cli
