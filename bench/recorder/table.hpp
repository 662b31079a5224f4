// Printing the markdown table: one row per scenario from the children's `results`, with the median, the
// spread, the ratio to the baseline of the same process, the instruction counts and the targets' verdicts.
#pragma once
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "machine.hpp"
#include "reporter.hpp"
#include "settings.hpp"

namespace recorder_bench {

// Three significant digits or so: 23.7, 1.52, 112.
inline std::string num(double v) {
  if (std::isnan(v)) return "n/a";
  const double a = std::fabs(v);
  if (a >= 100) return strf("%.0f", v);
  if (a >= 10) return strf("%.1f", v);
  return strf("%.2f", v);
}

struct Row {
  std::string name, what, median, range, err = "—", ratio, instr = "—", target, notes;
};

inline void print_table(const std::vector<Row>& rows) {
  std::printf(
      "| scenario | what is measured | median | min – max | err | × baseline | instructions (+ baseline) | "
      "target "
      "| notes |\n");
  std::printf("|---|---|--:|--:|--:|--:|--:|---|---|\n");
  for (const auto& r : rows) {
    std::string notes = r.notes;
    while (!notes.empty() && (notes.back() == ' ' || notes.back() == ';')) notes.pop_back();
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name.c_str(), r.what.c_str(),
                r.median.c_str(), r.range.c_str(), r.err.c_str(), r.ratio.c_str(), r.instr.c_str(),
                r.target.c_str(), notes.c_str());
  }
}

// "met" or "missed by N%" for a value that must stay at or below a limit.
inline std::string verdict(double value, double limit) {
  if (std::isnan(value)) return "n/a";
  if (value <= limit) return "met";
  return "**missed** by " + strf("%.0f%%", (value / limit - 1) * 100);
}
inline std::string verdict_at_least(double value, double floor) {
  if (std::isnan(value)) return "n/a";
  if (value >= floor) return "met";
  return "**missed**: " + strf("%.0f%%", value / floor * 100) + " of it";
}

// A row of ns-per-operation samples; nanobench-style warning when the spread is wide.
inline Row ns_row(const std::string& name, const std::string& what, const std::vector<double>& v,
                  double base) {
  Row r;
  r.name = name;
  r.what = what;
  if (v.empty()) {
    r.median = r.range = r.ratio = "n/a";
    return r;
  }
  const double m = median(v);
  r.median = num(m) + " ns";
  r.range = num(min_of(v)) + " – " + num(max_of(v));
  r.ratio = base > 0 ? strf("%.2f×", m / base) : "n/a";
  // nanobench's measure of noise: the median absolute percentage error. One outlier does not move it.
  std::vector<double> dev;
  for (double x : v) dev.push_back(std::fabs(x - m) / m);
  const double err = m > 0 ? median(dev) : 0;
  r.err = strf("%.1f%%", err * 100);
  if (err > 0.05) r.notes = "**unstable** (err > 5%); ";
  return r;
}

inline std::string lossless_note(const Results& res, const std::string& group) {
  const double ok = res.v(group + ".lossless", -1);
  if (ok < 0) return "";
  if (ok > 0)
    return "footer: " + strf("%.0f", res.v(group + ".footer_spans")) + " spans = recorded, 0 dropped";
  return "**LOSS**: footer spans " + strf("%.0f", res.v(group + ".footer_spans")) + " vs recorded " +
         strf("%.0f", res.v(group + ".spans_emitted")) + ", dropped " +
         strf("%.0f", res.v(group + ".footer_dropped"));
}

