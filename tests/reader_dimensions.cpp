// Spans by their attributes, as a service's owner reads them: `summary --by A,B`, `--sum`, errors of a span's
// subtree, and `check` rules with attribute filters. The figures are worked out by hand from tests/data/http,
// a server's run: ten `http.request` spans with `http.route` and `http.status`, children that fail (a direct
// child, a grandchild, an async child whose line comes after its parent's, a child of a request begun and
// ended apart), over a wall time of 2 s.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/usage_error.hpp"
#include "reader/aggregator.hpp"
#include "reader/attr_selector.hpp"
#include "reader/rules.hpp"
#include "reader/summary_json.hpp"
#include "support/reader_support.hpp"

using namespace spanlog;
using reader_test::capture;
using reader_test::contains;
using reader_test::data;

namespace {

constexpr std::uint64_t kMs = 1'000'000;

std::filesystem::path http_run() {
  return data("http/telemetry.jsonl");
}

reader::Summary summarize_http(const std::string& by, std::vector<std::string> sums = {}) {
  reader::AggregateOptions options;
  options.group_by = by;
  options.sum_keys = std::move(sums);
  return reader::summarize({http_run()}, options, {});
}

// A percentile comes from a histogram bucket: within 1% of the exact nearest-rank value.
bool near(std::uint64_t actual, std::uint64_t exact) {
  return std::fabs(static_cast<double>(actual) - static_cast<double>(exact)) <=
         0.01 * static_cast<double>(exact);
}

// The cells of the table row that starts with `start` (after the start, split at runs of spaces).
std::vector<std::string> row_cells(const std::string& text, const std::string& start) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(start, 0) != 0) continue;
    std::istringstream words(line.substr(start.size()));
    std::vector<std::string> cells;
    for (std::string word; words >> word;) {
      // "1.00 ms" is one cell: a unit joins the number before it.
      if (!cells.empty() && (word == "ns" || word == "µs" || word == "ms" || word == "s"))
        cells.back() += " " + word;
      else
        cells.push_back(word);
    }
    return cells;
  }
  return {};
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

}  // namespace

TEST_CASE("--by two attributes: a row per combination, with counts, rates, both error rates, percentiles") {
  const reader::Summary s = summarize_http("http.route,http.status");
  REQUIRE(s.group_keys == std::vector<std::string>{"http.route", "http.status"});
  REQUIRE(s.spans.size() == 6);
  // The children (validate, schema, db.query, audit) have neither attribute.
  CHECK(s.ungrouped_spans == 8);

  const reader::SpanStats& search_ok = s.spans.at("\"GET /search\", 200");
  CHECK(search_ok.durations.count() == 3);
  CHECK(search_ok.durations.sum() == 60 * kMs);
  CHECK(near(search_ok.durations.percentile(0.5), 20 * kMs));
  CHECK(near(search_ok.durations.percentile(0.9), 30 * kMs));
  CHECK(search_ok.errors == 0);
  CHECK(search_ok.subtree_errors == 1);  // request 2: its validate child failed
  REQUIRE(search_ok.group.size() == 2);
  CHECK(search_ok.group[0].string == "GET /search");
  CHECK(search_ok.group[1].number.as_integer == 200);

  const reader::SpanStats& search_failed = s.spans.at("\"GET /search\", 500");
  CHECK(search_failed.durations.count() == 1);
  CHECK(search_failed.errors == 1);
  CHECK(search_failed.subtree_errors == 1);

  // Request 10 recorded no status: its row has the route only.
  const reader::SpanStats& search_no_status = s.spans.at("\"GET /search\", -");
  CHECK(search_no_status.durations.count() == 1);
  REQUIRE(search_no_status.group.size() == 1);
  CHECK(search_no_status.group[0].key == "http.route");

  // Request 5's grandchild failed; request 7 (span_start, span_end on the worker) has a failed child and its
  // status set at the end.
  const reader::SpanStats& orders_created = s.spans.at("\"POST /orders\", 201");
  CHECK(orders_created.durations.count() == 2);
  CHECK(orders_created.durations.sum() == 110 * kMs);
  CHECK(orders_created.errors == 0);
  CHECK(orders_created.subtree_errors == 2);

  const reader::SpanStats& orders_rejected = s.spans.at("\"POST /orders\", 400");
  CHECK(orders_rejected.errors == 1);
  CHECK(orders_rejected.subtree_errors == 1);

  // Request 9's async child failed, and its line comes after the request's.
  const reader::SpanStats& health = s.spans.at("\"GET /health\", 200");
  CHECK(health.durations.count() == 2);
  CHECK(health.errors == 0);
  CHECK(health.subtree_errors == 1);
}

