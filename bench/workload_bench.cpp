// workload_bench: what spanlog costs a real program. A key-value store's shape: worker threads put and get
// records (hashing, copying, a little allocation) inside nested spans with one or two integer attributes.
// The same work runs in five child processes, alternated, several times each:
//   plain  the program built with SPANLOG_ENABLED=0 (workload_plain, beside this program);
//   off    this program with SPANLOG=off;
//   on     this program recording with default options;
//   stats  workload_stats, every span a SPANLOG_SPAN_STATS;
//   names  this program recording with every name chosen as statistics at run time (SPANLOG_STATS_NAMES).
// Prints the work's throughput and slowdown, the flusher's CPU per span, drops and bytes per span (medians),
// and, with --profile, where the flusher's time goes (perf record on one more recording child).
// Run: BUILD/bench/workload_bench [--reps 5] [--threads 2] [--spans-per-second 1000000] [--seconds 2]
//                                 [--profile]
// Asserts nothing: the figures are read, not checked.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// ---- the work ----

std::uint64_t hash_bytes(const unsigned char* p, std::size_t n, std::uint64_t h) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

// workload_stats keeps every span as statistics (SPANLOG_SPAN_STATS, which carries no attributes).
#if WORKLOAD_STATISTICS
#define WORKLOAD_SPAN(name, ...) SPANLOG_SPAN_STATS(name)
#else
#define WORKLOAD_SPAN(...) SPANLOG_SPAN(__VA_ARGS__)
#endif

// One worker's store: a write-ahead log it copies into, a memtable of owned values, and table blocks it
// reads.
class Store {
 public:
  explicit Store(std::size_t value_bytes)
      : value_bytes_(value_bytes),
        wal_(1 << 20),
        blocks_(block_count * value_bytes),
        scratch_(value_bytes),
        memtable_(1024) {
    for (std::size_t i = 0; i < blocks_.size(); ++i) blocks_[i] = static_cast<unsigned char>(i * 131);
  }

  std::uint64_t put(std::uint64_t key, const unsigned char* value) {
    WORKLOAD_SPAN("kv.put", "key", key, "bytes", value_bytes_);
    const std::uint64_t h = append_to_wal(value);
    insert_into_memtable(key, value);
    return h;
  }

  std::uint64_t get(std::uint64_t key) {
    WORKLOAD_SPAN("kv.get", "key", key);
    const auto& slot = memtable_[key % memtable_.size()];
    std::uint64_t h = slot ? hash_bytes(slot->data(), slot->size(), key) : key;
    return h ^ lookup_table(key);
  }

 private:
  static constexpr std::size_t block_count = 64;

  std::uint64_t append_to_wal(const unsigned char* value) {
    WORKLOAD_SPAN("wal.append", "bytes", value_bytes_);
    if (wal_at_ + value_bytes_ > wal_.size()) wal_at_ = 0;
    std::memcpy(wal_.data() + wal_at_, value, value_bytes_);
    const std::uint64_t h = hash_bytes(wal_.data() + wal_at_, value_bytes_, 14695981039346656037ull);
    wal_at_ += value_bytes_;
    return h;
  }

  void insert_into_memtable(std::uint64_t key, const unsigned char* value) {
    WORKLOAD_SPAN("memtable.insert", "key", key);
    memtable_[key % memtable_.size()] =
        std::make_unique<std::vector<unsigned char>>(value, value + value_bytes_ / 4);
  }

  std::uint64_t lookup_table(std::uint64_t key) {
    WORKLOAD_SPAN("table.lookup", "key", key);
    return read_block(key % block_count);
  }

  std::uint64_t read_block(std::uint64_t block) {
    WORKLOAD_SPAN("block.read", "block", block, "bytes", value_bytes_);
    std::memcpy(scratch_.data(), blocks_.data() + block * value_bytes_, value_bytes_);
    return hash_bytes(scratch_.data(), value_bytes_, block);
  }

  std::size_t value_bytes_;
  std::vector<unsigned char> wal_;
  std::size_t wal_at_ = 0;
  std::vector<unsigned char> blocks_;
  std::vector<unsigned char> scratch_;
  std::vector<std::unique_ptr<std::vector<unsigned char>>> memtable_;
};

constexpr int spans_per_op = 6;  // a put (3 spans) and a get (3 spans)

std::uint64_t run_ops(std::size_t value_bytes, std::uint64_t ops, std::uint64_t seed) {
  Store s(value_bytes);
  std::vector<unsigned char> value(value_bytes);
  std::uint64_t key = seed, sum = 0;
  for (std::uint64_t i = 0; i < ops; ++i) {
    key = key * 6364136223846793005ull + 1442695040888963407ull;
    value[i % value_bytes] = static_cast<unsigned char>(key >> 56);
    sum += s.put(key >> 20, value.data());
    sum += s.get((key >> 24) ^ i);
  }
  return sum;
}

