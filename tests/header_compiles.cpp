// The headers compile warning-free as C++17 and C++20 with g++ and clang++ (-Wall -Wextra -Wpedantic
// -Werror), enabled and disabled; every wrong use of the macros and of the macro-free API fails to compile in
// both modes, a right use compiles in both; a program without SPANLOG_IMPLEMENTATION, or with it in two
// files, fails to link with a message that names the fix; and an instrumented file depends on no fmt and no
// concurrentqueue header.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

using test_support::env;
using test_support::TempDir;
using test_support::try_run;

namespace {

std::string compile_command(const std::string& compiler, const std::string& std_flag,
                            const std::string& source, const std::string& extra = "") {
  return compiler + " -std=" + std_flag + " -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I" +
         env("SPANLOG_TEST_INCLUDE") + " " + extra + " " + source;
}

bool have(const std::string& compiler) {
  return try_run("command -v " + compiler).status == 0;
}

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = (dir / name).string();
  std::ofstream out(path);
  out << text;
  out.close();
  REQUIRE_MESSAGE(out.good(), "cannot write " << path);
  return path;
}

const char* const modes[] = {"-DSPANLOG_ENABLED=1", "-DSPANLOG_ENABLED=0"};

// The misuse table's statements are compiled in this function, each in a block of its own.
const char* const misuse_prelude = R"(#include <spanlog/spanlog.hpp>

#include <cstdint>
#include <string>
#include <string_view>

struct Point {
  int x;
};
enum class Color { red, green };

void use(const std::string& route, const char* name, const std::string& key, Point p, int n, double d,
         std::string_view view, spanlog::SpanContext ctx) {
  (void)route, (void)name, (void)key, (void)p, (void)n, (void)d, (void)view, (void)ctx;
)";

const char* const name_message = "spanlog names are string literals";
const char* const key_message = "each key is a string literal";
const char* const value_message = "spanlog attribute values are";
const char* const number_message = "take a number";
const char* const async_id_message = "spanlog async span ids are integers";

struct Misuse {
  const char* what;
  const char* wrong;    // must fail to compile, enabled and disabled
  const char* right;    // the same call written correctly: compiles in the same function, in both modes
  const char* message;  // in the compiler's output, enabled and disabled; nullptr: any error will do
};