TEST_CASE("--by one attribute: a route's subtree errors count its children's") {
  const reader::Summary s = summarize_http("http.route");
  REQUIRE(s.spans.size() == 3);
  const reader::SpanStats& search = s.spans.at("GET /search");
  CHECK(search.durations.count() == 5);
  CHECK(near(search.durations.percentile(0.5), 20 * kMs));  // of 10, 15, 20, 30, 40 ms
  CHECK(near(search.durations.percentile(0.9), 40 * kMs));
  CHECK(near(search.durations.percentile(0.99), 40 * kMs));
  CHECK(search.errors == 1);
  CHECK(search.subtree_errors == 2);
  CHECK(s.spans.at("POST /orders").errors == 1);
  CHECK(s.spans.at("POST /orders").subtree_errors == 3);
  CHECK(s.spans.at("GET /health").subtree_errors == 1);
}

TEST_CASE("per span name, subtree errors too: a failed grandchild reaches every ancestor once") {
  const reader::Summary s = reader::summarize({http_run()}, {}, {});
  CHECK(s.spans.at("http.request").errors == 2);
  // Requests 3 and 6 failed; 2, 5, 7 and 9 ended well over a failed child, grandchild or async child.
  CHECK(s.spans.at("http.request").subtree_errors == 6);
  // validate 105 ended well, its child `schema` did not.
  CHECK(s.spans.at("validate").errors == 3);
  CHECK(s.spans.at("validate").subtree_errors == 4);
  CHECK(s.spans.at("db.query").subtree_errors == 0);
}

TEST_CASE("--sum adds up only the attributes it names, never without it") {
  const reader::Summary summed = summarize_http("http.route", {"bytes"});
  CHECK(summed.spans.at("GET /search").attr_sums.at("bytes") == 1000);
  CHECK(summed.spans.at("POST /orders").attr_sums.count("bytes") == 0);
  // http.status is numeric, and never added up unless named.
  CHECK(summed.spans.at("GET /search").attr_sums.count("http.status") == 0);

  const reader::Summary plain = summarize_http("http.route");
  CHECK(plain.spans.at("GET /search").attr_sums.empty());

  // Per span name too.
  reader::AggregateOptions by_name;
  by_name.sum_keys = {"bytes"};
  CHECK(reader::summarize({http_run()}, by_name, {}).spans.at("http.request").attr_sums.at("bytes") == 1000);
}

TEST_CASE("summary --by: the table's columns, the rows' cells, and the metric tables once") {
  cli::SummaryOptions options;
  options.runs = {data("http").string()};
  options.group_by = "http.route,http.status";
  options.write_run_summary = false;
  const auto result = capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  REQUIRE(result.status == 0);
  const std::vector<std::string> header = row_cells(result.out, "http.route");
  REQUIRE(header.size() >= 4);
  CHECK(header[0] == "http.status");
  CHECK(header[1] == "count");
  CHECK(header[2] == "rate/s");
  CHECK(contains(result.out, "error %  subtree error %"));
  CHECK_FALSE(contains(result.out, "Σ"));
  // count 2, 1 a second; 1 ms and 2 ms: p50 1 ms, p99 2 ms; no error of its own, one of its subtree's.
  const std::vector<std::string> health = row_cells(result.out, "GET /health");
  REQUIRE(health.size() == 14);
  CHECK(health[0] == "200");
  CHECK(health[1] == "2");
  CHECK(health[2] == "1");
  CHECK(health[9] == "2.00 ms");  // p99
  CHECK(health[11] == "0");       // errors
  CHECK(health[12] == "0%");
  CHECK(health[13] == "50%");
  CHECK(
      contains(result.out, "(8 spans without any of the attributes 'http.route', 'http.status' not shown)"));
  CHECK(occurrences(result.out, "\ncounter ") == 1);
  CHECK(occurrences(result.out, "\ngauge ") == 1);
  CHECK(occurrences(result.out, "\ntid ") == 1);
}

