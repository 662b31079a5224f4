// The reader on runs the recorder itself wrote: the examples (pipeline: phases, worker threads, attributes,
// errors, counters, a gauge; minimal: one span and one counter) run into a temporary SPANLOG_DIR, and what
// `spanlog` prints is compared with values worked out here from the run's own lines and its
// run_summary.json, independently of the reader library.
#include <simdjson.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/reader_support.hpp"
#include "support/span_rows_dom.hpp"

using reader_test::contains;
using test_support::env;
using test_support::try_run;

namespace {

namespace fs = std::filesystem;

std::string quoted(const fs::path& path) {
  return "'" + path.string() + "'";
}

// Runs an example with SPANLOG_DIR set to `dir`; returns the run directory it wrote.
fs::path record(const char* example_variable, const std::string& arguments, const fs::path& dir) {
  const std::string command =
      "SPANLOG_DIR=" + quoted(dir) + " " + env(example_variable) + (arguments.empty() ? "" : " " + arguments);
  const auto result = try_run(command);
  INFO(command << "\n" << result.output);
  REQUIRE(result.status == 0);
  const fs::path run = fs::canonical(dir / "latest");
  REQUIRE(fs::exists(run / "telemetry.jsonl"));
  REQUIRE(fs::exists(run / "run_summary.json"));
  return run;
}

using test_support::run_spanlog;

// What the lines of a telemetry.jsonl say, worked out without the reader library.
struct Facts {
  struct Span {
    std::string name;
    std::uint64_t tid = 0, ts = 0, dur = 0;
    std::uint64_t parent = 0;
    bool has_parent = false, error = false, is_phase = false, ended = false;
  };
  struct Phase {
    std::uint64_t ts = 0, end_ts = 0, wall_ns = 0;
  };
  struct Gauge {
    double last = 0, min = 0, max = 0;
    std::uint64_t last_ts = 0, sets = 0;
    bool seen = false;
  };
  std::map<std::uint64_t, Span> spans;
  std::map<std::string, Phase> phases;
  std::map<std::string, std::int64_t> counters;
  std::map<std::string, Gauge> gauges;
  std::map<std::string, std::uint64_t> events;
  std::uint64_t lines = 0;