const Misuse misuses[] = {
    // Names: text of static storage, which the site keeps a pointer to.
    {"span name from a std::string", "SPANLOG_SPAN(route);",
     R"(SPANLOG_SPAN("http.request", "route", route);)", name_message},
    {"span name from .c_str()", "SPANLOG_SPAN(route.c_str());",
     R"(SPANLOG_SPAN("http.request", "route", route);)", name_message},
    {"span name from a const char* variable", "SPANLOG_SPAN(name);", R"(SPANLOG_SPAN("task", "name", name);)",
     name_message},
    {"span name from a local char array", R"(char local[8] = "task"; SPANLOG_SPAN(local);)",
     R"(static const char fixed[] = "task"; SPANLOG_SPAN(fixed);)", nullptr},
    {"span name a wide string literal", R"(SPANLOG_SPAN(L"task");)", R"(SPANLOG_SPAN("task");)",
     name_message},
    {"child span name from a variable", "SPANLOG_SPAN_CHILD_OF(ctx, name);",
     R"(SPANLOG_SPAN_CHILD_OF(ctx, "task", "name", name);)", name_message},
    {"phase name from .c_str()", "SPANLOG_PHASE(route.c_str());", R"(SPANLOG_PHASE("discovery");)",
     name_message},
    {"statistics span name from a variable", "SPANLOG_SPAN_STATS(name);", R"(SPANLOG_SPAN_STATS("parse");)",
     name_message},
    {"statistics span with attributes", R"(SPANLOG_SPAN_STATS("parse", "n", n);)",
     R"(SPANLOG_SPAN_STATS("parse");)", nullptr},
    {"event name from a variable", R"(SPANLOG_EVENT(name, "n", n);)",
     R"(SPANLOG_EVENT("task.done", "name", name);)", name_message},
    {"event name from a local char array", R"(char local[8] = "done"; SPANLOG_EVENT(local);)",
     R"(SPANLOG_EVENT("done");)", nullptr},
    {"counter name from a variable", "SPANLOG_COUNTER_ADD(name, n);", R"(SPANLOG_COUNTER_ADD("items", n);)",
     name_message},
    {"counter name from a local char array", R"(char local[8] = "items"; SPANLOG_COUNTER_ADD(local, n);)",
     R"(SPANLOG_COUNTER_ADD("items", n);)", nullptr},
    {"gauge name from .c_str()", "SPANLOG_GAUGE_SET(route.c_str(), n);",
     R"(SPANLOG_GAUGE_SET("queue.depth", n);)", name_message},
    {"histogram name from a variable", "SPANLOG_HISTOGRAM(name, n);",
     R"(SPANLOG_HISTOGRAM("request.bytes", n);)", name_message},
    {"metric info name from a variable", R"(SPANLOG_METRIC_INFO(name, "By", "bytes read");)",
     R"(SPANLOG_METRIC_INFO("bytes.read", "By", "bytes read");)", name_message},
    // Metric values and labels: labels are "key", value pairs after the value, at most SPANLOG_MAX_LABELS.
    {"histogram of a floating-point value", R"(SPANLOG_HISTOGRAM("wait", d);)",
     R"(SPANLOG_HISTOGRAM("wait", n);)", "spanlog histograms take integers"},
    {"counter label key from a std::string", R"(SPANLOG_COUNTER_ADD("tokens", n, key, route);)",
     R"(SPANLOG_COUNTER_ADD("tokens", n, "route", route);)", "spanlog metric labels are"},
    {"gauge label key without its value", R"(SPANLOG_GAUGE_SET("depth", n, "queue");)",
     R"(SPANLOG_GAUGE_SET("depth", n, "queue", route);)", "spanlog metric labels are"},
    {"histogram label value of a struct type", R"(SPANLOG_HISTOGRAM("bytes", n, "point", p);)",
     R"(SPANLOG_HISTOGRAM("bytes", n, "x", p.x);)", value_message},
    {"more labels than SPANLOG_MAX_LABELS (8)",
     R"(SPANLOG_COUNTER_ADD("x", n, "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7, "h", 8, "i", 9);)",
     R"(SPANLOG_COUNTER_ADD("x", n, "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7, "h", 8);)",
     "too many labels"},
    {"async span name from a variable", "SPANLOG_ASYNC_BEGIN(name, 7);",
     R"(SPANLOG_ASYNC_BEGIN("request", 7, "name", name);)", name_message},
    // Attributes: "key", value pairs, keys literal, values integers, floating point, bool, enums or strings.
    {"attribute key from a const char* variable", R"(SPANLOG_SPAN("task", name, n);)",
     R"(SPANLOG_SPAN("task", "n", n);)", key_message},
    {"attribute key from a std::string", R"(SPANLOG_SPAN("task", key, n);)",
     R"(SPANLOG_SPAN("task", "n", n);)", key_message},
    {"attribute key without its value", R"(SPANLOG_SPAN("task", "n");)", R"(SPANLOG_SPAN("task", "n", n);)",
     key_message},
    {"attribute value of a struct type", R"(SPANLOG_SPAN("task", "point", p);)",
     R"(SPANLOG_SPAN("task", "point.x", p.x);)", value_message},
    {"attribute value a pointer to int", R"(SPANLOG_SPAN("task", "n", &n);)",
     R"(SPANLOG_SPAN("task", "n", n);)", value_message},
    {"more attributes than SPANLOG_MAX_ATTRS (16)",
     R"(SPANLOG_SPAN("task", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7, "h", 8, "i", 9, "j", 10,
                 "k", 11, "l", 12, "m", 13, "n", 14, "o", 15, "p", 16, "q", 17);)",
     R"(SPANLOG_SPAN("task", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7, "h", 8, "i", 9, "j", 10,
                 "k", 11, "l", 12, "m", 13, "n", 14, "o", 15, "p", 16);)",
     "too many attributes"},
    {"child span attribute value of a struct type", R"(SPANLOG_SPAN_CHILD_OF(ctx, "task", "point", p);)",
     R"(SPANLOG_SPAN_CHILD_OF(ctx, "task", "point.x", p.x);)", value_message},
    {"event attribute value of a struct type", R"(SPANLOG_EVENT("task.done", "point", p);)",
     R"(SPANLOG_EVENT("task.done", "point.x", p.x);)", value_message},
    {"SPANLOG_SPAN_SET with a std::string key", "SPANLOG_SPAN_SET(key, n);", R"(SPANLOG_SPAN_SET("n", n);)",
     key_message},
    {"SPANLOG_SPAN_SET with a const char* key", "SPANLOG_SPAN_SET(name, n);", R"(SPANLOG_SPAN_SET("n", n);)",
     key_message},
    {"SPANLOG_SPAN_SET with a key without its value", R"(SPANLOG_SPAN_SET("n");)",
     R"(SPANLOG_SPAN_SET("n", n);)", key_message},
    {"SPANLOG_SPAN_SET with a struct value", R"(SPANLOG_SPAN_SET("point", p);)",
     R"(SPANLOG_SPAN_SET("point.x", p.x);)", value_message},
    // Counters and gauges take numbers; spanlog::Counter takes integers only.
    {"counter delta a string literal", R"(SPANLOG_COUNTER_ADD("items", "one");)",
     R"(SPANLOG_COUNTER_ADD("items", 1);)", number_message},
    {"counter delta a std::string", R"(SPANLOG_COUNTER_ADD("items", route);)",
     R"(SPANLOG_COUNTER_ADD("items", route.size());)", number_message},
    {"counter delta of a struct type", R"(SPANLOG_COUNTER_ADD("items", p);)",
     R"(SPANLOG_COUNTER_ADD("items", p.x);)", number_message},
    {"counter delta an enum", R"(SPANLOG_COUNTER_ADD("items", Color::red);)",
     R"(SPANLOG_COUNTER_ADD("items", static_cast<int>(Color::red));)", number_message},
    {"gauge value a std::string", R"(SPANLOG_GAUGE_SET("queue.depth", route);)",
     R"(SPANLOG_GAUGE_SET("queue.depth", d);)", number_message},
    {"gauge value a string literal", R"(SPANLOG_GAUGE_SET("queue.depth", "3");)",
     R"(SPANLOG_GAUGE_SET("queue.depth", 3);)", number_message},
    {"spanlog::Counter::add with a double", R"(static spanlog::Counter c("bytes"); c.add(1.5);)",
     R"(static spanlog::Counter c("bytes"); c.add(2);)", "spanlog::Counter takes integers"},
    {"spanlog::Gauge::set with a string", R"(static spanlog::Gauge g("depth"); g.set("3");)",
     R"(static spanlog::Gauge g("depth"); g.set(3);)", nullptr},
    // Parents and async spans.
    {"SPANLOG_SPAN_CHILD_OF with an int as context", R"(SPANLOG_SPAN_CHILD_OF(n, "task");)",
     R"(SPANLOG_SPAN_CHILD_OF(ctx, "task");)", nullptr},
    {"SPANLOG_SPAN_CHILD_OF with the context's id", R"(SPANLOG_SPAN_CHILD_OF(ctx.span_id, "task");)",
     R"(SPANLOG_SPAN_CHILD_OF(spanlog::current_span(), "task");)", nullptr},
    {"async id a string", R"(SPANLOG_ASYNC_BEGIN("request", "7");)", R"(SPANLOG_ASYNC_BEGIN("request", 7);)",
     async_id_message},
    {"async id a double", R"(SPANLOG_ASYNC_BEGIN("request", d);)",
     R"(SPANLOG_ASYNC_BEGIN("request", static_cast<std::uint64_t>(d));)", async_id_message},
    {"async id an enum", R"(SPANLOG_ASYNC_BEGIN("request", Color::green);)",
     R"(SPANLOG_ASYNC_BEGIN("request", static_cast<int>(Color::green));)", async_id_message},
    {"async end id a double", "SPANLOG_ASYNC_END(d);", "SPANLOG_ASYNC_END(7);", async_id_message},
    {"async attribute value of a struct type", R"(SPANLOG_ASYNC_BEGIN("request", 7, "point", p);)",
     R"(SPANLOG_ASYNC_BEGIN("request", 7, "point.x", p.x);)", value_message},
    {"async end attribute key from a std::string", "SPANLOG_ASYNC_END(7, key, n);",
     R"(SPANLOG_ASYNC_END(7, "n", n);)", key_message},
    // Text.
    {"SPANLOG_SPAN_ERROR with an int", "SPANLOG_SPAN_ERROR(n);", R"(SPANLOG_SPAN_ERROR("timed out");)",
     nullptr},
    {"SPANLOG_THREAD_NAME with an int", "SPANLOG_THREAD_NAME(n);", R"(SPANLOG_THREAD_NAME("worker");)",
     nullptr},
    // The macro-free API.
    {"spanlog::ScopedSpan named by a variable", "spanlog::ScopedSpan s(name);",
     R"(spanlog::ScopedSpan s("task", "name", name);)", nullptr},
    {"spanlog::ScopedSpan with a std::string key", R"(spanlog::ScopedSpan s("task", key, n);)",
     R"(spanlog::ScopedSpan s("task", "n", n);)", key_message},
    {"spanlog::ScopedSpan attribute value of a struct type", R"(spanlog::ScopedSpan s("task", "point", p);)",
     R"(spanlog::ScopedSpan s("task", "point.x", p.x);)", value_message},
    {"spanlog::Phase named by a variable", "spanlog::Phase ph(name);", R"(spanlog::Phase ph("discovery");)",
     nullptr},
    {"spanlog::event named by a variable", "spanlog::event(name);",
     R"(spanlog::event("done", "name", name);)", nullptr},
    {"log with fewer arguments than holes", R"(SPANLOG_LOG_INFO("fetched {rows} from {table}", n);)",
     R"(SPANLOG_LOG_INFO("fetched {rows} from {table}", n, route);)", "one argument per hole"},
    {"log with more arguments than holes", R"(SPANLOG_LOG_WARN("retrying {url}", route, n);)",
     R"(SPANLOG_LOG_WARN("retrying {url}", route);)", "one argument per hole"},
    {"log with an unclosed hole", R"(SPANLOG_LOG_ERROR("giving up after {attempts attempts", n);)",
     R"(SPANLOG_LOG_ERROR("giving up after {attempts} attempts", n);)", "log formats are string literals"},
    {"log format from a std::string", R"(SPANLOG_LOG_INFO(route, n);)",
     R"(SPANLOG_LOG_INFO("{route}", route);)", "log formats are string literals"},
    {"log argument of a struct type", R"(SPANLOG_LOG_DEBUG("at {point}", p);)",
     R"(SPANLOG_LOG_DEBUG("at {x}", p.x);)", value_message},
    {"log at a run-time level that is not a LogLevel", R"(SPANLOG_LOG(view, "n {n}", n);)",
     R"(SPANLOG_LOG(spanlog::LogLevel::warn, "n {n}", n);)", nullptr},
};