double seconds_of(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

std::uint64_t number_after(const std::string& text, const std::string& key) {
  const auto at = text.find("\"" + key + "\":");
  return at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + key.size() + 3, nullptr, 10);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The child: runs the work on `threads` threads and prints one line of figures.
int child_main(int threads, std::size_t value_bytes, std::uint64_t ops_per_thread) {
  spanlog::start();
  std::atomic<double> worker_cpu{0};
  std::atomic<std::uint64_t> sink{0};
  const double cpu_before = process_cpu_seconds();
  const double main_cpu_before = seconds_of(CLOCK_THREAD_CPUTIME_ID);
  const double wall_before = seconds_of(CLOCK_MONOTONIC);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      sink += run_ops(value_bytes, ops_per_thread, static_cast<std::uint64_t>(t) + 1);
      double expected = worker_cpu.load();
      const double mine = seconds_of(CLOCK_THREAD_CPUTIME_ID);
      while (!worker_cpu.compare_exchange_weak(expected, expected + mine)) {
      }
    });
  for (auto& w : workers) w.join();
  const double wall = seconds_of(CLOCK_MONOTONIC) - wall_before;
  std::string run_dir;
  run_dir = spanlog::run_directory();
  spanlog::stop();
  const double main_cpu = seconds_of(CLOCK_THREAD_CPUTIME_ID) - main_cpu_before;
  const double flusher_cpu = process_cpu_seconds() - cpu_before - worker_cpu.load() - main_cpu;
  std::uint64_t spans = 0, dropped = 0, bytes = 0, grown = 0, largest = 0;
  if (!run_dir.empty()) {
    const std::string summary = read_file(run_dir + "/run_summary.json");
    spans = number_after(summary, "spans") + number_after(summary, "stats_spans");
    dropped = number_after(summary, "dropped");
    grown = number_after(summary, "rings_grown");
    largest = number_after(summary, "largest_ring");
    bytes = std::filesystem::file_size(run_dir + "/telemetry.jsonl");
    if (!std::getenv("WORKLOAD_KEEP_RUN")) std::filesystem::remove_all(run_dir);
  }
  std::printf(
      "ops=%llu wall=%.6f worker_cpu=%.6f flusher_cpu=%.6f spans=%llu dropped=%llu bytes=%llu grown=%llu "
      "largest=%llu sink=%llu\n",
      static_cast<unsigned long long>(ops_per_thread * static_cast<std::uint64_t>(threads)), wall,
      worker_cpu.load(), run_dir.empty() ? 0.0 : flusher_cpu, static_cast<unsigned long long>(spans),
      static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(grown), static_cast<unsigned long long>(largest),
      static_cast<unsigned long long>(sink.load() & 1));
  return 0;
}

// ---- the driver ----

struct ChildFigures {
  double ops = 0, wall = 0, worker_cpu = 0, flusher_cpu = 0, spans = 0, dropped = 0, bytes = 0, grown = 0,
         largest = 0;
};

std::string self_path() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

// Runs `command` (a shell line) and parses the child's line of figures.
ChildFigures run_child(const std::string& command) {
  ChildFigures f;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) {
    std::perror("popen");
    std::exit(1);
  }
  char line[512] = {};
  std::string out;
  while (std::fgets(line, sizeof line, p)) out += line;
  if (::pclose(p) != 0) {
    std::fprintf(stderr, "workload_bench: child failed: %s\n%s", command.c_str(), out.c_str());
    std::exit(1);
  }
  std::map<std::string, double> v;
  std::istringstream words(out);
  std::string word;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) v[word.substr(0, eq)] = std::strtod(word.c_str() + eq + 1, nullptr);
  }
  f.ops = v["ops"], f.wall = v["wall"], f.worker_cpu = v["worker_cpu"], f.flusher_cpu = v["flusher_cpu"];
  f.spans = v["spans"], f.dropped = v["dropped"], f.bytes = v["bytes"];
  f.grown = v["grown"], f.largest = v["largest"];
  return f;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string child_command(const std::string& program, const char* env, int threads, std::size_t value_bytes,
                          std::uint64_t ops, const std::string& dir) {
  return "SPANLOG_DIR='" + dir + "' " + env + " '" + program + "' --child " + std::to_string(threads) + " " +
         std::to_string(value_bytes) + " " + std::to_string(ops);
}

