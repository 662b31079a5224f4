// A program to watch live (`spanlog serve`, `spanlog top`): three workers record tasks for a while; when the
// trigger file appears one of them records a "late.task" span and a failing "late.failure" span, so a viewer
// can tell that spans recorded after it started show up; the run then ends two seconds later.
// Usage: live [seconds] [trigger-file]
#include <spanlog/spanlog.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

bool exists(const char* path) {
  struct stat st {};
  return path != nullptr && ::stat(path, &st) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  const char* trigger = argc > 2 ? argv[2] : nullptr;
  if (!(seconds > 0)) {
    std::fprintf(stderr, "usage: live [seconds > 0] [trigger-file]\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  std::atomic<Clock::time_point> deadline{
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))};
  std::atomic<bool> late_done{false};
  SPANLOG_PHASE("watching");
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w)
    workers.emplace_back([&, w] {
      spanlog::set_thread_name("worker-" + std::to_string(w));
      for (int task = 0; Clock::now() < deadline.load(); ++task) {
        SPANLOG_SPAN("task", "worker", w, "task", task);
        std::this_thread::sleep_for(std::chrono::milliseconds(40 + 15 * w));
        SPANLOG_COUNTER_ADD("items", 1 + w);
        SPANLOG_GAUGE_SET("queue.depth", task % 7);
        SPANLOG_SPAN_SET("items", 1 + w);
        if (w == 0 && !late_done && exists(trigger)) {
          late_done = true;
          { SPANLOG_SPAN("late.task", "after", "trigger"); }
          SPANLOG_SPAN("late.failure");
          SPANLOG_SPAN_ERROR("failed after the trigger");
          deadline = std::min(deadline.load(), Clock::now() + std::chrono::seconds(2));
        }
      }
    });
  for (auto& t : workers) t.join();
  return late_done || trigger == nullptr ? 0 : 1;
}
