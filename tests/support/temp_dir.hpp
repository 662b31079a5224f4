// Test support: the one way the tests make a temporary directory. TempDir is removed with its contents at the
// end of its scope; make_temp_dir's directories at the end of the test program (a run a test keeps a path to,
// which may be hundreds of MB). SPANLOG_KEEP_TEST_DIRS=1 keeps the latter for a look.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace test_support {

// A fresh, empty directory under the system's temporary directory, its name starting with `prefix`.
inline std::filesystem::path new_temp_dir(const std::string& prefix = "spanlog-test") {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  REQUIRE_MESSAGE(::mkdtemp(pattern.data()) != nullptr, "cannot make a directory like " << pattern);
  return pattern;
}

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "spanlog-test") : path_(new_temp_dir(prefix)) {}
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Directories made by make_temp_dir, removed when the test program ends. Only the process that made them
// removes them: forked children exit too.
class TempDirs {
 public:
  static TempDirs& instance() {
    static TempDirs dirs;
    return dirs;
  }
  void add(std::string dir) {
    std::lock_guard<std::mutex> lock(mutex_);
    dirs_.push_back(std::move(dir));
  }
  ~TempDirs() {
    if (::getpid() != owner_) return;
    const char* keep = std::getenv("SPANLOG_KEEP_TEST_DIRS");
    if (keep != nullptr && std::string(keep) == "1") return;
    for (const auto& dir : dirs_) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }

 private:
  TempDirs() = default;
  const pid_t owner_ = ::getpid();
  std::mutex mutex_;
  std::vector<std::string> dirs_;
};

inline std::string make_temp_dir() {
  const std::string dir = new_temp_dir().string();
  TempDirs::instance().add(dir);
  return dir;
}

}  // namespace test_support