double load_average() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

// What a sampled function of the flusher thread does, by its name.
const char* category_of(const std::string& symbol, bool kernel) {
  auto has = [&](const char* part) { return symbol.find(part) != std::string::npos; };
  if (kernel) {
    if (has("futex") || has("schedule") || has("sched_") || has("wake") || has("hrtimer") ||
        has("nanosleep") || has("_irq") || has("finish_task_switch"))
      return "waking and sleeping (futex, scheduler)";
    if (has("copy_folio") || has("copy_user") || has("write") || has("rep_movs"))
      return "writing (the kernel's copy into the file's pages)";
    return "page cache (allocating, dirtying and dropping the file's pages)";
  }
  if (has("libc_write") || symbol == "write" || symbol == "__write")
    return "writing (the kernel's copy into the file's pages)";
  if (has("jsonl_writer") || has("text_buffer") || has("write_decimal") || has("write_up_to") ||
      has("write_four") || has("write_eight") || has("write_row") || has("begin_row") || has("write_span") ||
      has("append_attr") || has("quoted_name") || has("to_ns") || has("memcpy") || has("memmove") ||
      has("fmt::") || has("span_rows"))
    return "formatting (JSON text)";
  if (has("drain") || has("handle_extended") || has("end_span") || has("push") || has("read_record") ||
      has("settle") || has("retire") || has("accumulate"))
    return "reading the rings (records, span stacks)";
  return "other";
}

// perf's view of the flusher thread in one more recording child: its samples by what the function does,
// and its own most sampled functions.
void profile_flusher(const std::string& command, const std::string& dir) {
  const std::string data = dir + "/perf.data";
  const std::string record =
      "perf record -q -e cpu-clock -F 4000 -o '" + data + "' -- sh -c \"" + command + "\" > /dev/null 2>&1";
  if (std::system(record.c_str()) != 0) {
    std::printf("\n(perf record failed: no profile)\n");
    return;
  }
  const std::string report = "perf report -q -i '" + data +
                             "' --comm spanlog-flusher --no-children --sort sym --stdio -g none "
                             "--percentage relative 2>/dev/null";
  FILE* p = ::popen(report.c_str(), "r");
  if (!p) return;
  std::map<std::string, double> by_category;
  std::vector<std::pair<double, std::string>> top;
  char line[1024];
  while (std::fgets(line, sizeof line, p)) {
    double share = 0;
    char kind[8] = {};
    int consumed = 0;
    if (std::sscanf(line, " %lf%% [%7[^]]] %n", &share, kind, &consumed) < 2) continue;
    std::string symbol = line + consumed;
    while (!symbol.empty() && (symbol.back() == '\n' || symbol.back() == ' ')) symbol.pop_back();
    by_category[category_of(symbol, kind[0] == 'k')] += share;
    if (top.size() < 8) top.emplace_back(share, symbol);
  }
  ::pclose(p);
  std::printf("\n### Where the flusher's time goes (perf, cpu-clock samples of the flusher thread)\n\n");
  std::printf("| share | what |\n|---:|---|\n");
  std::vector<std::pair<double, std::string>> sorted;
  for (const auto& [category, share] : by_category) sorted.emplace_back(share, category);
  std::sort(sorted.rbegin(), sorted.rend());
  for (const auto& [share, category] : sorted) std::printf("| %.1f%% | %s |\n", share, category.c_str());
  std::printf("\nMost sampled: ");
  for (std::size_t i = 0; i < top.size(); ++i) {
    std::string name = top[i].second;
    const auto paren = name.find('(');
    if (paren != std::string::npos) name.resize(paren);
    const auto scope = name.rfind("::", name.size() > 2 ? name.size() - 2 : 0);
    if (scope != std::string::npos) name = name.substr(scope + 2);
    std::printf("%s%s %.1f%%", i ? ", " : "", name.c_str(), top[i].first);
  }
  std::printf("\n");
}