TEST_CASE("summary --by --sum: the named sum as a column; a --by attribute cannot be summed") {
  cli::SummaryOptions options;
  options.runs = {data("http").string()};
  options.group_by = "http.route";
  options.sum = "bytes";
  options.write_run_summary = false;
  auto result = capture([&](const cli::Console& c) { return cli::summary_command(options, c); });
  REQUIRE(result.status == 0);
  CHECK(contains(result.out, "Σ bytes"));
  CHECK(row_cells(result.out, "GET /search").back() == "1000");
  CHECK(row_cells(result.out, "GET /health").back() == "-");

  options.sum = "bytes,http.route";
  CHECK_THROWS_WITH_AS(capture([&](const cli::Console& c) { return cli::summary_command(options, c); }),
                       doctest::Contains("'http.route' is a --by attribute"), cli::UsageError);
}

TEST_CASE("summary --by --json: each row's values as an object, its rates and both error rates") {
  const std::string json = reader::summary_json(summarize_http("http.route,http.status"));
  CHECK(contains(json, "\"group_keys\":[\"http.route\",\"http.status\"]"));
  const std::size_t row = json.find("{\"name\":\"\\\"GET /health\\\", 200\"");
  REQUIRE(row != std::string::npos);
  const std::string health = json.substr(row, json.find('}', json.find("\"group\"", row)) - row + 1);
  CHECK(contains(health, "\"count\":2,"));
  CHECK(contains(health, "\"rate_per_s\":1,"));
  CHECK(contains(health, "\"error_rate\":0,"));
  CHECK(contains(health, "\"subtree_errors\":1,"));
  CHECK(contains(health, "\"subtree_error_rate\":0.5,"));
  CHECK(contains(health, "\"group\":{\"http.route\":\"GET /health\",\"http.status\":200}"));
}

TEST_CASE("attribute selectors: strings, numbers, booleans; matched with the value as recorded") {
  const reader::ParsedSelector parsed = reader::parse_attr_selector(
      R"r({http.route="GET /a(b)", http.status=500,cached=true , ratio=0.5}) < 1)r");
  CHECK(parsed.length == 65);
  // Sorted by key.
  const reader::OwnedAttrs& filters = parsed.selector.filters;
  REQUIRE(filters.size() == 4);
  CHECK(filters[0].key == "cached");
  CHECK(filters[0].boolean);
  CHECK(filters[1].string == "GET /a(b)");
  CHECK(filters[2].type == reader::AttrValue::Type::number);
  CHECK(filters[2].number.as_integer == 500);
  CHECK(filters[3].number.as_double == 0.5);
  CHECK(parsed.selector.text() == R"r({cached=true,http.route="GET /a(b)",http.status=500,ratio=0.5})r");
  // The order written does not matter.
  CHECK(reader::parse_attr_selector(R"r({b=1,a="x"})r").selector.text() ==
        reader::parse_attr_selector(R"r({a="x", b=1})r").selector.text());

  auto attr = [](std::string key, reader::AttrValue::Type type, double number, std::string text) {
    reader::OwnedAttr a;
    a.key = std::move(key);
    a.type = type;
    a.number = reader::Number{number, static_cast<std::int64_t>(number), number == std::floor(number)};
    a.string = std::move(text);
    a.boolean = true;
    return a;
  };
  using Type = reader::AttrValue::Type;
  const reader::AttrSelector status = reader::parse_attr_selector("{http.status=500}").selector;
  CHECK(status.matches({attr("http.status", Type::number, 500, "")}));
  reader::OwnedAttr as_double = attr("http.status", Type::number, 500, "");
  as_double.number.is_integer = false;
  CHECK(status.matches({as_double}));
  CHECK_FALSE(status.matches({attr("http.status", Type::string, 0, "500")}));
  CHECK_FALSE(status.matches({attr("http.status", Type::number, 404, "")}));
  CHECK_FALSE(status.matches({attr("other", Type::number, 500, "")}));
  const reader::AttrSelector quoted = reader::parse_attr_selector(R"r({m="say \"hi\" \\ bye"})r").selector;
  CHECK(quoted.filters[0].string == R"r(say "hi" \ bye)r");
  CHECK(quoted.text() == R"r({m="say \"hi\" \\ bye"})r");
}

