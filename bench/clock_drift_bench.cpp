// clock_drift_bench: how far the recorder's timestamps wander from CLOCK_REALTIME over a long run. It records
// one event a second carrying CLOCK_REALTIME read just before it, stops, reads its own telemetry.jsonl back
// and prints, per minute, the event's `ts` minus that reading, relative to the first event. Run:
// BUILD/bench/clock_drift_bench [--seconds 600] [--dir DIR]. Prints a markdown table; asserts nothing.
#include <time.h>
#include <unistd.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::int64_t realtime_ns() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// The integer after `"key":` in a JSON line, or false.
bool integer_field(const std::string& line, const char* key, std::int64_t& out) {
  const std::string needle = std::string("\"") + key + "\":";
  const auto at = line.find(needle);
  if (at == std::string::npos) return false;
  out = std::strtoll(line.c_str() + at + needle.size(), nullptr, 10);
  return true;
}

struct Sample {
  double seconds;
  std::int64_t offset_ns;  // ts - CLOCK_REALTIME, relative to the first sample
};

std::vector<Sample> read_samples(const std::string& file) {
  std::ifstream in(file);
  std::vector<Sample> out;
  std::string line;
  std::int64_t first_offset = 0, first_real = 0;
  while (std::getline(in, line)) {
    if (line.find("\"name\":\"drift.probe\"") == std::string::npos) continue;
    std::int64_t ts = 0, real = 0;
    if (!integer_field(line, "ts", ts) || !integer_field(line, "realtime_ns", real)) continue;
    if (out.empty()) first_offset = ts - real, first_real = real;
    out.push_back({static_cast<double>(real - first_real) / 1e9, (ts - real) - first_offset});
  }
  return out;
}

double load_average() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 600;
  std::string dir = std::filesystem::temp_directory_path() / ("spanlog-drift-" + std::to_string(getpid()));
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else {
      std::fprintf(stderr, "usage: clock_drift_bench [--seconds S] [--dir DIR]\n");
      return 2;
    }
  }
  spanlog::Options o;
  o.dir = dir;
  if (!spanlog::start(o)) {
    std::fprintf(stderr, "clock_drift_bench: spanlog did not start in %s\n", dir.c_str());
    return 1;
  }
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    const auto due = begin + std::chrono::milliseconds(static_cast<std::int64_t>(i) * 1000);
    if (due > begin + std::chrono::duration<double>(seconds)) break;
    std::this_thread::sleep_until(due);
    const std::int64_t real = realtime_ns();
    SPANLOG_EVENT("drift.probe", "realtime_ns", real);
  }
  const std::string run = spanlog::run_directory();
  spanlog::stop();

  const auto samples = read_samples(run + "/telemetry.jsonl");
  if (samples.size() < 2) {
    std::fprintf(stderr, "clock_drift_bench: %zu probes in %s\n", samples.size(), run.c_str());
    return 1;
  }
  std::printf("| after | ts - CLOCK_REALTIME (from the first probe) |\n|---|---|\n");
  double next_row = 0;
  std::int64_t worst = 0;
  for (const auto& s : samples) {
    worst = std::max<std::int64_t>(worst, std::llabs(s.offset_ns));
    if (s.seconds + 0.5 >= next_row || &s == &samples.back()) {
      std::printf("| %.0f s | %+.3f ms |\n", s.seconds, static_cast<double>(s.offset_ns) / 1e6);
      next_row += 60;
    }
  }
  const double span = samples.back().seconds;
  std::printf("\nworst |drift| %.3f ms over %.0f s (%.2f ppm); load average %.2f\n",
              static_cast<double>(worst) / 1e6, span, static_cast<double>(worst) / (span * 1e3),
              load_average());
  std::filesystem::remove_all(dir);
  return 0;
}