  std::map<std::string, std::vector<std::uint64_t>> durations() const {
    std::map<std::string, std::vector<std::uint64_t>> by_name;
    for (const auto& [id, s] : spans)
      if (s.ended) by_name[s.name].push_back(s.dur);
    for (auto& [name, list] : by_name) std::sort(list.begin(), list.end());
    return by_name;
  }
  // Per name, the sum over its spans of the raw self time (docs/reader.md): the duration minus the union of
  // the direct children's intervals on the span's own thread (a child counts on the thread it began on), each
  // clipped to the span.
  std::map<std::string, std::uint64_t> self_ns() const {
    std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::uint64_t>>> own_children;
    for (const auto& [id, s] : spans) {
      if (!s.ended || !s.has_parent) continue;
      const auto parent = spans.find(s.parent);
      if (parent != spans.end() && parent->second.tid == s.tid)
        own_children[s.parent].emplace_back(s.ts, s.ts + s.dur);
    }
    std::map<std::string, std::uint64_t> self;
    for (const auto& [id, s] : spans) {
      if (!s.ended) continue;
      auto intervals = own_children[id];
      std::sort(intervals.begin(), intervals.end());
      std::uint64_t covered = 0, reached = s.ts;
      for (auto [start, end] : intervals) {
        start = std::max(start, reached);
        end = std::min(end, s.ts + s.dur);
        if (end > start) {
          covered += end - start;
          reached = end;
        }
      }
      self[s.name] += s.dur - std::min(covered, s.dur);
    }
    return self;
  }
  // docs/format.md: the spans of any thread, phases excepted, that started within the phase's interval.
  std::uint64_t spans_in_phase(const std::string& name) const {
    const Phase& p = phases.at(name);
    std::uint64_t n = 0;
    for (const auto& [id, s] : spans) n += s.ended && !s.is_phase && s.ts >= p.ts && s.ts < p.end_ts;
    return n;
  }
};

Facts facts_of(const fs::path& run) {
  Facts f;
  const std::string text = reader_test::read_text(run / "telemetry.jsonl");
  simdjson::dom::parser parser;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    REQUIRE(end != std::string::npos);
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    ++f.lines;
    simdjson::dom::element e;
    REQUIRE_MESSAGE(parser.parse(line).get(e) == simdjson::SUCCESS, line);
    const std::string_view event = e["event"].get_string();
    auto u64 = [&](const char* key) { return std::uint64_t(e[key].get_uint64()); };
    auto has = [&](const char* key) { return e[key].error() == simdjson::SUCCESS; };
    if (event == "span" || event == "span_start") {
      Facts::Span& s = f.spans[u64("span_id")];
      s.name = std::string(std::string_view(e["name"].get_string()));
      s.tid = u64("tid");
      s.ts = u64("ts");
      s.has_parent = has("parent");
      if (s.has_parent) s.parent = u64("parent");
      s.is_phase = has("kind") && std::string_view(e["kind"].get_string()) == "phase";
      if (event == "span") {
        s.dur = u64("dur_ns");
        s.error = has("status") && std::string_view(e["status"].get_string()) == "error";
        s.ended = true;
      }
    } else if (event == "spans") {
      // Rows (schema 1.3): complete ok spans.
      test_support::for_each_span_row(e, [&](const test_support::RowSpan& row) {
        Facts::Span& s = f.spans[row.id];
        s.name = row.name;
        s.tid = row.tid;
        s.ts = row.ts;
        s.has_parent = row.has_parent;
        s.parent = row.parent;
        s.is_phase = false;
        s.dur = row.dur;
        s.error = false;
        s.ended = true;
      });
    } else if (event == "span_end") {
      const auto it = f.spans.find(u64("span_id"));
      REQUIRE(it != f.spans.end());
      it->second.dur = u64("dur_ns");
      it->second.error = has("status") && std::string_view(e["status"].get_string()) == "error";
      it->second.ended = true;
    } else if (event == "phase") {
      Facts::Phase& p = f.phases[std::string(std::string_view(e["name"].get_string()))];
      p.ts = u64("ts");
      p.end_ts = u64("end_ts");
      p.wall_ns = u64("wall_ns");
    } else if (event == "counter") {
      // The program's counters; the recorder's vitals (spanlog.*, format.md) are a family of their own.
      const std::string name(std::string_view(e["name"].get_string()));
      if (name.rfind("spanlog.", 0) != 0) f.counters[name] += std::int64_t(e["delta"].get_int64());
    } else if (event == "gauge") {
      Facts::Gauge& g = f.gauges[std::string(std::string_view(e["name"].get_string()))];
      const double value = e["value"].get_double(), min = e["min"].get_double(), max = e["max"].get_double();
      const std::uint64_t ts = u64("ts");
      if (!g.seen || ts >= g.last_ts) {
        g.last = value;
        g.last_ts = ts;
      }
      g.min = g.seen ? std::min(g.min, min) : min;
      g.max = g.seen ? std::max(g.max, max) : max;
      g.sets += u64("count");
      g.seen = true;
    } else if (event == "instant") {
      ++f.events[std::string(std::string_view(e["name"].get_string()))];
    }
  }
  return f;
}

// The recorder's run_summary.json counts a phase's spans exactly as the file holds them.
void check_recorder_phase(simdjson::dom::element recorded, const std::string& name, std::uint64_t exact) {
  const std::uint64_t written = recorded["phases"][name]["spans"].get_uint64();
  CHECK_MESSAGE(written == exact, "recorder's run_summary.json: phase '" << name << "' spans = " << written
                                                                         << ", the file holds " << exact);
}

simdjson::dom::element parse_json(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element e;
  REQUIRE_MESSAGE(parser.parse(text).get(e) == simdjson::SUCCESS, text);
  return e;
}

