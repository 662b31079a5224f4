// spanlog as downstream projects get it, each built in a fresh directory from tests/consumer/ and run, its
// recorded run then read back: a meson subproject (dependency('spanlog') through meson.override_dependency);
// an installed copy (`meson install --destdir` of this build) found through its pkg-config file, through its
// CMake package and through CMake's pkg_check_modules; the build directory's uninstalled pkg-config file;
// CMake's add_subdirectory() of the source checkout, also with -DSPANLOG_ENABLED=OFF; and a plain compiler,
// with the single header and with include/.
//
// Set by meson: SPANLOG_TEST_ROOT (the source checkout), SPANLOG_TEST_BUILD_ROOT (this build, whose library
// is installed), SPANLOG_TEST_CXX (its compiler) and, in a sanitizer build, SPANLOG_TEST_SANITIZE_FLAGS: the
// installed libspanlog.a is instrumented then, so whatever links it needs the same -fsanitize= flags.
#include <doctest/doctest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/process.hpp"
#include "support/run_reader.hpp"

using test_support::env;
using test_support::run;
using test_support::try_run;

namespace {

const std::string warnings = "-Wall -Wextra -Wpedantic -Werror";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void check_consumer_run(const std::string& runs_dir) {
  const auto recorded = test_support::read_run(runs_dir + "/latest");
  CHECK(recorded.schema_errors == 0);
  REQUIRE(recorded.spans.size() == 1);
  CHECK(recorded.spans.begin()->second.name == "consumer.main");
  CHECK(recorded.counter_int_sums.at("consumer.runs") == 1);
}

// Runs a consumer program built in DIR with its runs going to DIR/runs, and checks what it recorded.
void run_and_check(const std::string& dir, const std::string& program) {
  run("cd " + dir + " && SPANLOG_DIR=" + dir + "/runs " + program);
  check_consumer_run(dir + "/runs");
}

// -fsanitize=... when this build's library is instrumented; empty otherwise (and when run by hand).
std::string sanitize_flags() {
  const char* flags = std::getenv("SPANLOG_TEST_SANITIZE_FLAGS");
  return flags == nullptr ? "" : flags;
}

// One of this build's options, as `meson introspect` tells it (prefix, libdir, includedir).
std::string build_option(const std::string& name) {
  const std::string json = run("meson introspect --buildoptions " + env("SPANLOG_TEST_BUILD_ROOT"));
  simdjson::dom::parser parser;
  simdjson::dom::array options;
  REQUIRE_MESSAGE(!parser.parse(json).get(options), json);
  for (simdjson::dom::element option : options) {
    std::string_view option_name, value;
    if (!option["name"].get(option_name) && option_name == name && !option["value"].get(value)) {
      return std::string(value);
    }
  }
  FAIL("no build option " << name);
  return {};
}

struct InstalledCopy {
  std::string prefix;  // DIR/root<prefix>
  std::string libdir;  // prefix/<libdir>
};

// This build, installed with --destdir DIR/root: its files are under DIR/root<prefix>.
InstalledCopy install_into(const std::string& dir) {
  run("meson install --no-rebuild -C " + env("SPANLOG_TEST_BUILD_ROOT") + " --destdir " + dir + "/root");
  InstalledCopy copy;
  copy.prefix = dir + "/root" + build_option("prefix");
  const std::string libdir = build_option("libdir");  // relative to the prefix, unless outside it
  copy.libdir = (libdir[0] == '/' ? dir + "/root" : copy.prefix + "/") + libdir;
  REQUIRE(std::filesystem::exists(copy.libdir + "/libspanlog.a"));
  return copy;
}

// Copies tests/consumer/consumer.cpp and tests/consumer/PROJECT/CMakeLists.txt into DIR, as a downstream
// project holds them.
void copy_cmake_project(const std::string& project, const std::string& dir) {
  const std::string consumer = env("SPANLOG_TEST_ROOT") + "/tests/consumer";
  run("cp " + consumer + "/" + project + "/CMakeLists.txt " + consumer + "/consumer.cpp " + dir);
}

// `cmake -G Ninja` with this build's compiler and the warnings as errors, plus SANITIZE (compile and link
// flags) and ARGS: the configure step's command, to run or try.
std::string cmake_configure(const std::string& source, const std::string& build, const std::string& args,
                            const std::string& sanitize = "") {
  // SPANLOG_TEST_CXX may start with a launcher (`ccache c++`): CMake takes that apart.
  const std::string cxx = env("SPANLOG_TEST_CXX");
  const std::size_t space = cxx.find_last_of(' ');
  std::string compiler = "-DCMAKE_CXX_COMPILER='" + cxx + "'";
  if (space != std::string::npos) {
    compiler = "-DCMAKE_CXX_COMPILER_LAUNCHER='" + cxx.substr(0, space) + "' -DCMAKE_CXX_COMPILER='" +
               cxx.substr(space + 1) + "'";
  }
  return "cmake -G Ninja -S " + source + " -B " + build + " " + compiler + " -DCMAKE_CXX_FLAGS='" + warnings +
         " " + sanitize + "' -DCMAKE_EXE_LINKER_FLAGS='" + sanitize + "' " + args;
}

// The compile and link commands of the consumer in a CMake build directory.
std::string ninja_commands(const std::string& build) {
  return run("ninja -C " + build + " -t commands consumer");
}

// The demangled names an archive defines.
std::string defined_symbols(const std::string& archive) {
  return run("nm -C --defined-only " + archive);
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
  const InstalledCopy copy = install_into(dir);
  const std::string pc = "PKG_CONFIG_PATH=" + copy.prefix +
                         "/share/pkgconfig pkg-config --define-variable=prefix=" + copy.prefix;
  CHECK(contains(run(pc + " --print-requires spanlog"), "fmt"));
  const std::string cxx = env("SPANLOG_TEST_CXX") + " -std=c++17 " + warnings + " " + sanitize_flags() + " " +
                          env("SPANLOG_TEST_ROOT") + "/tests/consumer/consumer.cpp -o " + dir;
  SUBCASE("pkg-config --cflags --libs") {
    const std::string flags = run(pc + " --cflags --libs spanlog");
    CHECK(contains(flags, "-I" + copy.prefix + "/include"));
    CHECK(contains(flags, "-L" + copy.libdir));
    CHECK(contains(flags, "-lspanlog"));
    CHECK(contains(flags, "-lfmt"));
    run(cxx + "/consumer $(" + pc + " --cflags --libs spanlog)");
    run_and_check(dir, "./consumer");
  }
  SUBCASE("pkg-config --static --cflags --libs") {
    const std::string flags = run(pc + " --static --cflags --libs spanlog");
    CHECK(contains(flags, "-I" + copy.prefix + "/include"));
    CHECK(contains(flags, "-lspanlog"));
    CHECK(contains(flags, "-lfmt"));
    run(cxx + "/consumer-static $(" + pc + " --static --cflags --libs spanlog)");
    run_and_check(dir, "./consumer-static");
  }
  run("rm -rf " + dir);
}

TEST_CASE("a build directory's uninstalled pkg-config file points into the checkout and the build") {
  const std::string dir = test_support::make_temp_dir();
  const std::string build = env("SPANLOG_TEST_BUILD_ROOT");
  // pkg-config prefers spanlog-uninstalled.pc to spanlog.pc in the same directory.
  const std::string pc = "PKG_CONFIG_PATH=" + build + "/meson-uninstalled pkg-config";
  const std::string flags = run(pc + " --cflags --libs spanlog");
  CHECK(contains(flags, "-I" + env("SPANLOG_TEST_ROOT") + "/include"));
  CHECK(contains(flags, "-L" + build + " "));
  CHECK(contains(flags, "-lspanlog"));
  CHECK(contains(flags, "-lfmt"));
  run(env("SPANLOG_TEST_CXX") + " -std=c++17 " + warnings + " " + sanitize_flags() + " " +
      env("SPANLOG_TEST_ROOT") + "/tests/consumer/consumer.cpp -o " + dir + "/consumer $(" + pc +
      " --cflags --libs spanlog)");
  run_and_check(dir, "./consumer");
  run("rm -rf " + dir);
}

TEST_CASE("a CMake project finds an installed spanlog with find_package") {
  const std::string dir = test_support::make_temp_dir();
  const InstalledCopy copy = install_into(dir);
  copy_cmake_project("cmake_find_package", dir);
  // The package was installed for <prefix> and is used from DIR/root<prefix>: its paths come from its place.
  const std::string prefix_path = "-DCMAKE_PREFIX_PATH=" + copy.prefix;
  SUBCASE("spanlog::spanlog is the installed library") {
    run(cmake_configure(dir, dir + "/build", prefix_path, sanitize_flags()));
    const std::string cache = test_support::read_file(dir + "/build/CMakeCache.txt");
    CHECK(contains(cache, "spanlog_DIR:PATH=" + copy.libdir + "/cmake/spanlog\n"));
    const std::string commands = ninja_commands(dir + "/build");
    CHECK(contains(commands, copy.prefix + "/include "));
    CHECK(contains(commands, copy.libdir + "/libspanlog.a"));
    run("ninja -C " + dir + "/build");
    run_and_check(dir, "./build/consumer");
  }
  SUBCASE("a version it is not compatible with is refused") {
    const auto refused =
        try_run(cmake_configure(dir, dir + "/build-0.2", prefix_path + " -DSPANLOG_WANTED_VERSION=0.2"));
    INFO(refused.output);
    CHECK(refused.status != 0);
    CHECK(contains(refused.output, "compatible with requested version \"0.2\""));
    CHECK(contains(refused.output, "version: 0.1.0"));
  }
  run("rm -rf " + dir);
}

TEST_CASE("a CMake project builds spanlog from a checkout with add_subdirectory") {
  const std::string dir = test_support::make_temp_dir();
  copy_cmake_project("cmake_subdirectory", dir);
  run("ln -s " + env("SPANLOG_TEST_ROOT") + " " + dir + "/spanlog");

  run(cmake_configure(dir, dir + "/build", ""));
  CHECK(contains(ninja_commands(dir + "/build"), "-I" + dir + "/spanlog/include "));
  run("ninja -C " + dir + "/build");
  CHECK(contains(defined_symbols(dir + "/build/spanlog/libspanlog.a"), "spanlog::"));
  run_and_check(dir, "./build/consumer");

  // SPANLOG_ENABLED=OFF: the program's macros and the library both compile to nothing, so nothing is
  // recorded where the same program built with spanlog on writes a run.
  run(cmake_configure(dir, dir + "/build-off", "-DSPANLOG_ENABLED=OFF"));
  CHECK(contains(ninja_commands(dir + "/build-off"), "-DSPANLOG_ENABLED=0 "));
  run("ninja -C " + dir + "/build-off");
  const std::string symbols = defined_symbols(dir + "/build-off/spanlog/libspanlog.a");
  INFO(symbols);
  CHECK(!contains(symbols, "spanlog::"));
  run("cd " + dir + " && SPANLOG_DIR=" + dir + "/runs-off ./build-off/consumer");
  CHECK(!std::filesystem::exists(dir + "/runs-off"));
  run("rm -rf " + dir);
}

TEST_CASE("a CMake project finds an installed spanlog with pkg_check_modules") {
  const std::string dir = test_support::make_temp_dir();
  const InstalledCopy copy = install_into(dir);
  copy_cmake_project("cmake_pkg_config", dir);
  // The .pc names <prefix>; PKG_CONFIG_ARGN (CMake 3.22) passes the staged one, as --define-variable above.
  run("PKG_CONFIG_PATH=" + copy.prefix + "/share/pkgconfig " +
      cmake_configure(dir, dir + "/build", "-DPKG_CONFIG_ARGN=--define-variable=prefix=" + copy.prefix,
                      sanitize_flags()));
  const std::string commands = ninja_commands(dir + "/build");
  CHECK(contains(commands, copy.prefix + "/include "));
  CHECK(contains(commands, copy.libdir + "/libspanlog.a"));
  CHECK(contains(commands, "libfmt"));
  run("ninja -C " + dir + "/build");
  run_and_check(dir, "./build/consumer");
  run("rm -rf " + dir);
}

TEST_CASE("a plain compiler builds a program that compiles the implementation in one of its files") {
  const std::string dir = test_support::make_temp_dir();
  const std::string root = env("SPANLOG_TEST_ROOT");
  const std::string cxx = env("SPANLOG_TEST_CXX") + " -std=c++17 " + warnings;
  SUBCASE("the single header") {
    const std::string sources = root + "/tests/consumer/single_header";
    const std::string include = " -I" + root + "/single_include ";
    // The file that only records holds none of the implementation: alone, it does not link.
    const auto alone = try_run(cxx + include + sources + "/main.cpp -o " + dir + "/alone -lfmt -pthread");
    INFO(alone.output);
    CHECK(alone.status != 0);
    CHECK(contains(alone.output, "undefined reference"));
    run(cxx + include + sources + "/main.cpp " + sources + "/implementation.cpp -o " + dir +
        "/consumer -lfmt -pthread");
    run_and_check(dir, "./consumer");
  }
  SUBCASE("include/, with src/spanlog.cpp as the implementation's file") {
    run(cxx + " -I" + root + "/include " + root + "/tests/consumer/consumer.cpp " + root +
        "/src/spanlog.cpp -o " + dir + "/consumer -lfmt -pthread");
    run_and_check(dir, "./consumer");
  }
  run("rm -rf " + dir);
}