inline std::vector<Row> build_rows(const Config& cfg, const Results& res) {
  std::vector<Row> rows;
  const double base = median(res.s("single.baseline"));
  // Instructions per iteration from callgrind, the loop's own (the empty loop's) taken out.
  const double loop_instr = res.v("callgrind.empty");
  const double base_instr = res.v("callgrind.baseline") - loop_instr;
  auto instr_of = [&](const std::string& key) { return res.v("callgrind." + key) - loop_instr; };
  auto instr_cell = [&](const std::string& key) {
    const double i = instr_of(key);
    if (std::isnan(i)) return std::string("n/a");
    return key == "baseline" ? strf("%.0f", i) : strf("%.0f", i) + strf(" (%+.0f)", i - base_instr);
  };
  if (res.has("single.baseline")) {
    Row r = ns_row("baseline", "2× `rdtsc` + 24-byte store into a thread-local array (L1), same loop shape",
                   res.s("single.baseline"), base);
    r.instr = instr_cell("baseline");
    r.target = "—";
    r.notes += "the floor for a span; every ratio divides by the baseline of its own process";
    if (!std::isnan(loop_instr))
      r.notes += strf("; instruction counts leave out the loop's own %.0f", loop_instr);
    rows.push_back(r);
  }
  struct SingleRow {
    const char* key;
    const char* name;
    const char* what;
    double limit_ratio, limit_ns, limit_extra_instr, limit_instr;
  };
  const SingleRow singles[] = {
      {"span", "span", "`SPANLOG_SPAN(\"x\")` begin+end, no attribute", 1.10, 0, 12, 0},
      {"span_attrs", "span + 2 attrs", "`SPANLOG_SPAN(\"x\", \"items\", int, \"ratio\", double)`", 0, 0, 0,
       0},
      {"span_string", "span + string", "`SPANLOG_SPAN(\"x\", \"key\", std::string)`, 29 bytes copied", 0, 0,
       0, 0},
      {"span_fn", "span_fn", "`SPANLOG_SPAN_FN()`: a span named after the function", 0, 0, 0, 0},
      {"span_stats", "statistics span",
       "`SPANLOG_SPAN_STATS(\"x\")` begin+end: the thread's histogram, no ring record", 0, 0, 0, 0},
      {"event", "event", "`SPANLOG_EVENT(\"x\")`, no attribute", 0, 0, 0, 0},
      {"log", "log line", "`SPANLOG_LOG_INFO(\"... {rows} ... {table} ... {ms}\", int, 20-byte string, int)`",
       0, 0, 0, 0},
      {"log_suppressed", "log line, level off",
       "`SPANLOG_LOG_DEBUG(\"{i}\", i)` with the run at info: one compare", 0, 0, 0, 0},
      {"counter", "counter add", "`SPANLOG_COUNTER_ADD(\"x\", 1)`", 0, 2, 0, 10},
      {"gauge", "gauge set", "`SPANLOG_GAUGE_SET(\"x\", double)`", 0, 2, 0, 10},
      {"counter_labelled", "labelled counter add",
       "`SPANLOG_COUNTER_ADD(\"x\", 3, \"model\", 12-byte string, \"kind\", \"input\")`: a ring record", 0, 0,
       0, 0},
      {"histogram", "histogram record", "`SPANLOG_HISTOGRAM(\"x\", value)`: the thread's histogram, in place",
       0, 3, 0, 15},
      {"histogram_labelled", "labelled histogram record",
       "`SPANLOG_HISTOGRAM(\"x\", value, \"route\", 11-byte string)`: a ring record", 0, 0, 0, 0},
  };
  for (const auto& s : singles) {
    const std::string key = std::string("single.") + s.key;
    if (!res.has(key)) continue;
    Row r = ns_row(s.name, s.what, res.s(key), base);
    r.instr = instr_cell(s.key);
    const double m = median(res.s(key));
    const double instr = instr_of(s.key);
    std::vector<std::string> targets;
    if (s.limit_ratio > 0)
      targets.push_back("≤ " + strf("%.2f×", s.limit_ratio) + ": " + verdict(m / base, s.limit_ratio));
    if (s.limit_ns > 0) targets.push_back("≤ " + num(s.limit_ns) + " ns: " + verdict(m, s.limit_ns));
    if (s.limit_extra_instr > 0)
      targets.push_back(strf("≤ +%.0f instr: ", s.limit_extra_instr) +
                        verdict(instr - base_instr, s.limit_extra_instr));
    if (s.limit_instr > 0)
      targets.push_back(strf("≤ %.0f instr: ", s.limit_instr) + verdict(instr, s.limit_instr));
    for (const auto& t : targets) r.target += (r.target.empty() ? "" : "; ") + t;
    if (r.target.empty()) r.target = "—";
    if (std::string(s.key) == "span")
      r.notes += std::fabs(m - base) < 0.05 ? std::string("same as the baseline; ")
                                            : strf("%+.1f ns against the baseline; ", m - base);
    if (std::string(s.key) == "log" && res.has("single.span")) {
      const double ratio = m / median(res.s("single.span"));
      r.target = "≤ 1.30× a span: " + verdict(ratio, 1.30);
      r.notes += strf("%.2f× a span's time; ", ratio);
    }
    if (std::string(s.key) == "log_suppressed") {
      // The loop times the call site alone (no clock read, unlike the baseline): its cost is the median.
      r.target = "≤ 1 ns: " + verdict(m, 1.0);
    }
    if (std::string(s.key) == "span_stats" && res.has("single.span")) {
      // Its target is against the full span's cost (what each adds to the baseline), not the baseline's.
      const double full = median(res.s("single.span")) - base;
      const double ratio = (m - base) / full;
      r.target = "≤ 1.30× a span's cost: " + verdict(ratio, 1.30);
      r.notes += strf("%.2f× a full span's cost", ratio) + strf(" (%+.1f ns", m - base) +
                 strf(" against %+.1f ns); ", full);
    }
    rows.push_back(r);
  }
  if (!rows.empty()) rows.back().notes += lossless_note(res, "single");

  if (res.has("threads.span2")) {
    const double b1 = median(res.s("threads.baseline1"));
    const double s1 = median(res.s("threads.span1"));
    Row rb = ns_row("baseline, 2 threads", "the baseline on 2 threads at once, per thread",
                    res.s("threads.baseline2"), b1);
    rb.target = "—";
    rb.notes += "what sharing the machine costs by itself";
    rows.push_back(rb);
    Row r = ns_row("span, 2 threads", "`SPANLOG_SPAN(\"x\")` on 2 producer threads at once, per thread",
                   res.s("threads.span2"), b1);
    const double m = median(res.s("threads.span2"));
    r.target = "≤ 1.25× 1 thread: " + verdict(m / s1, 1.25);
    r.notes += strf("%.2f× the single-thread span ", m / s1) + "(" + num(s1) + " ns in this process)";
    rows.push_back(r);
    if (res.has("threads.span4")) {
      Row r4 =
          ns_row("span, 4 threads",
                 "`SPANLOG_SPAN(\"x\")` on 4 producer threads at once on 2 cores, per thread (wall time, "
                 "so it includes waiting for a core)",
                 res.s("threads.span4"), median(res.s("threads.baseline4")));
      const double m4 = median(res.s("threads.span4"));
      r4.target = "—";
      r4.notes += strf("%.2f× the single-thread span; ", m4 / s1) +
                  "ratio is to the baseline on 4 threads (" + num(median(res.s("threads.baseline4"))) +
                  " ns); " + lossless_note(res, "threads");
      rows.push_back(r4);
    }
  }

  if (res.has("flusher.cpu")) {
    const double fb = median(res.s("flusher.baseline"));
    const double n = static_cast<double>(cfg.flusher_spans);
    Row rw = ns_row("flusher, wall",
                    "time from the last of " + strf("%g", n / 1e6) +
                        "M recorded spans until `flush()` returns (all written), per span",
                    res.s("flusher.wall"), fb);
    const double wall = median(res.s("flusher.wall"));
    rw.target = "—";
    const double early = max_of(res.s("flusher.early_share"));
    if (early > 0.02)
      rw.notes += strf(
          "**the flusher did %.0f%% of its work while the spans were recorded: wall time "
          "understates it**; ",
          early * 100);
    rw.notes += strf("%.2f M spans/s to JSONL; ", 1e3 / wall) + "recording them took " +
                num(median(res.s("flusher.record"))) + " ns/span, nothing draining, into a " +
                strf("%.0f MiB", res.v("flusher.ring_bytes") / 1048576) + " ring (faulted in beforehand)";
    rows.push_back(rw);
    Row rc = ns_row("flusher, CPU",
                    "the flusher thread's CPU time for the same (user + kernel), per span; "
                    "one JSONL line each",
                    res.s("flusher.cpu"), fb);
    const double cpu = median(res.s("flusher.cpu"));
    rc.target = "≥ 10 M/s: " + verdict_at_least(1e3 / cpu, 10);
    rc.notes += strf("%.2f M records per CPU-second; ", 1e3 / cpu) +
                strf("%.0f%% of that CPU time in the kernel (write(2) into the page cache); ",
                     median(res.s("flusher.kernel_share")) * 100) +
                strf("%.1f bytes/line; ", median(res.s("flusher.bytes"))) +
                (res.v("flusher.lossless", 0) > 0 ? "every run's footer: all spans, 0 dropped"
                                                  : "**LOSS** in a run's footer");
    rows.push_back(rc);
  }
  if (res.has("flusher.log_cpu")) {
    const double fb = median(res.s("flusher.baseline"));
    Row rl = ns_row("flusher, log lines",
                    "the flusher's CPU time per log line of `loop_log` (two integers and a 20-byte string), "
                    "message formatted by fmt and the arguments as attributes, " +
                        strf("%g", res.v("flusher.log_lines") / 1e6) + "M lines",
                    res.s("flusher.log_cpu"), fb);
    const double per_second = 1e3 / median(res.s("flusher.log_cpu"));
    rl.target = "≥ 6 M/s: " + verdict_at_least(per_second, 6);
    rl.notes += strf("%.2f M lines per CPU-second; ", per_second) +
                strf("%.1f bytes/line; ", median(res.s("flusher.log_bytes"))) +
                (res.v("flusher.logs_lossless", 0) > 0 ? "every run's footer: all lines, 0 dropped"
                                                       : "**LOSS** in a run's footer");
    rows.push_back(rl);
  }
  if (res.has("flusher.vitals_ns")) {
    const double fb = median(res.s("flusher.baseline"));
    Row rv = ns_row("flusher, vitals",
                    "the vitals' reads once per statistics interval: `/proc/self/statm`, `getrusage`, "
                    "the flusher thread's CPU clock",
                    res.s("flusher.vitals_ns"), fb);
    const double m = median(res.s("flusher.vitals_ns"));
    rv.target = "≤ 0.1% of a 1 s interval: " + verdict(m / 1e9, 0.001);
    rv.notes += strf("%.4f%% of the default 1 s interval", m / 1e7);
    if (res.has("flusher.cpu"))
      rv.notes += strf("; as much flusher time as %.0f spans written", m / median(res.s("flusher.cpu")));
    rows.push_back(rv);
  }

  if (res.has("sustained.span")) {
    const double sb = median(res.s("sustained.baseline"));
    Row r = ns_row(
        "sustained",
        strf("one producer for %.0f s, overflow `block`, ", cfg.seconds) +
            strf("%.0f MiB ring (default): ns per span, per window", res.v("sustained.ring_bytes") / 1048576),
        res.s("sustained.span"), sb);
    const double m = median(res.s("sustained.span"));
    r.target = "≥ 5 M/s (issue 6): " + verdict_at_least(1e3 / m, 5);
    std::string windows;
    for (double w : res.s("sustained.span")) windows += (windows.empty() ? "" : " ") + strf("%.1f", 1e3 / w);
    r.notes += strf("%.2f M spans/s; ", 1e3 / m) + "per window in order: " + windows + " M/s; " +
               strf("CPU: flusher %.0f%%", res.v("sustained.flusher_cpu_share") * 100) +
               strf(" (%.0f ns/span, ", res.v("sustained.flusher_cpu_per_span")) +
               strf("%.0f%% in the kernel),", res.v("sustained.flusher_kernel_share") * 100) +
               strf(" producer %.0f%% of the wall time; ", res.v("sustained.producer_cpu_share") * 100) +
               lossless_note(res, "sustained");
    rows.push_back(r);
    Row b;
    b.name = "bytes per span";
    b.what = "telemetry.jsonl size / spans, for the sustained run (`{\"event\":\"span\",...}` lines)";
    b.median = strf("%.1f B", res.v("sustained.bytes_per_span"));
    b.range = b.ratio = "—";
    b.target = "—";
    b.notes = strf("%.1f B/line in the flusher runs", median(res.s("flusher.bytes")));
    rows.push_back(b);
    Row m2;
    m2.name = "peak RSS";
    m2.what = "getrusage ru_maxrss of the sustained run's process (ring size in force: " +
              strf("%.0f MiB", res.v("sustained.ring_bytes") / 1048576) + ")";
    m2.median = strf("%.1f MiB", res.v("sustained.peak_rss"));
    m2.range =
        strf("RSS %.1f", min_of(res.s("sustained.rss"))) + strf(" – %.1f", max_of(res.s("sustained.rss")));
    m2.ratio = "—";
    m2.target = "bounded by the options";
    m2.notes =
        strf("%.1f MiB before spanlog started; ", res.v("sustained.rss_before")) +
        "min – max is the RSS at the end of each window (flat means bounded); " +
        strf("the flusher group's peak with its %.0f MiB ring: ", res.v("flusher.ring_bytes") / 1048576) +
        strf("%.0f MiB", res.v("flusher.peak_rss"));
    rows.push_back(m2);
  }

  if (res.has("crash.die")) {
    const double flush_ns = median(res.s("crash.flush"));
    const double unhandled_ns = median(res.s("crash.die_unhandled"));
    auto ms = [](double ns) { return strf("%.2f ms", ns / 1e6); };
    Row r =
        ns_row("crash: time to die",
               "from SIGSEGV to the parent's waitpid(), with 1 MiB of records (32,768 spans) undrained in "
               "the ring: the crash handler writes them, then the default action",
               res.s("crash.die"), unhandled_ns);
    const double die_ns = median(res.s("crash.die"));
    r.median = ms(die_ns);
    r.range = ms(min_of(res.s("crash.die"))) + " – " + ms(max_of(res.s("crash.die")));
    r.target = "≤ writing the rings + 10 ms: " + verdict(die_ns, flush_ns + unhandled_ns + 10e6);
    r.notes += "ratio to the same death with the crash handler off (" + ms(unhandled_ns) +
               "); the flusher writes the same records in " + ms(flush_ns) + " (flush()); the handler adds " +
               ms(die_ns - unhandled_ns);
    rows.push_back(r);
  }

  if (res.has("cold.span")) {
    const double warm = median(res.s("cold.warm"));
    rows.push_back(ns_row("cold ring: span",
                          "a span on its thread's first pass through a new 1 MiB ring (the first 0.5 MiB), "
                          "against the same spans on the second pass",
                          res.s("cold.span"), warm));
    Row first =
        ns_row("cold ring: a thread's first span",
               "the span that makes the thread's ring (allocated, its pages touched, announced to the "
               "flusher)",
               res.s("cold.first"), warm);
    const auto us = [](double ns) { return strf("%.1f µs", ns / 1e3); };
    first.median = us(median(res.s("cold.first")));
    first.range = us(min_of(res.s("cold.first"))) + " – " + us(max_of(res.s("cold.first")));
    first.ratio = "n/a";
    rows.push_back(first);
  }

  if (res.has("burst.record")) {
    const double bb = median(res.s("burst.baseline"));
    Row r = ns_row("burst: record",
                   "1 M spans as fast as possible, default options (1 MiB ring, `block`), per span",
                   res.s("burst.record"), bb);
    r.notes += strf("%.2f M spans/s while the flusher drains the ring beside it",
                    1e3 / median(res.s("burst.record")));
    rows.push_back(r);
    Row d;
    d.name = "burst: until written";
    d.what =
        "from the last of the 1 M spans until `flush()` returns (all in telemetry.jsonl, i.e. the page "
        "cache)";
    d.median = num(median(res.s("burst.drain_ms"))) + " ms";
    d.range = num(min_of(res.s("burst.drain_ms"))) + " – " + num(max_of(res.s("burst.drain_ms")));
    d.ratio = "—";
    d.target = "—";
    d.notes =
        "record + write: " + num(median(res.s("burst.total_ms"))) + " ms for 1 M spans; " +
        (res.v("burst.lossless", 0) > 0 ? "every footer: 1 M spans, 0 dropped" : "**LOSS** in a footer");
    rows.push_back(d);
  }

  if (res.has("peers.baseline")) {
    const double pb = median(res.s("peers.baseline"));
    struct PeerRow {
      const char* key;
      const char* name;
      const char* what;
    };
    const PeerRow peer_rows[] = {
        {"span", "spanlog span (peers run)", "`SPANLOG_SPAN(\"x\")` again, in the peers' process"},
        {"concurrentqueue", "moodycamel ConcurrentQueue",
         "`enqueue(producer_token, item)`, 32-byte item (a pointer, `rdtsc`, 2 words), queue pre-sized"},
        {"readerwriterqueue", "moodycamel ReaderWriterQueue",
         "`try_enqueue(item)`, same 32-byte item, pre-sized"},
        {"spdlog", "spdlog async logger",
         "`logger->info(\"value {}\", i)`: async logger, 1 backend thread, `block`, file sink"},
    };
    for (const auto& p : peer_rows) {
      const std::string key = std::string("peers.") + p.key;
      if (!res.has(key)) continue;
      Row r = ns_row(p.name, p.what, res.s(key), pb);
      r.target = "—";
      rows.push_back(r);
    }
  }

  if (res.has("reader.mb_s")) {
    Row r;
    r.name = "reader";
    r.what = "`spanlog summary --no-write` on a run this benchmark recorded (" +
             strf("%.0f MB, ", res.v("reader.bytes") / 1e6) +
             strf("%.1f M lines), wall time", res.v("reader.lines") / 1e6);
    const auto& v = res.s("reader.mb_s");
    r.median = num(median(v)) + " MB/s";
    r.range = num(min_of(v)) + " – " + num(max_of(v));
    r.ratio = "—";
    r.target = "—";
    r.notes = strf("%.1f M lines/s; ", median(res.s("reader.mlines_s"))) +
              "process start and the page-cache read included; bench/reader_bench.py compares it with jq and "
              "python";
    rows.push_back(r);
  }
  if (res.v("reader.failed", 0) > 0) {
    Row r;
    r.name = "reader";
    r.what = "`" + cfg.reader + " summary --no-write` failed on the recorded run";
    r.median = r.range = r.ratio = r.target = "n/a";
    rows.push_back(r);
  }
  if (res.v("callgrind.failed", 0) > 0) {
    Row r;
    r.name = "instructions";
    r.what = "callgrind could not be run (is valgrind installed?)";
    r.median = r.range = r.ratio = r.target = "n/a";
    rows.push_back(r);
  }
  return rows;
}

}  // namespace recorder_bench