// `spanlog summary --json` against the facts of the file and the recorder's run_summary.json.
void check_summary(const fs::path& run) {
  const Facts facts = facts_of(run);
  // --raw: the self times as the file has them, without the header's instrumentation taken out.
  const auto result = run_spanlog("summary --json --raw --no-write " + quoted(run));
  REQUIRE_MESSAGE(result.status == 0, result.output);
  simdjson::dom::parser parser, summary_parser;
  const auto summary = parse_json(parser, result.output);
  const auto recorded = parse_json(summary_parser, reader_test::read_text(run / "run_summary.json"));

  const auto durations = facts.durations();
  const auto self = facts.self_ns();
  std::map<std::string, std::uint64_t> errors;
  for (const auto& [id, s] : facts.spans) errors[s.name] += s.ended && s.error;
  std::size_t rows = 0;
  for (const auto span : summary["spans"].get_array()) {
    ++rows;
    const std::string name(std::string_view(span["name"].get_string()));
    INFO("span " << name);
    REQUIRE(durations.count(name) == 1);
    const auto& list = durations.at(name);
    std::uint64_t total = 0;
    for (const auto d : list) total += d;
    CHECK(std::uint64_t(span["count"].get_uint64()) == list.size());
    CHECK(std::uint64_t(span["total_ns"].get_uint64()) == total);
    CHECK(std::uint64_t(span["min_ns"].get_uint64()) == list.front());
    CHECK(std::uint64_t(span["max_ns"].get_uint64()) == list.back());
    CHECK(std::uint64_t(span["self_ns"].get_uint64()) == self.at(name));
    CHECK(std::uint64_t(span["errors"].get_uint64()) == errors[name]);
    // Not structured bindings: clang 14 cannot capture them in doctest's INFO.
    for (const auto& quantile :
         {std::pair{0.5, "p50_ns"}, std::pair{0.9, "p90_ns"}, std::pair{0.99, "p99_ns"}}) {
      const double q = quantile.first;
      const char* key = quantile.second;
      // Nearest rank: the value of rank ceil(q * n).
      const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(list.size()) - 1e-9));
      const double exact = static_cast<double>(list[std::max<std::size_t>(rank, 1) - 1]);
      const double shown = static_cast<double>(std::uint64_t(span[key].get_uint64()));
      INFO(key << ": " << shown << " against exact " << exact);
      CHECK(std::fabs(shown - exact) <= 0.01 * exact);
    }
  }
  CHECK(rows == durations.size());

  // Phases: the wall time of the `phase` lines; the spans started within each, as format.md counts them and
  // as the recorder wrote them into run_summary.json.
  std::size_t phases = 0;
  for (const auto [key, value] : summary["phases"].get_object()) {
    ++phases;
    const std::string name(key);
    INFO("phase " << name);
    REQUIRE(facts.phases.count(name) == 1);
    CHECK(std::uint64_t(value["wall_ns"].get_uint64()) == facts.phases.at(name).wall_ns);
    CHECK(std::uint64_t(value["spans"].get_uint64()) == facts.spans_in_phase(name));
    check_recorder_phase(recorded, name, facts.spans_in_phase(name));
  }
  CHECK(phases == facts.phases.size());

  // Counters: the recorder's own totals, and the sum of the file's deltas.
  std::size_t counters = 0;
  for (const auto [key, value] : summary["counters"].get_object()) {
    ++counters;
    const std::string name(key);
    INFO("counter " << name);
    CHECK(std::int64_t(value["total"].get_int64()) ==
          std::int64_t(recorded["totals"]["counters"][name].get_int64()));
    CHECK(std::int64_t(value["total"].get_int64()) == facts.counters.at(name));
  }
  CHECK(counters == facts.counters.size());
  CHECK(counters == recorded["totals"]["counters"].get_object().size());

  // Gauges: the last value is the newest line's (threads report in drain order).
  for (const auto& gauge : facts.gauges) {
    const std::string& name = gauge.first;
    const Facts::Gauge& g = gauge.second;
    INFO("gauge " << name);
    const auto shown = summary["gauges"][name];
    CHECK(double(shown["last"].get_double()) == g.last);
    CHECK(double(shown["min"].get_double()) == g.min);
    CHECK(double(shown["max"].get_double()) == g.max);
    CHECK(std::uint64_t(shown["sets"].get_uint64()) == g.sets);
  }
  CHECK(summary["gauges"].get_object().size() == facts.gauges.size());

  for (const auto& [name, count] : facts.events)
    CHECK(std::uint64_t(summary["events"][name].get_uint64()) == count);

  // Threads: spans started on each, as the recorder counted them.
  std::map<std::uint64_t, std::uint64_t> thread_spans;
  for (const auto t : recorded["threads"].get_array())
    thread_spans[t["tid"].get_uint64()] = t["spans"].get_uint64();
  std::map<std::uint64_t, std::uint64_t> shown_threads;
  for (const auto t : summary["threads"].get_array())
    shown_threads[t["tid"].get_uint64()] = t["spans"].get_uint64();
  CHECK(shown_threads == thread_spans);
  CHECK(std::uint64_t(summary["total_spans"].get_uint64()) ==
        std::uint64_t(recorded["totals"]["spans"].get_uint64()));
  CHECK(std::uint64_t(summary["records"].get_uint64()) == facts.lines);
  CHECK(summary["open_spans"].get_array().size() == 0);
}