TEST_CASE("check rules with attribute filters, for every span function") {
  cli::CheckOptions options;
  options.run = data("http").string();
  options.rules = {R"r(count(http.request{http.route="GET /search"}) == 5)r",
                   R"r(errors(http.request{http.route="GET /search",http.status=500}) == 1)r",
                   R"r(p99(http.request{http.route="GET /search"}) < 50ms)r",
                   R"r(p50(http.request{ http.route = "GET /search" }) > 19ms)r",
                   R"r(subtree_error_rate(http.request{http.route="GET /health"}) == 50%)r",
                   R"r(subtree_errors(http.request{http.route="POST /orders"}) == 3)r",
                   R"r(count(http.request{http.status="200"}) == 0)r",
                   R"r(count(*{http.status=201}) == 2)r",
                   R"r(total(http.request{http.route="POST /orders",http.status=201}) == 110ms)r",
                   R"r(count(http.request{http.route="GET /a)"}) == 0)r"};
  auto result = capture([&](const cli::Console& c) { return cli::check_command(options, c); });
  CHECK(result.status == 0);
  CHECK(contains(
      result.out,
      R"r(ok    p99(http.request{http.route="GET /search"}) < 50ms  (p99(http.request{http.route="GET /search"}) = 40.0 ms))r"));

  options.rules = {R"r(p99(http.request{http.route="GET /search"}) < 35ms)r",
                   R"r(error_rate(http.request{http.route="POST /orders"}) < 30%)r",
                   R"r(p50(http.request{http.route="GET /nothing"}) < 1s)r", "count(http.request) == 10"};
  result = capture([&](const cli::Console& c) { return cli::check_command(options, c); });
  CHECK(result.status == 1);
  CHECK(contains(result.out, R"r((error_rate(http.request{http.route="POST /orders"}) = 33.3% (1 of 3)))r"));
  CHECK(contains(result.out, R"r((no spans match 'http.request{http.route="GET /nothing"}'))r"));
  CHECK(contains(result.out, "3 of 4 rules failed"));
}

TEST_CASE("a rule whose filters do not parse says what and where") {
  auto message = [](const std::string& rule) -> std::string {
    try {
      reader::parse_rule(rule);
    } catch (const reader::RuleSyntaxError& e) {
      return e.what();
    }
    return "parsed";
  };
  CHECK(contains(message("p99(x{a=}) < 1"),
                 "column 9: expected a quoted string, a number, true or false after 'a='"));
  CHECK(contains(message(R"r(p99(x{a=GET}) < 1)r"), "expected a quoted string, a number, true or false"));
  CHECK(contains(message(R"r(p99(x{a="b") < 1)r"), "expected ',' or '}', got ')'"));
  CHECK(contains(message(R"r(p99(x{a="b) < 1)r"), "a quoted value without its closing '\"'"));
  CHECK(contains(message(R"r(p99(x{a="b",a="c"}) < 1)r"), "attribute 'a' filtered twice"));
  CHECK(contains(message(R"r(p99(x{}) < 1)r"), "expected an attribute filter"));
  CHECK(contains(message(R"r(p99(x{a="b"} < 1)r"), "expected ')' after the attribute filters"));
  CHECK(contains(message(R"r(p99(x{="b"}) < 1)r"), "expected an attribute name, got '='"));
  // Metric series take label filters (reader_summary's metrics cases); events and log levels take none.
  CHECK(contains(message(R"r(event(x{model="y"}) > 0)r"), "'event' takes none"));
  CHECK(contains(message(R"r(logs(error{model="y"}) > 0)r"), "'logs' takes none"));
  CHECK(contains(message(R"r(p99(x{a=1.5e400}) < 1)r"), "expected a quoted string, a number"));

  cli::CheckOptions options;
  options.run = data("http").string();
  options.rules = {R"r(p99(http.request{http.route=}) < 5ms)r"};
  CHECK_THROWS_AS(capture([&](const cli::Console& c) { return cli::check_command(options, c); }),
                  cli::UsageError);
}

TEST_CASE("span selections: a late child corrects them as it does rows; one given twice counts once") {
  const reader::SpanSelection health{"http.request",
                                     reader::parse_attr_selector(R"r({http.route="GET /health"})r").selector};
  reader::AggregateOptions options;
  options.selections = {health, health, reader::SpanSelection{"nothing", health.selector}};
  const reader::Summary s = reader::summarize({http_run()}, options, {});
  const reader::SpanStats& picked = s.selected_spans.at(health.key());
  CHECK(picked.durations.count() == 2);
  // Request 9's async child on the worker, whose line comes after the request's: it failed, and it covers
  // 1 ms of the request's 2 (900 to 902 ms) from another thread.
  CHECK(picked.subtree_errors == 1);
  CHECK(picked.parallel_ns == 1 * kMs);
  // Looked for, and nothing matched.
  CHECK(s.selected_spans.at(R"r(nothing{http.route="GET /health"})r").durations.count() == 0);
}
