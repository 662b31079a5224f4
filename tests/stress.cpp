// A stress program: threads record spans with attributes (and counters) as fast as they can for a while,
// then the program reads its own output back and checks that nothing was lost silently:
//   block: every span recorded arrived;  drop: arrived + counted drops == recorded.
// It also checks that every span_end has its span_start and that every line parses.
// Usage: spanlog_stress [--seconds S] [--threads T] [--policy block|drop] [--ring BYTES] [--ring-max BYTES]
// [--dir DIR] Prints the counts it checked and exits 0 when they hold, 1 when not, 2 on bad arguments.
#include <simdjson.h>
#include <stdlib.h>
#include <unistd.h>
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

struct Arguments {
  double seconds = 3;
  int threads = 8;
  spanlog::OverflowPolicy policy = spanlog::OverflowPolicy::block;
  std::size_t ring = 1 << 16;
  std::size_t ring_max = 0;  // 0: the ring's own size (rings never grow)
  std::string dir;
};

bool parse(int argc, char** argv, Arguments& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (arg == "--seconds")
      a.seconds = std::atof(v);
    else if (arg == "--threads")
      a.threads = std::atoi(v);
    else if (arg == "--policy" && !std::strcmp(v, "block"))
      a.policy = spanlog::OverflowPolicy::block;
    else if (arg == "--policy" && !std::strcmp(v, "drop"))
      a.policy = spanlog::OverflowPolicy::drop;
    else if (arg == "--ring")
      a.ring = static_cast<std::size_t>(std::atoll(v));
    else if (arg == "--ring-max")
      a.ring_max = static_cast<std::size_t>(std::atoll(v));
    else if (arg == "--dir")
      a.dir = v;
    else
      return false;
  }
  return a.seconds > 0 && a.threads > 0;
}

struct Counts {
  std::uint64_t lines = 0, spans = 0, ends_without_start = 0, bad_lines = 0, dropped_spans = 0,
                dropped_metrics = 0;
  std::int64_t counter_total = 0;
};

Counts read_back(const std::string& path) {
  Counts c;
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text)) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    c.bad_lines = 1;
    return c;
  }
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document_stream stream;
  if (parser.iterate_many(text, 1 << 24).get(stream)) {
    c.bad_lines = 1;
    return c;
  }
  std::unordered_set<std::uint64_t> open;
  for (auto doc : stream) {
    ++c.lines;
    std::string_view kind;
    if (doc["event"].get_string().get(kind)) {
      ++c.bad_lines;
      continue;
    }
    if (kind == "span") {
      ++c.spans;
    } else if (kind == "spans") {
      simdjson::ondemand::array rows;
      if (doc["rows"].get_array().get(rows)) {
        ++c.bad_lines;
        continue;
      }
      for (auto row : rows) {
        static_cast<void>(row);
        ++c.spans;
      }
    } else if (kind == "span_start") {
      std::uint64_t id = 0;
      if (doc["span_id"].get_uint64().get(id)) ++c.bad_lines;
      open.insert(id);
      ++c.spans;
    } else if (kind == "span_end") {
      std::uint64_t id = 0;
      if (doc["span_id"].get_uint64().get(id) || !open.erase(id)) ++c.ends_without_start;
    } else if (kind == "dropped") {
      std::uint64_t n = 0;
      if (!doc["spans"].get_uint64().get(n)) c.dropped_spans += n;
      if (!doc["metrics"].get_uint64().get(n)) c.dropped_metrics += n;
    } else if (kind == "counter") {
      // The program's counter, not the recorder's vitals (spanlog.*).
      std::string_view name;
      std::int64_t d = 0;
      if (!doc["name"].get_string().get(name) && name.rfind("spanlog.", 0) != 0 &&
          !doc["delta"].get_int64().get(d))
        c.counter_total += d;
    }
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: spanlog_stress [--seconds S] [--threads T] [--policy block|drop] [--ring BYTES] "
                 "[--ring-max BYTES] [--dir DIR]\n");
    return 2;
  }
  char templ[] = "/tmp/spanlog-stress-XXXXXX";
  const bool own_dir = a.dir.empty();
  if (own_dir) a.dir = ::mkdtemp(templ);
  spanlog::Options o;
  o.dir = a.dir;
  o.run_id = "stress";
  o.overflow = a.policy;
  o.ring_bytes = a.ring;
  o.ring_max_bytes = a.ring_max ? a.ring_max : a.ring;
  if (!spanlog::start(o)) return 1;

  std::atomic<bool> stop{false};
  std::vector<std::uint64_t> recorded(static_cast<std::size_t>(a.threads), 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < a.threads; ++t)
    pool.emplace_back([&, t] {
      std::uint64_t n = 0;
      const std::string label = "thread-" + std::to_string(t);
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 256; ++i, ++n) {
          SPANLOG_SPAN("stress.outer", "i", n, "label", label);
          SPANLOG_COUNTER_ADD("stress.iterations", 1);
          { SPANLOG_SPAN("stress.inner", "ratio", 0.5); }
        }
      }
      recorded[static_cast<std::size_t>(t)] = n;
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  stop = true;
  for (auto& t : pool) t.join();
  spanlog::stop();

  std::uint64_t iterations = 0;
  for (auto n : recorded) iterations += n;
  const Counts c = read_back(a.dir + "/stress/telemetry.jsonl");
  const std::uint64_t emitted = iterations * 2;
  bool ok = c.bad_lines == 0 && c.ends_without_start == 0 && c.spans + c.dropped_spans == emitted &&
            static_cast<std::uint64_t>(c.counter_total) + c.dropped_metrics == iterations;
  if (a.policy == spanlog::OverflowPolicy::block) ok = ok && c.dropped_spans == 0;
  std::printf(
      "policy %s, %d threads, %.1f s: emitted %llu spans (%.2f M/s), arrived %llu, dropped %llu, "
      "counter %lld + dropped %llu of %llu, lines %llu, bad lines %llu, ends without start %llu: %s\n",
      a.policy == spanlog::OverflowPolicy::block ? "block" : "drop", a.threads, a.seconds,
      static_cast<unsigned long long>(emitted), static_cast<double>(emitted) / a.seconds / 1e6,
      static_cast<unsigned long long>(c.spans), static_cast<unsigned long long>(c.dropped_spans),
      static_cast<long long>(c.counter_total), static_cast<unsigned long long>(c.dropped_metrics),
      static_cast<unsigned long long>(iterations), static_cast<unsigned long long>(c.lines),
      static_cast<unsigned long long>(c.bad_lines), static_cast<unsigned long long>(c.ends_without_start),
      ok ? "OK" : "FAILED");
  if (own_dir) std::system(("rm -rf " + a.dir).c_str());
  return ok ? 0 : 1;
}
