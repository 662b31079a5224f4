#include "reader/file_follower.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace spanlog::reader {

FileFollower::FileFollower(std::filesystem::path file) : file_(std::move(file)) {}

FileFollower::~FileFollower() {
  close_file();
}

void FileFollower::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  offset_ = 0;
  partial_.clear();
}

FileFollower::Update FileFollower::poll(std::size_t max_bytes) {
  Update update;
  struct stat at_path {};
  if (::stat(file_.c_str(), &at_path) == 0) {
    if (fd_ >= 0 && (at_path.st_dev != device_ || at_path.st_ino != inode_)) {
      close_file();  // rotated: another file now has the name
      update.reset = true;
    }
    if (fd_ < 0) {
      fd_ = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) return update;
      struct stat opened {};
      ::fstat(fd_, &opened);
      device_ = opened.st_dev;
      inode_ = opened.st_ino;
    }
  }
  if (fd_ < 0) return update;  // not there yet, or removed before we ever opened it

  struct stat now {};
  if (::fstat(fd_, &now) == 0 && static_cast<std::uint64_t>(now.st_size) < offset_) {
    offset_ = 0;  // truncated: read again from the start
    partial_.clear();
    update.reset = true;
  }
  std::string text = std::move(partial_);
  partial_.clear();
  const std::size_t had = text.size();
  text.resize(had + max_bytes);
  std::size_t got = 0;
  while (got < max_bytes) {
    const ssize_t n =
        ::pread(fd_, text.data() + had + got, max_bytes - got, static_cast<off_t>(offset_ + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  offset_ += got;
  text.resize(had + got);
  const std::size_t last_newline = text.rfind('\n');
  if (last_newline == std::string::npos) {
    partial_ = std::move(text);
  } else {
    partial_ = text.substr(last_newline + 1);
    text.resize(last_newline + 1);
    update.lines = std::move(text);
  }
  return update;
}

}  // namespace spanlog::reader