std::string in_function(const std::string& statements) {
  return std::string(misuse_prelude) + statements + "}\n";
}

// Every macro and the macro-free API, used as documented, with attributes of each kind of value.
const char* const right_use = R"(#include <spanlog/spanlog.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {
enum class Stage { parse, check };
static const char fixed_name[] = "fixed";

int parse(const std::string& route, std::string_view body, const std::vector<int>& items) {
  SPANLOG_SPAN_FN();
  SPANLOG_SPAN("http.request", "route", route, "body", body, "items", items.size(), "ratio", 0.5, "ok", true,
               "stage", Stage::parse, "literal", "text", "chars", route.c_str());
  SPANLOG_SPAN(fixed_name);
  int sum = 0;
  for (int v : items) sum += v;
  SPANLOG_SPAN_SET("sum", sum, "mean", items.empty() ? 0.0 : double(sum) / double(items.size()));
  if (sum < 0) SPANLOG_SPAN_ERROR("negative sum");
  if (sum > 1000) SPANLOG_SPAN_ERROR(route);
  SPANLOG_EVENT("parsed", "sum", sum, "route", route);
  SPANLOG_EVENT("parsed.plain");
  SPANLOG_COUNTER_ADD("items", items.size());
  SPANLOG_COUNTER_ADD("bytes", static_cast<std::uint64_t>(body.size()));
  SPANLOG_COUNTER_ADD("seconds", 0.25);
  SPANLOG_GAUGE_SET("queue.depth", sum);
  SPANLOG_GAUGE_SET("load", 0.75);
  return sum;
}

