// The run tests/view_prometheus.cpp scrapes: known metrics recorded in two steps, each flushed, and the
// program kept running between them so the run is still being written while Prometheus scrapes it.
// Usage: prometheus_program DIR: records step 1, waits for DIR/step-2, records step 2, waits for DIR/stop.
// Step 1: items += 2 + 3, queue.depth = 7, llm.tokens {model=small} += 10 and {model=large} += 32,
//         request.bytes 1, 2, ..., 1000.
// Step 2: items += 4, queue.depth = 3, llm.tokens {model=small} += 5.
#include <spanlog/spanlog.hpp>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace {

void wait_for(const std::string& file) {
  struct stat st {};
  while (::stat(file.c_str(), &st) != 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: prometheus_program DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  spanlog::start();
  SPANLOG_COUNTER_ADD("items", 2);
  SPANLOG_COUNTER_ADD("items", 3);
  SPANLOG_GAUGE_SET("queue.depth", 7);
  SPANLOG_COUNTER_ADD("llm.tokens", 10, "model", "small");
  SPANLOG_COUNTER_ADD("llm.tokens", 32, "model", "large");
  for (int bytes = 1; bytes <= 1000; ++bytes) SPANLOG_HISTOGRAM("request.bytes", bytes);
  spanlog::flush();
  std::printf("step 1 recorded\n");
  std::fflush(stdout);

  wait_for(dir + "/step-2");
  SPANLOG_COUNTER_ADD("items", 4);
  SPANLOG_GAUGE_SET("queue.depth", 3);
  SPANLOG_COUNTER_ADD("llm.tokens", 5, "model", "small");
  spanlog::flush();
  std::printf("step 2 recorded\n");
  std::fflush(stdout);

  wait_for(dir + "/stop");
  spanlog::stop();
  return 0;
}
