// The entry points of the libFuzzer targets (tests/fuzz/fuzz_jsonl.cpp, fuzz_rules.cpp), shared with the
// replay of tests/fuzz/regressions/ in the normal suite (tests/reader_fuzz_regressions.cpp), so a regression
// input runs exactly the code the fuzzer ran. Every property checked here aborts with a message when broken:
// to the fuzzer that is a crash, and the input is kept.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "reader/aggregator.hpp"
#include "reader/jsonl_reader.hpp"
#include "reader/log_lines.hpp"
#include "reader/rules.hpp"
#include "reader/span_assembler.hpp"
#include "reader/summary_json.hpp"
#include "reader/units.hpp"

namespace spanlog::fuzz {

// A broken property: print it and abort, which libFuzzer and the sanitizers report with the input.
[[noreturn]] inline void broken(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz property broken: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void require(bool condition, std::string_view what, std::string_view detail = {}) {
  if (!condition) broken(what, detail);
}

// Our JSON output must always be JSON, whatever the input held (names with quotes, control characters, ...).
inline void require_json(const std::string& text, std::string_view what) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  require(parser.parse(text).get(element) == simdjson::SUCCESS, what, text);
}

// Feeds the spans to the open-span tracker too, as `doctor` and `tail` do, and the log lines with what names
// them to the collector `logs` reads with.
class TeeSink : public reader::RecordSink {
 public:
  explicit TeeSink(reader::Aggregator& aggregator) : aggregator_(aggregator) {}
  // As the aggregator: without --by the reader skips collecting attributes, a path of its own.
  bool wants_attrs() const override { return aggregator_.wants_attrs(); }
  void on_header(const reader::HeaderRecord& r, std::uint64_t line) override {
    aggregator_.on_header(r, line);
    logs.on_header(r, line);
  }
  void on_thread(const reader::ThreadRecord& r, std::uint64_t line) override {
    aggregator_.on_thread(r, line);
    logs.on_thread(r, line);
  }
  void on_span(const reader::SpanRecord& r, std::uint64_t line) override {
    aggregator_.on_span(r, line);
    logs.on_span(r, line);
  }
  void on_span_start(const reader::SpanStartRecord& r, std::uint64_t line) override {
    aggregator_.on_span_start(r, line);
    logs.on_span_start(r, line);
    open.start(r, line);
  }
  void on_span_end(const reader::SpanEndRecord& r, std::uint64_t line) override {
    aggregator_.on_span_end(r, line);
    logs.on_span_end(r, line);
    open.end(r);
  }
  void on_instant(const reader::InstantRecord& r, std::uint64_t line) override {
    aggregator_.on_instant(r, line);
  }
  void on_log(const reader::LogRecord& r, std::uint64_t line) override {
    aggregator_.on_log(r, line);
    logs.on_log(r, line);
  }
  void on_counter(const reader::CounterRecord& r, std::uint64_t line) override {
    aggregator_.on_counter(r, line);
  }
  void on_gauge(const reader::GaugeRecord& r, std::uint64_t line) override { aggregator_.on_gauge(r, line); }
  void on_histogram(const reader::HistogramRecord& r, std::uint64_t line) override {
    aggregator_.on_histogram(r, line);
  }
  void on_metric_info(const reader::MetricInfoRecord& r, std::uint64_t line) override {
    aggregator_.on_metric_info(r, line);
  }
  void on_phase(const reader::PhaseRecord& r, std::uint64_t line) override { aggregator_.on_phase(r, line); }
  void on_dropped(const reader::DroppedRecord& r, std::uint64_t line) override {
    aggregator_.on_dropped(r, line);
  }
  void on_crash(const reader::CrashRecord& r, std::uint64_t line) override { aggregator_.on_crash(r, line); }
  void on_footer(const reader::FooterRecord& r, std::uint64_t line) override {
    aggregator_.on_footer(r, line);
  }

  reader::SpanAssembler open;
  reader::LogLineCollector logs;