void handle(std::uint64_t request, const std::string& route) {
  SPANLOG_PHASE("serving");
  SPANLOG_SPAN_STATS("serving.stats");
  SPANLOG_THREAD_NAME("worker");
  SPANLOG_THREAD_NAME(route);
  SPANLOG_LOG_INFO("handled {request} on {route} in {ms:.2f} ms", request, route, 0.5);
  SPANLOG_LOG(spanlog::LogLevel::debug, "{} {{braces}}", true);
  SPANLOG_ASYNC_BEGIN("request", request, "route", route);
  const spanlog::SpanContext parent = spanlog::current_span();
  {
    SPANLOG_SPAN_CHILD_OF(parent, "request.work", "request", request);
    SPANLOG_SPAN_CHILD_OF(parent, "request.more");
    parse(route, "{}", {1, 2, 3});
  }
  SPANLOG_ASYNC_END(request, "status", 200);
  SPANLOG_ASYNC_END(request + 1);
}

void objects(int n) {
  static spanlog::Counter parsed("parsed");
  static spanlog::Gauge depth("depth");
  static spanlog::StatsSite hot("objects.hot");
  spanlog::StatsSpan hot_span(hot);
  if (!hot_span.recorded()) n += 0;
  spanlog::ScopedSpan span("objects", "n", n);
  span.set("done", true);
  if (!span.recorded()) span.set_error("not recorded");
  spanlog::ScopedSpan child(span.context(), "objects.child");
  spanlog::Phase phase("objects.phase");
  parsed.add(n);
  depth.set(n * 1.5);
  spanlog::event("objects.event", "n", n);
  spanlog::set_span_attrs("n", n);
  spanlog::async_begin("objects.async", 3, "n", n);
  spanlog::async_end(3);
  spanlog::set_thread_name("objects");
}
}  // namespace

