// Test support for the reader tests: fixture paths, temporary directories, and commands run with their
// output captured in memory.
#pragma once

#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "cli/console.hpp"
#include "support/temp_dir.hpp"

namespace reader_test {

inline std::filesystem::path data(const std::string& name) {
  const char* dir = std::getenv("SPANLOG_TEST_DATA");
  REQUIRE_MESSAGE(dir != nullptr, "SPANLOG_TEST_DATA must name tests/data");
  return std::filesystem::path(dir) / name;
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

using test_support::TempDir;

struct Captured {
  int status = -1;
  std::string out, err;
};

// Runs a command function with stdout and stderr captured, without colour.
inline Captured capture(const std::function<int(const spanlog::cli::Console&)>& command) {
  char* out_text = nullptr;
  char* err_text = nullptr;
  std::size_t out_size = 0, err_size = 0;
  FILE* out = ::open_memstream(&out_text, &out_size);
  FILE* err = ::open_memstream(&err_text, &err_size);
  spanlog::cli::Console console;
  console.out = out;
  console.err = err;
  console.colour = false;
  // Closed and freed also when the command throws (a usage error the test expects).
  struct StreamsCloser {
    FILE* out;
    FILE* err;
    char** out_text;
    char** err_text;
    ~StreamsCloser() {
      std::fclose(out);
      std::fclose(err);
      std::free(*out_text);
      std::free(*err_text);
    }
  };
  Captured captured;
  {
    StreamsCloser closer{out, err, &out_text, &err_text};
    captured.status = command(console);
    std::fflush(out);
    std::fflush(err);
    captured.out.assign(out_text, out_size);
    captured.err.assign(err_text, err_size);
  }
  return captured;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace reader_test