 private:
  reader::Aggregator& aggregator_;
};

// What one reading of the input gave: a refusal (a ReadError, which is a correct answer to bad input) or a
// summary, rendered as the program would print it.
struct JsonlOutcome {
  bool refused = false;
  std::string message;       // the ReadError, when refused
  std::string summary_json;  // `spanlog summary --json`
  std::string run_summary_json;
  std::uint64_t lines = 0, records = 0, skipped_lines = 0, bytes = 0;
  bool torn_last_line = false;
  std::size_t open_spans = 0;
  std::string log_lines;  // `spanlog logs --json`

  bool operator==(const JsonlOutcome&) const = default;
};

// The options a fuzz input chooses with its first byte, so that one corpus covers them all.
struct JsonlChoice {
  reader::ReadOptions read;
  reader::AggregateOptions aggregate;
  std::size_t piece = 0;  // the second reading feeds the bytes in pieces of this size
};

inline JsonlChoice jsonl_choice(std::uint8_t control) {
  static constexpr std::size_t kPieces[] = {1, 2, 3, 7, 64, 511, 4097, 100000};
  JsonlChoice c;
  c.read.skip_bad = (control & 1u) != 0;
  // Small buffers, so that inputs of a few KB cross chunk boundaries, grow the buffer and hit the line limit.
  c.read.chunk_bytes = 4096;
  c.read.max_line_bytes = (control & 64u) != 0 ? 8192 : std::size_t{64} << 20;
  if ((control & 2u) != 0) {
    // Every reading of attributes at once: rows by two of them, a sum, a rule's filters, exporters' labels.
    c.aggregate.group_by = "model,status";
    c.aggregate.sum_keys = {"tokens"};
    c.aggregate.selections = {
        reader::SpanSelection{"*", reader::parse_attr_selector(R"({model="small"})").selector}};
    c.aggregate.label_keys = {"model"};
  }
  if ((control & 4u) != 0) c.aggregate.name_filter = "d*";
  c.piece = kPieces[(control >> 3) & 7u];
  return c;
}

// Reads `text` as one run, `piece` bytes at a time, into a summary; checks what must hold of any result.
// With `threads`, through the reading of a whole input on that many threads (as read_file does), the source
// giving `piece` bytes at a time.
inline JsonlOutcome read_jsonl(std::string_view text, const JsonlChoice& choice, std::size_t piece,
                               unsigned threads = 0) {
  JsonlOutcome outcome;
  reader::Aggregator aggregator(choice.aggregate);
  TeeSink sink(aggregator);
  aggregator.begin_run("fuzz/telemetry.jsonl");
  reader::JsonlReader reader("fuzz/telemetry.jsonl", sink, choice.read);
  try {
    if (threads > 0) {
      std::size_t at = 0;
      reader.read_all(
          [&](char* into, std::size_t capacity) {
            const std::size_t n = std::min({capacity, piece, text.size() - at});
            std::memcpy(into, text.data() + at, n);
            at += n;
            return n;
          },
          threads);
    } else {
      for (std::size_t at = 0; at < text.size(); at += piece) reader.feed(text.substr(at, piece));
      reader.finish();
    }
  } catch (const reader::ReadError& e) {
    outcome.refused = true;
    outcome.message = e.what();
    // A refusal names the file and the line: "fuzz/telemetry.jsonl:17: what was wrong".
    const std::string_view prefix = "fuzz/telemetry.jsonl:";
    require(outcome.message.rfind(prefix, 0) == 0, "a read error names the file", outcome.message);
    const std::size_t colon = outcome.message.find(": ", prefix.size());
    require(colon != std::string::npos && colon > prefix.size() &&
                std::all_of(outcome.message.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                            outcome.message.begin() + static_cast<std::ptrdiff_t>(colon),
                            [](char c) { return c >= '0' && c <= '9'; }) &&
                colon + 2 < outcome.message.size(),
            "a read error names the line and what was wrong", outcome.message);
    return outcome;
  }
  const reader::ReadReport& report = reader.report();
  require(report.records + report.skipped_lines <= report.lines, "records + skipped <= lines");
  require(report.bytes == text.size(), "every byte is counted");
  require(choice.read.skip_bad || report.skipped_lines == 0, "nothing is skipped without skip_bad");
  require(report.skipped_examples.size() == std::min<std::uint64_t>(report.skipped_lines, 5),
          "the first five skipped lines are kept as examples");
  aggregator.end_run(report);
  const reader::Summary summary = aggregator.take_summary();

  for (const auto& [name, stats] : summary.spans) {
    const reader::Histogram& h = stats.durations;
    require(h.count() > 0, "a span row has spans", name);
    const std::uint64_t p50 = h.percentile(0.5), p90 = h.percentile(0.9), p99 = h.percentile(0.99);
    require(h.min() <= p50 && p50 <= p90 && p90 <= p99 && p99 <= h.max(), "min <= p50 <= p90 <= p99 <= max",
            name);
    require(stats.errors <= h.count(), "errors <= count", name);
  }
  std::uint64_t thread_spans = 0;
  for (const auto& t : summary.threads) thread_spans += t.spans;
  require(thread_spans == summary.total_spans + summary.open_spans.size(),
          "the threads' spans add up to the spans started: ended and still open");

  outcome.summary_json = reader::summary_json(summary);
  require_json(outcome.summary_json, "summary --json is JSON");
  outcome.run_summary_json = reader::run_summary_json(summary);
  require_json(outcome.run_summary_json, "run_summary.json is JSON");
  for (const char* text_rule : {"p99(*) < 5ms", "error_rate(d*) <= 1%", "counter(*) > 0", "gauge(g) == 1",
                                "dropped == 0", "open_spans == 0", "self(*) >= 0", "logs(warn) < 10"}) {
    const reader::RuleResult result = reader::evaluate(reader::parse_rule(text_rule), summary);
    require(!result.explanation.empty(), "a rule explains its result", text_rule);
  }
  std::uint64_t previous_ts = 0;
  for (const reader::LogLine& line : sink.logs.take_lines()) {
    require(line.ts >= previous_ts, "log lines come out in time order");
    previous_ts = line.ts;
    const std::string json = reader::log_line_json(line, sink.logs.start_ts());
    require_json(json, "logs --json is JSON");
    outcome.log_lines += json + "\n";
  }
  for (const auto& [tid, nested] : sink.open.open_by_thread()) outcome.open_spans += nested.size();
  require(outcome.open_spans == sink.open.open_count(), "every open span is listed under its thread");

  outcome.lines = report.lines;
  outcome.records = report.records;
  outcome.skipped_lines = report.skipped_lines;
  outcome.bytes = report.bytes;
  outcome.torn_last_line = report.torn_last_line.has_value();
  return outcome;
}

// The JSONL target: the first byte chooses the options, the rest is the file. The whole reading and
// aggregation path runs three times: the bytes arriving at once, in pieces, and read on two threads (which
// parse chunks apart and hand them out in order). The results must be the same, since neither where the
// chunks end nor which thread parsed them may change what a file means.
inline JsonlOutcome run_jsonl(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {};
  const JsonlChoice choice = jsonl_choice(data[0]);
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  JsonlOutcome whole = read_jsonl(text, choice, std::max<std::size_t>(text.size(), 1));
  auto same = [&](const JsonlOutcome& other, std::string_view how) {
    if (!(whole == other))
      broken("the result depends on how the bytes are read",
             "at once: " + (whole.refused ? whole.message : whole.summary_json) + "\n" + std::string(how) +
                 ": " + (other.refused ? other.message : other.summary_json));
  };
  same(read_jsonl(text, choice, choice.piece), "in pieces");
  same(read_jsonl(text, choice, choice.piece, 2), "on two threads");
  return whole;
}

// A fixed run the rules are evaluated over: spans (with attributes of every type), errors, counters, gauges
// (one not finite), events, drops. Read with the span selections a rule's attribute filters ask for.
inline reader::Summary summarize_rules_run(std::vector<reader::SpanSelection> selections) {
  static constexpr std::string_view kRun =
      R"({"event":"header","schema":1,"run_id":"r","start_ts":1000})"
      "\n"
      R"({"event":"span","span_id":1,"name":"db.query","tid":1,"ts":1000,"dur_ns":5000,"status":"ok",)"
      R"("attrs":{"db":"users","shard":1,"cached":true,"ratio":0.5}})"
      "\n"
      R"({"event":"span","span_id":2,"name":"db.query","tid":1,"ts":7000,"dur_ns":1000,"status":"error",)"
      R"("attrs":{"db":"orders","shard":2,"cached":false}})"
      "\n"
      R"({"event":"span","span_id":3,"parent":1,"name":"parse","tid":2,"ts":1500,"dur_ns":300})"
      "\n"
      R"({"event":"counter","name":"bytes","tid":1,"ts":9000,"delta":81920})"
      "\n"
      R"({"event":"gauge","name":"queue.depth","tid":1,"ts":9000,"value":7,"min":3,"max":9,"count":5})"
      "\n"
      R"({"event":"gauge","name":"ratio","tid":1,"ts":9000,"value":null,"count":1})"
      "\n"
      R"({"event":"instant","name":"cache.miss","tid":1,"ts":9100})"
      "\n"
      R"({"event":"dropped","tid":1,"ts":9200,"spans":2,"events":1,"metrics":0,"attrs":0})"
      "\n";
  reader::AggregateOptions options;
  options.selections = std::move(selections);
  reader::Aggregator aggregator(std::move(options));
  aggregator.begin_run("rules");
  reader::JsonlReader reader("rules", aggregator);
  reader.feed(kRun);
  reader.finish();
  aggregator.end_run(reader.report());
  return aggregator.take_summary();
}

inline const reader::Summary& rules_summary() {
  static const reader::Summary summary = summarize_rules_run({});
  return summary;
}

// What one rule text gave: a syntax error (a correct answer to a bad rule) or a result.
struct RuleOutcome {
  bool syntax_error = false;
  std::string message;  // the syntax error, or the result's explanation
  bool passed = false;
};

// The rules target: the input is the text of one `--rule`; it is parsed and, when it parses, evaluated.
inline RuleOutcome run_rule(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  RuleOutcome outcome;
  reader::Rule rule;
  try {
    rule = reader::parse_rule(text);
  } catch (const reader::RuleSyntaxError& e) {
    outcome.syntax_error = true;
    outcome.message = e.what();
    require(outcome.message.rfind("rule '", 0) == 0, "a syntax error quotes the rule", outcome.message);
    return outcome;
  }
  require(!rule.function.empty(), "a parsed rule has a subject", text);
  require(rule.threshold == rule.threshold, "a threshold is a number", text);
  // Parsing what parse_rule understood again gives the same rule.
  const reader::Rule again = reader::parse_rule(rule.text);
  require(again.function == rule.function && again.argument == rule.argument && again.op == rule.op &&
              (again.threshold == rule.threshold),
          "a rule's text parses to the same rule", rule.text);
  require(again.selector.has_value() == rule.selector.has_value() &&
              (!rule.selector || again.selector->text() == rule.selector->text()),
          "a rule's attribute filters parse to the same filters", rule.text);
  if (rule.selector) {
    // Its text, the way it names the spans it picks, reads back as the same filters.
    const std::string selector_text = rule.selector->text();
    require(reader::parse_attr_selector(selector_text).selector.text() == selector_text,
            "attribute filters' text parses to the same filters", selector_text);
  }
  // A rule with attribute filters is judged over the run read with them, as `check` reads it.
  const reader::Summary selected =
      rule.selector ? summarize_rules_run(reader::span_selections({rule})) : reader::Summary{};
  const reader::RuleResult result = reader::evaluate(rule, rule.selector ? selected : rules_summary());
  require(!result.explanation.empty(), "a rule explains its result", text);
  if (rule.selector) {
    // Filters only take spans away.
    const reader::SpanStats& picked = selected.selected_spans.at(rule.argument + rule.selector->text());
    require(picked.durations.count() <= reader::combine_matching(selected, rule.argument).durations.count(),
            "attribute filters pick among the spans of the name", text);
  }
  require(!result.passed || result.actual.has_value(), "a passing rule measured something", text);
  outcome.message = result.explanation;
  outcome.passed = result.passed;
  // The duration words the rule text may hold.
  if (const auto ns = reader::parse_duration(text)) require(*ns >= 0, "a duration is not negative", text);
  return outcome;
}

}  // namespace spanlog::fuzz