int main() {
  handle(1, "/users");
  objects(2);
  spanlog::flush();
  spanlog::stop();
  return spanlog::running() ? 1 : 0;
}
)";

}  // namespace

TEST_CASE("every header compiles cleanly with g++ and clang++, C++17 and C++20, enabled and disabled") {
  const std::string example = env("SPANLOG_TEST_EXAMPLES") + "/pipeline.cpp";
  for (const std::string compiler : {"g++", "clang++"}) {
    REQUIRE_MESSAGE(have(compiler), compiler << " is installed by scripts/install-deps.sh");
    for (const std::string std_flag : {"c++17", "c++20"}) {
      for (const std::string enabled : modes) {
        const auto r = try_run(compile_command(compiler, std_flag, example, enabled));
        INFO(compiler << " " << std_flag << " " << enabled << "\n" << r.output);
        CHECK(r.status == 0);
      }
    }
  }
}

// Each header is self-contained: a file that includes it and nothing else compiles. The control, a header
// that uses std::string without <string>, shows that the same command fails where a header is not.
TEST_CASE("each header compiles on its own, included first and alone") {
  namespace fs = std::filesystem;
  REQUIRE(have("g++"));
  TempDir dir;
  auto compiles_alone = [&](const std::string& include_dir, const std::string& header) {
    const std::string source = write_file(dir, "alone.cpp", "#include <" + header + ">\n");
    const auto r = try_run("g++ -std=c++17 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I" + include_dir +
                           " " + source);
    INFO(header << "\n" << r.output);
    return r.status == 0;
  };

  fs::create_directories(dir / "control");
  write_file(dir, "control/needs_string.hpp", "#pragma once\ninline std::string name() { return \"x\"; }\n");
  CHECK_FALSE(compiles_alone((dir / "control").string(), "needs_string.hpp"));

  const fs::path include = env("SPANLOG_TEST_INCLUDE");
  std::vector<std::string> headers;
  for (const auto& entry : fs::recursive_directory_iterator(include / "spanlog"))
    if (entry.path().extension() == ".hpp") headers.push_back(fs::relative(entry.path(), include).string());
  std::sort(headers.begin(), headers.end());
  CHECK(headers.size() >= 20);
  for (const std::string& header : headers) CHECK_MESSAGE(compiles_alone(include.string(), header), header);
}

