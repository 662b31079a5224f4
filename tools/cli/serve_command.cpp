// `spanlog serve [RUN] --port P`: the report page, live over Server-Sent Events, until SIGINT or SIGTERM.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "cli/usage_error.hpp"
#include "cli/view_commands.hpp"
#include "export/prometheus.hpp"
#include "reader/run_location.hpp"
#include "report/live_server.hpp"

namespace spanlog::cli {

int serve_command(const ServeOptions& options, const Console& console) {
  const reader::RunLocation location = reader::locate_run(options.run);
  if (options.port < 0 || options.port > 65535)
    throw UsageError(fmt::format("--port {}: expected 0 to 65535", options.port));

  // The signals are taken by sigwait below, on this thread, not by a handler on any thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  report::ServeOptions serve;
  serve.file = location.file;
  serve.host = options.host;
  serve.port = options.port;
  serve.metrics_text = exporters::prometheus_text;
  report::LiveServer server(serve);
  int port = 0;
  try {
    port = server.start();
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  console.print("serving {} on http://{}:{}/\n", location.file.string(), options.host, port);
  std::fflush(console.out);

  if (options.timeout_seconds) {
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(*options.timeout_seconds);
    wait.tv_nsec = static_cast<long>((*options.timeout_seconds - static_cast<double>(wait.tv_sec)) * 1e9);
    sigtimedwait(&signals, nullptr, &wait);
  } else {
    int received = 0;
    sigwait(&signals, &received);
  }
  server.stop();
  server.wait();
  return 0;
}

}  // namespace spanlog::cli
