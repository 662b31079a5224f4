// spanlog as downstream projects get it: a meson subproject (dependency('spanlog') through
// meson.override_dependency), and an installed copy found through its pkg-config file.
#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "command.hpp"
#include "run_reader.hpp"

using test_support::env;
using test_support::run;

namespace {

void check_consumer_run(const std::string& runs_dir) {
  const auto recorded = test_support::read_run(runs_dir + "/latest");
  CHECK(recorded.schema_errors == 0);
  REQUIRE(recorded.spans.size() == 1);
  CHECK(recorded.spans.begin()->second.name == "consumer.main");
  CHECK(recorded.counter_int_sums.at("consumer.runs") == 1);
}

}  // namespace

TEST_CASE("a meson project uses spanlog as a subproject") {
  const std::string dir = test_support::make_temp_dir();
  const std::string root = env("SPANLOG_TEST_ROOT");
  run("cp " + root + "/tests/consumer/meson.build " + root + "/tests/consumer/consumer.cpp " + dir);
  run("mkdir -p " + dir + "/subprojects && ln -s " + root + " " + dir + "/subprojects/spanlog");
  run("cd " + dir + " && meson setup build >/dev/null && ninja -C build >/dev/null");
  run("cd " + dir + " && SPANLOG_DIR=" + dir + "/runs ./build/consumer");
  check_consumer_run(dir + "/runs");
  run("rm -rf " + dir);
}

TEST_CASE("an installed spanlog is found through pkg-config") {
  const std::string dir = test_support::make_temp_dir();
  run("meson install --no-rebuild -C " + env("SPANLOG_TEST_BUILD_ROOT") + " --destdir " + dir +
      "/root >/dev/null");
  const std::string prefix = dir + "/root/usr/local";
  const std::string pc =
      "PKG_CONFIG_PATH=" + prefix + "/share/pkgconfig pkg-config --define-variable=prefix=" + prefix;
  const std::string flags = run(pc + " --cflags --libs spanlog");
  CHECK(flags.find(prefix + "/include") != std::string::npos);
  run("c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror " + env("SPANLOG_TEST_ROOT") +
      "/tests/consumer/consumer.cpp -o " + dir + "/consumer $(" + pc + " --cflags --libs spanlog)");
  run("cd " + dir + " && SPANLOG_DIR=" + dir + "/runs ./consumer");
  check_consumer_run(dir + "/runs");
  run("rm -rf " + dir);
}