// Every field of `expected` has the same value in `actual`, recursively (JSON objects by key).
void check_same(simdjson::dom::element expected, simdjson::dom::element actual, const std::string& path) {
  INFO("at " << (path.empty() ? "/" : path));
  REQUIRE(expected.type() == actual.type());
  switch (expected.type()) {
    case simdjson::dom::element_type::OBJECT: {
      const simdjson::dom::object a = actual.get_object();
      CHECK(a.size() == expected.get_object().size());
      for (const auto field : expected.get_object()) {
        const std::string_view key = field.key;
        const simdjson::dom::element value = field.value;
        simdjson::dom::element other;
        const bool present = a[key].get(other) == simdjson::SUCCESS;
        CHECK_MESSAGE(present, "missing key " << key);
        if (present) check_same(value, other, path + "/" + std::string(key));
      }
      break;
    }
    case simdjson::dom::element_type::ARRAY: {
      const simdjson::dom::array e = expected.get_array(), a = actual.get_array();
      REQUIRE(e.size() == a.size());
      for (std::size_t i = 0; i < e.size(); ++i) check_same(e.at(i), a.at(i), path + "/" + std::to_string(i));
      break;
    }
    default:
      CHECK(simdjson::to_string(expected) == simdjson::to_string(actual));
  }
}

}  // namespace

TEST_CASE("summary of a pipeline run: counts, percentiles, self time, phases, counters, gauges, threads") {
  reader_test::TempDir dir;
  check_summary(record("SPANLOG_PIPELINE_BIN", "48 4", dir.path()));
}

TEST_CASE("summary of a pipeline run with more threads than cores, and of the minimal example") {
  reader_test::TempDir dir;
  check_summary(record("SPANLOG_PIPELINE_BIN", "200 8", dir / "wide"));
  const fs::path minimal = record("SPANLOG_MINIMAL_BIN", "", dir / "minimal");
  check_summary(minimal);
  const auto result = run_spanlog("summary --no-write " + quoted(minimal));
  CHECK(result.status == 0);
  CHECK(contains(result.output, "parse   1000"));
  CHECK(contains(result.output, "bytes.parsed  43000"));
}

TEST_CASE("a regenerated run_summary.json equals the recorder's, field by field") {
  reader_test::TempDir dir;
  for (const std::string arguments : {"48 4", "120 3"}) {
    INFO("pipeline " << arguments);
    const fs::path run = record("SPANLOG_PIPELINE_BIN", arguments, dir / arguments);
    const Facts facts = facts_of(run);
    std::string original = reader_test::read_text(run / "run_summary.json");
    simdjson::dom::parser a, b;
    // A phase's span count is compared with the file's exact count (see check_recorder_phase).
    for (const auto& [name, phase] : facts.phases) {
      const std::uint64_t exact = facts.spans_in_phase(name);
      check_recorder_phase(parse_json(a, original), name, exact);
      const std::string key =
          "\"" + name + "\":{\"wall_ns\":" + std::to_string(phase.wall_ns) + ",\"spans\":";
      const std::size_t at = original.find(key);
      REQUIRE(at != std::string::npos);
      const std::size_t digits = at + key.size(), stop = original.find_first_not_of("0123456789", digits);
      original.replace(digits, stop - digits, std::to_string(exact));
    }
    fs::remove(run / "run_summary.json");
    const auto result = run_spanlog("summary " + quoted(run));
    CHECK(result.status == 0);
    CHECK(contains(result.output, "had no run_summary.json"));
    check_same(parse_json(a, original), parse_json(b, reader_test::read_text(run / "run_summary.json")), "");
  }
}