TEST_CASE("a right use of every macro and of the macro-free API compiles cleanly, enabled and disabled") {
  REQUIRE(have("g++"));
  TempDir dir;
  const std::string source = write_file(dir, "right_use.cpp", right_use);
  for (const std::string enabled : modes) {
    const auto r = try_run(compile_command("g++", "c++17", source, enabled));
    INFO(enabled << "\n" << r.output);
    CHECK(r.status == 0);
  }
}

TEST_CASE("wrong uses fail to compile in both modes, each beside its right use, which compiles") {
  REQUIRE(have("g++"));
  TempDir dir;
  const std::string include = " -I" + env("SPANLOG_TEST_INCLUDE") + " ";

  // The right forms, together in the function the wrong ones are compiled in: a wrong form that fails does so
  // because of the one statement that differs.
  std::string rights;
  for (const Misuse& m : misuses) rights += std::string("  {\n    ") + m.right + "\n  }\n";
  const std::string rights_source = write_file(dir, "rights.cpp", in_function(rights));
  for (const std::string enabled : modes) {
    const auto r = try_run(compile_command("g++", "c++17", rights_source, enabled));
    INFO("the right forms, " << enabled << "\n" << r.output);
    REQUIRE(r.status == 0);
  }

  // No -Werror here: a wrong use must be an error, not a warning.
  int number = 0;
  for (const Misuse& m : misuses) {
    const std::string source = write_file(dir, "wrong" + std::to_string(++number) + ".cpp",
                                          in_function(std::string("  {\n    ") + m.wrong + "\n  }\n"));
    for (const std::string enabled : modes) {
      const auto r = try_run("g++ -std=c++17 -fsyntax-only" + include + enabled + " " + source);
      INFO(std::string(m.what) << ", " << enabled << ": " << std::string(m.wrong) << "\n" << r.output);
      CHECK_MESSAGE(r.status != 0, "compiled");
      CHECK(r.output.find("error") != std::string::npos);
      if (m.message)
        CHECK_MESSAGE(r.output.find(m.message) != std::string::npos, "expected: " << std::string(m.message));
    }
  }
}

