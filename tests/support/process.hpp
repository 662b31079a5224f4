// Test support: the one way the tests run a process. A shell command's exit code (128 + the signal for one
// killed by a signal, as the shell says it) and everything it printed, stdout and stderr together; the
// `spanlog` program under test by its arguments; the settings meson passes in the environment.
#pragma once
#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <string>

namespace test_support {

struct CommandResult {
  int status;  // the exit code: 0 success, 1 a finding, 2 bad input or usage; 128 + N: killed by signal N
  std::string output;  // stdout and stderr
};

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  REQUIRE_MESSAGE(v != nullptr, name << " is set by meson");
  return v;
}

inline CommandResult try_run(const std::string& command) {
  CommandResult r{-1, {}};
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  if (WIFEXITED(status))
    r.status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.status = 128 + WTERMSIG(status);
  return r;
}

// Runs a command that must succeed.
inline std::string run(const std::string& command) {
  CommandResult r = try_run(command);
  INFO(command << "\n" << r.output);
  REQUIRE(r.status == 0);
  return r.output;
}

// The reader program (SPANLOG_BIN) with these arguments, quoted as the caller wrote them.
inline CommandResult run_spanlog(const std::string& arguments) {
  return try_run(env("SPANLOG_BIN") + " " + arguments);
}

}  // namespace test_support
