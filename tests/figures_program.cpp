// The program tests/reader_figures.cpp records: a parent span whose own thread runs two short children and
// waits while two helper threads work as its children. What the reader says of the parent's self time and
// parallel time is compared with what the run's lines say.
#include <spanlog/spanlog.hpp>

#include <chrono>
#include <thread>
#include <vector>

int main() {
  using namespace std::chrono_literals;
  {
    SPANLOG_SPAN("parent");
    const spanlog::SpanContext parent = spanlog::current_span();
    {
      SPANLOG_SPAN("own.step");
      std::this_thread::sleep_for(5ms);
    }
    std::vector<std::thread> helpers;
    for (int i = 0; i < 2; ++i)
      helpers.emplace_back([&parent] {
        SPANLOG_SPAN_CHILD_OF(parent, "helper");
        std::this_thread::sleep_for(30ms);
      });
    for (auto& helper : helpers) helper.join();
    {
      SPANLOG_SPAN("own.step");
      std::this_thread::sleep_for(5ms);
    }
  }
  return 0;
}