TEST_CASE("check, diff and doctor on a pipeline run") {
  reader_test::TempDir dir;
  const fs::path run = record("SPANLOG_PIPELINE_BIN", "48 4", dir / "base");
  const Facts facts = facts_of(run);
  const auto durations = facts.durations();

  const std::string count_rule = "count(tool.call) == " + std::to_string(durations.at("tool.call").size());
  const std::string max_rule = "max(analyse) <= " + std::to_string(durations.at("analyse").back()) + "ns";
  auto result =
      run_spanlog("check " + quoted(run) + " --rule '" + count_rule + "' --rule '" + max_rule +
                  "' --rule 'dropped == 0' --rule 'open_spans == 0' --rule 'counter(tool_uses) == " +
                  std::to_string(facts.counters.at("tool_uses")) + "'");
  CHECK_MESSAGE(result.status == 0, result.output);
  result = run_spanlog("check " + quoted(run) + " --rule 'count(tool.call) < " +
                       std::to_string(durations.at("tool.call").size()) + "' --rule 'errors(analyse) == 0'");
  CHECK(result.status == 1);
  CHECK(contains(result.output, "FAIL  count(tool.call) <"));
  CHECK(contains(result.output, "2 of 2 rules failed"));  // the pipeline fails some items on purpose

  // Against itself nothing changed, even with no tolerance at all.
  result = run_spanlog("diff " + quoted(run) + " " + quoted(run) + " --fail-above 0%");
  CHECK_MESSAGE(result.status == 0, result.output);
  CHECK(contains(result.output, "no regression above 0%"));

  // A copy whose tool.call spans took 1% longer regresses above 0%.
  fs::create_directory(dir / "slower");
  std::set<std::string> tool_call_ids;  // those written as span_start + span_end
  for (const auto& [id, s] : facts.spans)
    if (s.name == "tool.call") tool_call_ids.insert("\"span_id\":" + std::to_string(id) + ",");
  std::string text = reader_test::read_text(run / "telemetry.jsonl"), slower;
  std::size_t at = 0, changed = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    std::string line = text.substr(at, end + 1 - at);
    at = end + 1;
    const std::size_t dur = line.find("\"dur_ns\":");
    const std::size_t id_at = line.find("\"span_id\":");
    const bool is_tool_call =
        line.find("\"name\":\"tool.call\"") != std::string::npos ||
        (line.find("\"event\":\"span_end\"") != std::string::npos && id_at != std::string::npos &&
         tool_call_ids.count(line.substr(id_at, line.find(',', id_at) + 1 - id_at)) > 0);
    if (line.find("\"event\":\"spans\"") != std::string::npos) {
      // Rows: ["tool.call",span_id,parent,ts,dur_ns,...] (the fields this recorder writes): dur_ns follows
      // the fourth comma of the row.
      const std::string row = "[\"tool.call\",";
      for (std::size_t at = line.find(row); at != std::string::npos; at = line.find(row, at + 1)) {
        std::size_t digits = at;
        for (int comma = 0; comma < 4; ++comma) digits = line.find(',', digits) + 1;
        const std::size_t stop = line.find_first_not_of("0123456789", digits);
        const std::uint64_t old_value = std::stoull(line.substr(digits, stop - digits));
        line.replace(digits, stop - digits, std::to_string(old_value + old_value / 100 + 1));
        ++changed;
      }
    } else if (is_tool_call && dur != std::string::npos) {
      const std::size_t digits = dur + 9, stop = line.find_first_not_of("0123456789", digits);
      const std::uint64_t old_value = std::stoull(line.substr(digits, stop - digits));
      line.replace(digits, stop - digits, std::to_string(old_value + old_value / 100 + 1));
      ++changed;
    }
    slower += line;
  }
  CHECK(changed == durations.at("tool.call").size());
  reader_test::write_text(dir / "slower" / "telemetry.jsonl", slower);
  result = run_spanlog("diff " + quoted(run) + " " + quoted(dir / "slower") + " --fail-above 0%");
  CHECK(result.status == 1);
  CHECK(contains(result.output, "REGRESSION"));
  CHECK(contains(result.output, "1 span regressed by more than 0%"));

  result = run_spanlog("doctor " + quoted(run));
  CHECK_MESSAGE(result.status == 0, result.output);
  CHECK(contains(result.output, "healthy"));
}

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t at = 0, end; at < text.size(); at = end + 1) {
    end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) lines.push_back(text.substr(at, end - at));
  }
  return lines;
}