TEST_CASE("the link errors name the fix: no SPANLOG_IMPLEMENTATION, or one in two files") {
  REQUIRE(have("g++"));
  TempDir dir;
  const std::string work =
      "#include <spanlog/spanlog.hpp>\n"
      "int work(int n) {\n"
      "  SPANLOG_SPAN(\"work\", \"n\", n);\n"
      "  SPANLOG_COUNTER_ADD(\"items\", n);\n"
      "  return n * 2;\n"
      "}\n";
  const std::string main_text =
      "#include <spanlog/spanlog.hpp>\n"
      "int work(int n);\n"
      "int main() {\n"
      "  const int r = work(21);\n"
      "  spanlog::stop();\n"
      "  return r == 42 ? 0 : 1;\n"
      "}\n";
  const std::string define = "#define SPANLOG_IMPLEMENTATION\n";
  const std::string cxx = "g++ -std=c++17 -I" + env("SPANLOG_TEST_INCLUDE");
  const std::string d = dir.path().string() + "/";
  struct Unit {
    std::string name, text;
  };
  for (const Unit& u : {Unit{"work", work}, Unit{"main", main_text}, Unit{"work_impl", define + work},
                        Unit{"main_impl", define + main_text}}) {
    const std::string source = write_file(dir, u.name + ".cpp", u.text);
    const auto r = try_run(cxx + " -c " + source + " -o " + d + u.name + ".o");
    INFO(u.name << "\n" << r.output);
    REQUIRE(r.status == 0);
  }
  const auto link = [&](const std::string& a, const std::string& b) {
    return try_run("g++ " + d + a + ".o " + d + b + ".o -o " + d + "program -lfmt -pthread");
  };

  {
    const auto none = link("work", "main");
    INFO("neither file defines it:\n" << none.output);
    CHECK(none.status != 0);
    CHECK(none.output.find("undefined reference") != std::string::npos);
    CHECK(none.output.find("needs_SPANLOG_IMPLEMENTATION_in_exactly_one_file") != std::string::npos);
  }
  {
    const auto both = link("work_impl", "main_impl");
    INFO("both files define it:\n" << both.output);
    CHECK(both.status != 0);
    CHECK(both.output.find("multiple definition") != std::string::npos);
    CHECK(both.output.find("needs_SPANLOG_IMPLEMENTATION_in_exactly_one_file") != std::string::npos);
  }

  // The fix works: exactly one file, either one.
  for (const auto& files : {std::vector<std::string>{"work_impl", "main"}, {"work", "main_impl"}}) {
    const auto one = link(files[0], files[1]);
    INFO(files[0] << " and " << files[1] << ":\n" << one.output);
    REQUIRE(one.status == 0);
    const auto ran = try_run("cd " + d + " && SPANLOG=off ./program");
    INFO("ran:\n" << ran.output);
    CHECK(ran.status == 0);
  }
}

TEST_CASE("an instrumented file depends on no fmt and no concurrentqueue") {
  REQUIRE(have("g++"));
  TempDir dir;
  const std::string source = write_file(dir, "instrumented.cpp",
                                        "#include <spanlog/spanlog.hpp>\n"
                                        "#include <spanlog/options.hpp>\n"
                                        "#include <string>\n"
                                        "int handle(const std::string& route, int n) {\n"
                                        "  SPANLOG_PHASE(\"serving\");\n"
                                        "  SPANLOG_SPAN(\"http.request\", \"route\", route, \"n\", n);\n"
                                        "  SPANLOG_COUNTER_ADD(\"requests\", 1);\n"
                                        "  SPANLOG_COUNTER_ADD(\"seconds\", 0.5);\n"
                                        "  SPANLOG_GAUGE_SET(\"queue.depth\", n);\n"
                                        "  SPANLOG_EVENT(\"handled\", \"status\", 200);\n"
                                        "  return n + 1;\n"
                                        "}\n");
  const std::string cxx = "g++ -std=c++17 -M -I" + env("SPANLOG_TEST_INCLUDE") + " ";
  for (const std::string flags : {"", "-DSPANLOG_ENABLED=1"}) {
    const auto r = try_run(cxx + flags + " " + source);
    INFO(flags << "\n" << r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("spanlog/spanlog.hpp") != std::string::npos);
    CHECK(r.output.find("fmt/") == std::string::npos);
    CHECK(r.output.find("concurrentqueue") == std::string::npos);
  }
  // The check can fail: the implementation's file does depend on both.
  const auto impl = try_run(cxx + "-DSPANLOG_IMPLEMENTATION " + source);
  INFO(impl.output);
  REQUIRE(impl.status == 0);
  CHECK(impl.output.find("fmt/") != std::string::npos);
  CHECK(impl.output.find("concurrentqueue") != std::string::npos);
}

TEST_CASE("the single header is what tools/amalgamate.py makes of include/") {
  const auto r = try_run("python3 " + env("SPANLOG_TEST_ROOT") + "/tools/amalgamate.py --check");
  INFO(r.output);
  CHECK(r.status == 0);
}
