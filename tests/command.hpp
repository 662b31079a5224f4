// Test support: runs a shell command and returns what it printed; reads the settings meson passes.
#pragma once
#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>

#include <string>

namespace test_support {

struct command_result {
  int status;
  std::string output;  // stdout and stderr
};

inline command_result try_run(const std::string& command) {
  command_result r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

// Runs a command that must succeed.
inline std::string run(const std::string& command) {
  command_result r = try_run(command);
  INFO(command << "\n" << r.output);
  REQUIRE(r.status == 0);
  return r.output;
}

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, name << " is set by meson");
  return v;
}

}  // namespace test_support
