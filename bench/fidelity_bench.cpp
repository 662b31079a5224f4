// fidelity_bench: how close a recorded duration is to the truth. Busy work of known lengths (100 ns to 10 ms)
// is timed without spanlog (CLOCK_MONOTONIC_RAW around it) and inside a span, interleaved in one process;
// the span durations are read back from the run's file. Prints, per length, both medians, their ratio and
// the error, raw and with the header's in_span_ns taken out, and the shortest length where the raw median is
// within 2% of the truth. Run: BUILD/bench/fidelity_bench [--reps-scale X]. Asserts nothing.
#include <time.h>
#include <unistd.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

std::int64_t raw_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC_RAW, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// A dependency chain the compiler cannot shorten: its length is set by the iteration count alone.
__attribute__((noinline)) std::uint64_t busy(std::uint64_t iterations) {
  std::uint64_t x = 88172645463325252ull;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    __asm__ volatile("" : "+r"(x));
  }
  return x;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Iterations of busy() per nanosecond, from a 50 ms run.
double iterations_per_ns() {
  const std::uint64_t n = 20000000;
  std::vector<double> rates;
  for (int i = 0; i < 5; ++i) {
    const std::int64_t t0 = raw_ns();
    busy(n);
    rates.push_back(static_cast<double>(n) / static_cast<double>(raw_ns() - t0));
  }
  return median(rates);
}

bool number_after(const std::string& line, const char* key, double& out) {
  const std::string needle = std::string("\"") + key + "\":";
  const auto at = line.find(needle);
  if (at == std::string::npos) return false;
  out = std::strtod(line.c_str() + at + needle.size(), nullptr);
  return true;
}

struct LengthCase {
  const char* label;
  const char* span_name;
  double ns;
  int reps;
  void (*in_span)(std::uint64_t iterations);  // the work inside SPANLOG_SPAN(span_name)
};

#define FIDELITY_CASE(label, name, ns, reps)              \
  LengthCase {                                            \
    label, name, ns, reps, [](std::uint64_t iterations) { \
      SPANLOG_SPAN(name);                                 \
      busy(iterations);                                   \
    }                                                     \
  }

double load_average() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

}  // namespace

int main(int argc, char** argv) {
  double reps_scale = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps-scale") && i + 1 < argc) {
      reps_scale = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: fidelity_bench [--reps-scale X]\n");
      return 2;
    }
  }
  const LengthCase cases[] = {
      FIDELITY_CASE("100 ns", "fidelity.100ns", 100, 20000),
      FIDELITY_CASE("300 ns", "fidelity.300ns", 300, 20000),
      FIDELITY_CASE("1 µs", "fidelity.1us", 1e3, 10000),
      FIDELITY_CASE("10 µs", "fidelity.10us", 1e4, 3000),
      FIDELITY_CASE("100 µs", "fidelity.100us", 1e5, 1000),
      FIDELITY_CASE("1 ms", "fidelity.1ms", 1e6, 200),
      FIDELITY_CASE("10 ms", "fidelity.10ms", 1e7, 40),
  };
  const std::string dir =
      std::filesystem::temp_directory_path() / ("spanlog-fidelity-" + std::to_string(getpid()));
  spanlog::Options o;
  o.dir = dir;
  o.run_id = "fidelity";
  o.overflow = spanlog::OverflowPolicy::block;  // nothing dropped: every span is compared
  if (!spanlog::start(o)) {
    std::fprintf(stderr, "fidelity_bench: spanlog did not start in %s\n", dir.c_str());
    return 1;
  }
  const double rate = iterations_per_ns();
  // The bare clock pair's own length, taken out of the truth: what is left is the work's.
  std::vector<double> empty;
  for (int i = 0; i < 10000; ++i) {
    const std::int64_t t0 = raw_ns();
    empty.push_back(static_cast<double>(raw_ns() - t0));
  }
  const double clock_pair_ns = median(empty);

  std::map<std::string, std::vector<double>> truth;
  for (const auto& c : cases) {
    const auto iterations = static_cast<std::uint64_t>(c.ns * rate);
    const int reps = std::max(10, static_cast<int>(c.reps * reps_scale));
    auto& t = truth[c.span_name];
    for (int r = 0; r < reps; ++r) {
      const std::int64_t t0 = raw_ns();
      busy(iterations);
      t.push_back(static_cast<double>(raw_ns() - t0) - clock_pair_ns);
      c.in_span(iterations);  // the same work in a span, right after: the two see the same machine
    }
  }
  spanlog::stop();

  // The spans' durations by length, and the header's overhead.
  std::map<std::string, std::vector<double>> recorded;
  double in_span_ns = 0;
  std::ifstream in(dir + "/fidelity/telemetry.jsonl");
  std::string line;
  std::map<double, std::string> open_names;  // span_start lines by span_id, until their span_end
  auto name_of = [&](const std::string& text) -> std::string {
    for (const auto& c : cases)
      if (text.find(std::string("\"name\":\"") + c.span_name + "\"") != std::string::npos) return c.span_name;
    return {};
  };
  while (std::getline(in, line)) {
    if (line.rfind("{\"event\":\"header\"", 0) == 0) number_after(line, "in_span_ns", in_span_ns);
    double dur = 0, id = 0;
    if (line.rfind("{\"event\":\"span_start\"", 0) == 0 && number_after(line, "span_id", id)) {
      if (const std::string name = name_of(line); !name.empty()) open_names[id] = name;
    } else if (line.rfind("{\"event\":\"span_end\"", 0) == 0 && number_after(line, "span_id", id) &&
               number_after(line, "dur_ns", dur)) {
      if (auto it = open_names.find(id); it != open_names.end()) {
        recorded[it->second].push_back(dur);
        open_names.erase(it);
      }
    } else if (line.rfind("{\"event\":\"span\"", 0) == 0 && number_after(line, "dur_ns", dur)) {
      if (const std::string name = name_of(line); !name.empty()) recorded[name].push_back(dur);
    }
  }
  std::filesystem::remove_all(dir);

  std::printf("| work | reps | truth p50 | spanlog p50 | × truth | error | error − in_span_ns |\n");
  std::printf("|---|--:|--:|--:|--:|--:|--:|\n");
  const char* holds_from = nullptr;
  for (const auto& c : cases) {
    const auto& t = truth[c.span_name];
    const auto& s = recorded[c.span_name];
    if (s.size() != t.size()) {
      std::fprintf(stderr, "fidelity_bench: %zu spans of %s read back, %zu timed\n", s.size(), c.label,
                   t.size());
      return 1;
    }
    const double tp = median(t), sp = median(s);
    const double error = (sp - tp) / tp, corrected = (sp - in_span_ns - tp) / tp;
    std::printf("| %s | %zu | %.1f ns | %.1f ns | %.4f× | %+.2f%% | %+.2f%% |\n", c.label, t.size(), tp, sp,
                sp / tp, 100 * error, 100 * corrected);
    if (std::fabs(error) <= 0.02) {
      if (!holds_from) holds_from = c.label;
    } else {
      holds_from = nullptr;  // from the shortest length at which it holds for every longer one
    }
  }
  std::printf(
      "\nwithin 2%% of the truth (raw p50) from %s up; clock pair %.1f ns taken out of the truth; "
      "header in_span_ns %.1f; load average %.2f\n",
      holds_from ? holds_from : "no length", clock_pair_ns, in_span_ns, load_average());
  return 0;
}
