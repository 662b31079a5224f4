// Follows a telemetry.jsonl that is being written: hands out the complete lines appended since the last poll,
// and notices when the file is truncated (shorter than what was read) or replaced by another file at the same
// path (rotated), in which case it starts again from the new file's beginning and says so.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace spanlog::reader {

class FileFollower {
 public:
  explicit FileFollower(std::filesystem::path file);
  ~FileFollower();
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  struct Update {
    bool reset = false;  // truncated or rotated: what was handed out before no longer describes the file
    std::string lines;   // complete lines, each ending with '\n'; a line still being written is kept back
  };
  // At most about `max_bytes` of new text per call; an absent file gives nothing (yet).
  Update poll(std::size_t max_bytes = std::size_t{1} << 20);
  bool is_open() const { return fd_ >= 0; }
  // The start of a line whose newline has not been written yet: what a view that stops now still has to
  // read (and report as torn, if it stays so).
  std::string_view unfinished_line() const { return partial_; }

 private:
  void close_file();

  std::filesystem::path file_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::uint64_t offset_ = 0;
  std::string partial_;  // the start of a line whose newline has not been written yet
};

}  // namespace spanlog::reader
