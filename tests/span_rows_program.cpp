// The program tests/reader_span_rows.cpp records twice, with SPANLOG_SPAN_ROWS on and off: nested spans with
// attributes on three named threads, an error span, a phase, a counter and an event, in numbers that do not
// depend on timing, so that the reader's summary of the two runs can be compared but for the durations.
#include <spanlog/spanlog.hpp>

#include <string>
#include <thread>
#include <vector>

static void request(int worker, int i) {
  SPANLOG_SPAN("request", "worker", worker, "i", i);
  for (int k = 0; k < 3; ++k) {
    SPANLOG_SPAN("parse", "bytes", 100 * k + i);
    SPANLOG_COUNTER_ADD("bytes", 100);
  }
  {
    SPANLOG_SPAN("db.query");
    if (i % 7 == 3) SPANLOG_SPAN_ERROR("timeout");
  }
  if (i % 10 == 0) SPANLOG_EVENT("cache.miss", "key", i);
}

int main() {
  {
    SPANLOG_PHASE("work");
    std::vector<std::thread> workers;
    for (int w = 0; w < 3; ++w)
      workers.emplace_back([w] {
        const std::string name = "worker-" + std::to_string(w);
        SPANLOG_THREAD_NAME(name.c_str());
        for (int i = 0; i < 200; ++i) request(w, i);
      });
    for (auto& worker : workers) worker.join();
  }
  return 0;
}
