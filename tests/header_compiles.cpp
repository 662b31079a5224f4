// The headers compile warning-free as C++17 and C++20 with g++ and clang++ (-Wall -Wextra -Wpedantic
// -Werror), enabled and disabled, and a name that is not a string literal is refused at compile time.
#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "command.hpp"

using test_support::env;
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

}  // namespace

TEST_CASE("every header compiles cleanly with g++ and clang++, C++17 and C++20, enabled and disabled") {
  const std::string example = env("SPANLOG_TEST_EXAMPLES") + "/pipeline.cpp";
  for (const std::string compiler : {"g++", "clang++"}) {
    REQUIRE_MESSAGE(have(compiler), compiler << " is installed by scripts/install-deps.sh");
    for (const std::string std_flag : {"c++17", "c++20"}) {
      for (const std::string enabled : {"-DSPANLOG_ENABLED=1", "-DSPANLOG_ENABLED=0"}) {
        const auto r = try_run(compile_command(compiler, std_flag, example, enabled));
        INFO(compiler << " " << std_flag << " " << enabled << "\n" << r.output);
        CHECK(r.status == 0);
      }
    }
  }
}

TEST_CASE("a span name that is not a string literal does not compile, enabled or disabled") {
  const std::string source = "/tmp/spanlog-nonliteral-" + std::to_string(::getpid()) + ".cpp";
  const std::string text =
      "#include <spanlog/spanlog.hpp>\n"
      "void f(const char* name) { SPANLOG_SPAN(name); }\n";
  REQUIRE(try_run("printf '%s' '" + text + "' > " + source).status == 0);
  for (const std::string enabled : {"-DSPANLOG_ENABLED=1", "-DSPANLOG_ENABLED=0"}) {
    const auto r = try_run(compile_command("g++", "c++17", source, enabled));
    INFO(enabled << "\n" << r.output);
    CHECK(r.status != 0);
  }
  ::remove(source.c_str());
}

TEST_CASE("the single header is what tools/amalgamate.py makes of include/") {
  const auto r = try_run("python3 " + env("SPANLOG_TEST_ROOT") + "/tools/amalgamate.py --check");
  INFO(r.output);
  CHECK(r.status == 0);
}
