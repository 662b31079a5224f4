// A run's file read while it is written, into a sink that starts afresh when the file is truncated or
// replaced at its path: what `tail -f`, `top` and `logs -f` follow. Only complete lines are read until
// finish(), which reads the line still being written as the input's last.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <utility>

#include "reader/file_follower.hpp"
#include "reader/jsonl_reader.hpp"

namespace spanlog::reader {

template <class Sink>
class FollowedFile {
 public:
  using MakeSink = std::function<std::unique_ptr<Sink>()>;

  FollowedFile(std::filesystem::path file, MakeSink make_sink, ReadOptions options)
      : file_(std::move(file)), follower_(file_), make_sink_(std::move(make_sink)), options_(options) {
    restart();
  }

  // Reads everything appended since the last call, calling `after_piece` after each piece read (about 1 MB),
  // so that a sink's output need not wait for the whole file. True when the file was truncated or replaced
  // meanwhile: the sink then holds only what the file holds now. Throws ReadError as reading does.
  bool read_appended(const std::function<void()>& after_piece = {}) {
    bool reset = false;
    for (;;) {
      FileFollower::Update update = follower_.poll();
      if (update.reset) {
        restart();
        reset = true;
      }
      if (update.lines.empty()) return reset;
      reader_->feed(update.lines);
      if (after_piece) after_piece();
    }
  }
  // The reading is over: a line still without its newline is read as the last one (a record, or torn).
  void finish() {
    reader_->feed(follower_.unfinished_line());
    reader_->finish();
  }

  Sink& sink() { return *sink_; }
  bool is_open() const { return follower_.is_open(); }
  const ReadReport& report() const { return reader_->report(); }
  const std::filesystem::path& file() const { return file_; }

 private:
  void restart() {
    reader_.reset();  // it refers to the sink: gone first
    sink_ = make_sink_();
    reader_ = std::make_unique<JsonlReader>(file_.string(), *sink_, options_);
  }

  std::filesystem::path file_;
  FileFollower follower_;
  MakeSink make_sink_;
  ReadOptions options_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<JsonlReader> reader_;
};

}  // namespace spanlog::reader