// A run's log lines as its file has them, read here without the reader library.
struct FileLogLine {
  std::string level, msg;
  std::uint64_t span_id = 0;
};

std::vector<FileLogLine> log_lines_of(const fs::path& run) {
  std::vector<FileLogLine> lines;
  simdjson::dom::parser parser;
  for (const std::string& text : split_lines(reader_test::read_text(run / "telemetry.jsonl"))) {
    const simdjson::dom::element line = parser.parse(text);
    if (std::string_view(line["event"]) != "log") continue;
    FileLogLine log{std::string(std::string_view(line["level"])), std::string(std::string_view(line["msg"]))};
    if (line["span_id"].error() != simdjson::NO_SUCH_FIELD) log.span_id = std::uint64_t(line["span_id"]);
    lines.push_back(std::move(log));
  }
  return lines;
}

std::size_t count_level(const std::vector<FileLogLine>& lines, const std::string& level) {
  return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(), [&](const FileLogLine& l) { return l.level == level; }));
}

}  // namespace

TEST_CASE("log lines of a pipeline run: logs, summary and check agree with the file") {
  reader_test::TempDir dir;
  const fs::path run = record("SPANLOG_PIPELINE_BIN", "48 4", dir.path());
  const Facts facts = facts_of(run);
  const std::vector<FileLogLine> lines = log_lines_of(run);
  const std::size_t errors = count_level(lines, "error"), warnings = count_level(lines, "warn");
  REQUIRE(errors > 0);  // the pipeline fails the items whose size is a multiple of 13, and logs each
  CHECK(count_level(lines, "info") == 1);
  for (const FileLogLine& line : lines) {
    if (line.level == "info") continue;  // logged in the discovery phase
    REQUIRE(facts.spans.count(line.span_id) == 1);
    CHECK(facts.spans.at(line.span_id).name == "analyse");
  }

  // `logs --level error --json`: the error lines, each with the name of its span.
  auto result = run_spanlog("logs " + quoted(run) + " --level error --json");
  REQUIRE(result.status == 0);
  simdjson::dom::parser parser;
  std::size_t shown = 0;
  for (const std::string& text : split_lines(result.output)) {
    const simdjson::dom::element line = parser.parse(text);
    CHECK(std::string_view(line["level"]) == "error");
    CHECK(std::string_view(line["span"]) == "analyse");
    CHECK(contains(std::string(std::string_view(line["msg"])), "timed out after"));
    ++shown;
  }
  CHECK(shown == errors);

  // summary --json counts them per level.
  result = run_spanlog("summary --no-write --json " + quoted(run));
  REQUIRE(result.status == 0);
  const simdjson::dom::element logs = parse_json(parser, result.output)["logs"];
  CHECK(std::uint64_t(logs["error"]) == errors);
  CHECK(std::uint64_t(logs["warn"]) == warnings);
  CHECK(std::uint64_t(logs["info"]) == 1);

  // check: the rule holds at the file's count and fails one above it.
  result = run_spanlog("check " + quoted(run) + " --rule 'logs(error) == " + std::to_string(errors) + "'");
  CHECK_MESSAGE(result.status == 0, result.output);
  result =
      run_spanlog("check " + quoted(run) + " --rule 'logs(error) == " + std::to_string(errors + 1) + "'");
  CHECK(result.status == 1);
}
