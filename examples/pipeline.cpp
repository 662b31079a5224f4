// A multi-threaded analysis pipeline with phases: discovery finds the items, parallel workers analyse them
// (recording tokens and tool uses per item, some failing), and synthesis writes the report. Tokens are also a
// labelled series per kind of component, and each tool call's input a histogram of bytes.
// Usage: pipeline [items] [workers] [--slow]   (--slow: tens of milliseconds per item, for live views)
#include <spanlog/spanlog.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Item {
  std::string name;
  std::string kind;  // "library" or "application"
  int size;
};

// Deterministic pseudo-work, so runs are comparable; the sink keeps the optimizer from removing it.
std::atomic<std::uint64_t> work_sink{0};
void churn(std::uint64_t seed, int rounds) {
  for (int i = 0; i < rounds; ++i) seed = seed * 6364136223846793005ull + 1442695040888963407ull;
  work_sink.fetch_add(seed, std::memory_order_relaxed);
}

std::vector<Item> discover(int count) {
  SPANLOG_PHASE("discovery");
  std::vector<Item> items;
  for (int i = 0; i < count; ++i) {
    SPANLOG_SPAN("discover.item");
    items.push_back(
        {"component-" + std::to_string(i), i % 3 == 0 ? "application" : "library", 2000 + (i * 7919) % 6000});
  }
  SPANLOG_EVENT("discovery.done", "items", count);
  SPANLOG_LOG_INFO("discovered {items} components", count);
  return items;
}

bool call_tool(int tool, int size, bool slow) {
  SPANLOG_SPAN("tool.call", "tool", tool);
  SPANLOG_HISTOGRAM("tool.input", size * 64);
  churn(static_cast<std::uint64_t>(tool), size * 100);
  if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return true;
}

void analyse(const Item& it, bool slow) {
  SPANLOG_SPAN("analyse", "component", it.name, "kind", it.kind);
  const int tools = 2 + it.size % 5;
  int tokens = 0;
  for (int t = 0; t < tools; ++t) {
    call_tool(t, it.size, slow);
    tokens += it.size / 2 + t * 37;
  }
  SPANLOG_SPAN_SET("tokens", tokens, "tool_uses", tools);
  SPANLOG_COUNTER_ADD("tokens", tokens);
  SPANLOG_COUNTER_ADD("tool_uses", tools);
  SPANLOG_COUNTER_ADD("tokens.by_kind", tokens, "kind", it.kind);
  if (tools == 6) SPANLOG_LOG_WARN("{component} needed {tools} tool calls, the most", it.name, tools);
  if (it.size % 13 == 0) {
    SPANLOG_SPAN_ERROR("analysis timed out");
    SPANLOG_LOG_ERROR("analysis of {component} timed out after {tokens} tokens", it.name, tokens);
  }
}

void synthesise(const std::vector<Item>& items) {
  SPANLOG_PHASE("synthesis");
  SPANLOG_SPAN("write.report", "sections", items.size());
  churn(42, 20000000);
}

}  // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 48;
  int workers = argc > 2 ? std::atoi(argv[2]) : 4;
  const bool slow = argc > 3 && !std::strcmp(argv[3], "--slow");
  if (count <= 0 || workers <= 0) {
    std::fprintf(stderr, "usage: pipeline [items > 0] [workers > 0] [--slow]\n");
    return 2;
  }
  SPANLOG_METRIC_INFO("tokens", "{token}", "Tokens the analysis used");
  SPANLOG_METRIC_INFO("tokens.by_kind", "{token}", "Tokens the analysis used, by kind of component");
  SPANLOG_METRIC_INFO("tool.input", "By", "Bytes given to a tool call");
  SPANLOG_SPAN("run");
  const std::vector<Item> items = discover(count);
  {
    SPANLOG_PHASE("analysis");
    const spanlog::SpanContext phase = spanlog::current_span();
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w)
      pool.emplace_back([&, w] {
        spanlog::set_thread_name("worker-" + std::to_string(w));
        SPANLOG_SPAN_CHILD_OF(phase, "worker", "index", w);
        for (int i; (i = next.fetch_add(1)) < count;) {
          SPANLOG_GAUGE_SET("queue.depth", count - i - 1);
          analyse(items[static_cast<std::size_t>(i)], slow);
        }
      });
    for (auto& t : pool) t.join();
  }
  synthesise(items);
  return 0;
}