int driver_main(int argc, char** argv) {
  int reps = 5, threads = 2;
  double target_rate = 1e6, seconds = 2;
  bool profile = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::strtod(argv[++i], nullptr) : 0.0; };
    if (a == "--reps")
      reps = static_cast<int>(next());
    else if (a == "--threads")
      threads = static_cast<int>(next());
    else if (a == "--spans-per-second")
      target_rate = next();
    else if (a == "--seconds")
      seconds = next();
    else if (a == "--profile")
      profile = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--reps N] [--threads N] [--spans-per-second R] [--seconds S] [--profile]\n",
                   argv[0]);
      return 2;
    }
  }
  const std::string self = self_path();
  const std::string plain = (std::filesystem::path(self).parent_path() / "workload_plain").string();
  const std::string statistics = (std::filesystem::path(self).parent_path() / "workload_stats").string();
  for (const std::string& sibling : {plain, statistics}) {
    if (std::filesystem::exists(sibling)) continue;
    std::fprintf(stderr,
                 "workload_bench: %s not found (build the workload_plain and workload_stats targets)\n",
                 sibling.c_str());
    return 2;
  }
  char dir_template[] = "/tmp/spanlog-workload-XXXXXX";
  if (!::mkdtemp(dir_template)) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = dir_template;

  // The value size sets the work per span: chosen so the uninstrumented program would make target_rate spans
  // a second, from a short plain run at a first guess.
  std::size_t value_bytes = 256;
  const std::uint64_t probe_ops = 20000;
  for (int round = 0; round < 3; ++round) {
    const ChildFigures probe = run_child(child_command(plain, "", threads, value_bytes, probe_ops, dir));
    const double rate = probe.ops * spans_per_op / probe.wall;
    value_bytes = std::clamp<std::size_t>(
        static_cast<std::size_t>(static_cast<double>(value_bytes) * rate / target_rate), 16, 1 << 18);
  }
  const ChildFigures probe = run_child(child_command(plain, "", threads, value_bytes, probe_ops, dir));
  const auto ops = static_cast<std::uint64_t>(seconds * probe.ops / probe.wall / threads);

  const double load_before = load_average();
  struct Variant {
    const char* label;
    std::string command;
    std::vector<ChildFigures> runs;
  };
  std::vector<Variant> variants = {
      {"plain (SPANLOG_ENABLED=0)", child_command(plain, "", threads, value_bytes, ops, dir), {}},
      {"SPANLOG=off", child_command(self, "SPANLOG=off", threads, value_bytes, ops, dir), {}},
      {"recording (defaults)", child_command(self, "", threads, value_bytes, ops, dir), {}},
      {"statistics (SPANLOG_SPAN_STATS)", child_command(statistics, "", threads, value_bytes, ops, dir), {}},
      {"statistics by name (SPANLOG_STATS_NAMES='*')",
       child_command(self, "SPANLOG_STATS_NAMES='*'", threads, value_bytes, ops, dir),
       {}},
  };
  for (int r = 0; r < reps; ++r)
    for (auto& v : variants) v.runs.push_back(run_child(v.command));

  auto med = [](const Variant& v, auto field) {
    std::vector<double> xs;
    for (const ChildFigures& f : v.runs) xs.push_back(field(f));
    return median(xs);
  };
  const double plain_rate = med(variants[0], [](const ChildFigures& f) { return f.ops / f.wall; });
  std::printf("## What spanlog costs a real program\n\n");
  std::printf(
      "%d worker threads, %llu puts and gets each (%d spans per put and get, %zu-byte values), %d runs of "
      "each variant alternated; medians. Load average %.2f before, %.2f after.\n\n",
      threads, static_cast<unsigned long long>(ops), spans_per_op, value_bytes, reps, load_before,
      load_average());
  std::printf(
      "| variant | ops/s | slowdown | spans/s | flusher CPU per span | dropped | bytes per span | output "
      "per second | ring growths (largest) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Variant& v : variants) {
    const double rate = med(v, [](const ChildFigures& f) { return f.ops / f.wall; });
    const bool recorded = v.runs.front().spans > 0;
    std::printf("| %s | %.0f | %+.1f%% | %.0f |", v.label, rate, (plain_rate / rate - 1) * 100,
                rate * spans_per_op);
    if (recorded) {
      std::printf(" %.1f ns | %.2f%% | %.1f | %.0f KB | %.0f (%.0f KiB) |\n",
                  med(v, [](const ChildFigures& f) { return f.flusher_cpu * 1e9 / f.spans; }),
                  med(v, [](const ChildFigures& f) { return 100 * f.dropped / (f.spans + f.dropped); }),
                  med(v, [](const ChildFigures& f) { return f.bytes / f.spans; }),
                  med(v, [](const ChildFigures& f) { return f.bytes / f.wall / 1e3; }),
                  med(v, [](const ChildFigures& f) { return f.grown; }),
                  med(v, [](const ChildFigures& f) { return f.largest / 1024; }));
    } else {
      std::printf(" - | - | - | - | - |\n");
    }
  }
  if (profile) profile_flusher(variants[2].command, dir);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "--child") == 0)
    return child_main(std::atoi(argv[2]), std::strtoull(argv[3], nullptr, 10),
                      std::strtoull(argv[4], nullptr, 10));
  return driver_main(argc, argv);
}
