// SPANLOG_ENABLED=0 leaves nothing behind: compiles tests/disabled/*.cpp with the compiler that built this
// test and inspects the objects with nm and objdump.
#include <doctest/doctest.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "support/process.hpp"

namespace {

using test_support::env;
using test_support::run;

struct Compiled {
  std::string object;
  std::string deps;
};

Compiled compile(const std::string& source, const std::string& std_flag,
                 const std::string& switches = "-DSPANLOG_ENABLED=0") {
  const std::string cxx = env("SPANLOG_TEST_CXX");
  const std::string obj = "/tmp/spanlog-disabled-" + std::to_string(::getpid()) + "-" +
                          source.substr(source.find_last_of('/') + 1) + std_flag +
                          std::to_string(std::hash<std::string>{}(switches)) + ".o";
  const std::string flags = " -std=" + std_flag + " -O2 -Wall -Wextra -Wpedantic -Werror " + switches +
                            " -I" + env("SPANLOG_TEST_INCLUDE") + " ";
  run(cxx + flags + "-c " + source + " -o " + obj);
  return {obj, run(cxx + flags + "-M " + source)};
}

std::string disassembly_of_checksum(const std::string& object) {
  const std::string text = run("objdump -d --no-show-raw-insn " + object);
  const auto begin = text.find("<_Z8checksumPKci>:");
  REQUIRE(begin != std::string::npos);
  const auto end = text.find("\n\n", begin);
  return text.substr(begin, end - begin);
}

}  // namespace

TEST_CASE("disabled build: no spanlog symbol, no fmt or concurrentqueue, the same machine code") {
  const std::string dir = env("SPANLOG_TEST_SOURCES");
  for (const std::string std_flag : {"c++17", "c++20"}) {
    CAPTURE(std_flag);
    const Compiled instrumented = compile(dir + "/instrumented.cpp", std_flag);
    const Compiled plain = compile(dir + "/plain.cpp", std_flag);
    const std::string symbols = run("nm -C " + instrumented.object);
    CHECK_MESSAGE(symbols.find("spanlog") == std::string::npos, symbols);
    CHECK(symbols.find("checksum") != std::string::npos);
    CHECK(run("nm " + instrumented.object) == run("nm " + plain.object));
    CHECK(instrumented.deps.find("fmt/") == std::string::npos);
    CHECK(instrumented.deps.find("concurrentqueue") == std::string::npos);
    CHECK(disassembly_of_checksum(instrumented.object) == disassembly_of_checksum(plain.object));
    ::remove(instrumented.object.c_str());
    ::remove(plain.object.c_str());
  }
}

TEST_CASE("the inspection can fail: an enabled build does leave spanlog code behind") {
  const std::string cxx = env("SPANLOG_TEST_CXX");
  const std::string obj = "/tmp/spanlog-enabled-" + std::to_string(::getpid()) + ".o";
  run(cxx + " -std=c++17 -O2 -DSPANLOG_ENABLED=1 -I" + env("SPANLOG_TEST_INCLUDE") + " -c " +
      env("SPANLOG_TEST_SOURCES") + "/instrumented.cpp -o " + obj);
  CHECK(run("nm -C " + obj).find("spanlog") != std::string::npos);
  ::remove(obj.c_str());
}

TEST_CASE("log lines below SPANLOG_LOG_LEVEL_MIN leave the same machine code as no logging, enabled") {
  const std::string dir = env("SPANLOG_TEST_SOURCES");
  for (const std::string std_flag : {"c++17", "c++20"}) {
    CAPTURE(std_flag);
    const Compiled floored = compile(dir + "/logged.cpp", std_flag, "-DSPANLOG_LOG_LEVEL_MIN=5");
    const Compiled plain = compile(dir + "/plain.cpp", std_flag, "");
    CHECK(disassembly_of_checksum(floored.object) == disassembly_of_checksum(plain.object));
    CHECK(floored.deps.find("fmt/") == std::string::npos);
    // The control: with every level compiled in, the same file does record.
    const Compiled logging = compile(dir + "/logged.cpp", std_flag, "-DSPANLOG_LOG_LEVEL_MIN=0");
    CHECK(disassembly_of_checksum(logging.object) != disassembly_of_checksum(plain.object));
    for (const Compiled* c : {&floored, &plain, &logging}) ::remove(c->object.c_str());
  }
}
