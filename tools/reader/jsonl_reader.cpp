// Fast path: simdjson's iterate_many over all the complete lines of a chunk, checking that each document is
// exactly one line. Anything unexpected (a syntax error, two objects on a line, one object over two lines)
// sends the rest of the chunk to the slow path, which parses line by line and names the bad line precisely.
#include "reader/jsonl_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace spanlog::reader {
namespace {

constexpr std::size_t kMaxExamples = 5;
// iterate_many parses in batches of this size; a larger line goes to the slow path.
constexpr std::size_t kBatchBytes = std::size_t{1} << 20;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

JsonlReader::JsonlReader(std::string display_name, RecordSink& sink, ReadOptions options)
    : name_(std::move(display_name)), sink_(sink), options_(options) {
  capacity_ = std::max<std::size_t>(options_.chunk_bytes, 4096);
  buffer_ = std::make_unique<char[]>(capacity_ + simdjson::SIMDJSON_PADDING);
}

JsonlReader::~JsonlReader() = default;

// The buffer is full of one unfinished line: grow up to the longest line accepted, then give up on the line.
void JsonlReader::make_room() {
  if (capacity_ < options_.max_line_bytes) {
    const std::size_t grown = std::min(capacity_ * 2, options_.max_line_bytes);
    auto bigger = std::make_unique<char[]>(grown + simdjson::SIMDJSON_PADDING);
    std::memcpy(bigger.get(), buffer_.get(), used_);
    buffer_ = std::move(bigger);
    capacity_ = grown;
    return;
  }
  ++line_;
  ++report_.lines;
  used_ = 0;
  discarding_long_line_ = true;
  malformed_line(line_, fmt::format("line longer than {} bytes", options_.max_line_bytes));
}

std::size_t JsonlReader::read_available(int fd) {
  std::size_t total = 0;
  for (;;) {
    if (used_ == capacity_) make_room();
    const ssize_t got = ::read(fd, buffer_.get() + used_, capacity_ - used_);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw ReadError(fmt::format("{}: read failed: {}", name_, std::strerror(errno)));
    }
    if (got == 0) return total;
    total += static_cast<std::size_t>(got);
    report_.bytes += static_cast<std::size_t>(got);
    used_ += static_cast<std::size_t>(got);
    process_complete_lines();
  }
}

void JsonlReader::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (used_ == capacity_) make_room();
    const std::size_t take = std::min(bytes.size(), capacity_ - used_);
    std::memcpy(buffer_.get() + used_, bytes.data(), take);
    used_ += take;
    report_.bytes += take;
    bytes.remove_prefix(take);
    process_complete_lines();
  }
}

void JsonlReader::process_complete_lines() {
  std::size_t start = 0;
  if (discarding_long_line_) {
    const void* newline = std::memchr(buffer_.get(), '\n', used_);
    if (newline == nullptr) {
      used_ = 0;
      return;
    }
    start = static_cast<std::size_t>(static_cast<const char*>(newline) - buffer_.get()) + 1;
    discarding_long_line_ = false;
  }
  const char* data = buffer_.get();
  const void* last_newline = ::memrchr(data + start, '\n', used_ - start);
  if (last_newline == nullptr) {
    std::memmove(buffer_.get(), data + start, used_ - start);
    used_ -= start;
    return;
  }
  const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(last_newline) - data) + 1;
  // The region [start, end) holds whole lines; bytes after it stay readable, which serves as simdjson
  // padding.
  const std::size_t stopped = process_with_stream(data, end, start);
  if (stopped < end) process_line_by_line(data, end, stopped);
  std::memmove(buffer_.get(), data + end, used_ - end);
  used_ -= end;
}

// Advances `cursor` over blank lines up to `end`, counting them; false at the first non-blank byte.
bool JsonlReader::skip_blank(const char* data, std::size_t& cursor, std::size_t end) {
  for (std::size_t i = cursor; i < end; ++i) {
    if (data[i] == '\n') {
      ++line_;
      ++report_.lines;
      cursor = i + 1;
    } else if (!is_blank(data[i])) {
      return false;
    }
  }
  return true;
}

// Returns where it stopped: `size` when every line was handled, else the start of the first line to redo.
std::size_t JsonlReader::process_with_stream(const char* data, std::size_t size, std::size_t from) {
  simdjson::ondemand::document_stream stream;
  if (stream_parser_.iterate_many(data + from, size - from, kBatchBytes).get(stream) != simdjson::SUCCESS)
    return from;
  std::size_t cursor = from;
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    simdjson::ondemand::document_reference document;
    if ((*it).get(document) != simdjson::SUCCESS) return cursor;
    const std::size_t doc_start = from + it.current_index();
    if (doc_start < cursor || !skip_blank(data, cursor, doc_start)) return cursor;
    const std::size_t doc_end = doc_start + it.source().size();
    const char* newline = static_cast<const char*>(std::memchr(data + doc_start, '\n', size - doc_start));
    const std::size_t line_end = static_cast<std::size_t>(newline - data);
    if (line_end < doc_end) return cursor;  // the document runs over more than one line
    if (!std::all_of(data + doc_end, newline, is_blank)) return cursor;  // more text after it on the line
    const ParseOutcome outcome = records_.parse(document, false, line_ + 1, sink_);
    if (outcome.status == ParseOutcome::Status::malformed) return cursor;  // the slow path words the error
    ++line_;
    ++report_.lines;
    handle(outcome);
    cursor = line_end + 1;
  }
  if (!skip_blank(data, cursor, size)) return cursor;
  return size;
}

ParseOutcome JsonlReader::parse_alone(const char* line, std::size_t length, std::size_t readable) {
  simdjson::ondemand::document document;
  const auto error = line_parser_.iterate(simdjson::padded_string_view(line, length, readable)).get(document);
  if (error != simdjson::SUCCESS)
    return {ParseOutcome::Status::malformed,
            fmt::format("invalid JSON ({})", simdjson::error_message(error))};
  return records_.parse(simdjson::ondemand::document_reference(document), true, line_, sink_);
}

void JsonlReader::process_line_by_line(const char* data, std::size_t size, std::size_t from) {
  std::size_t pos = from;
  while (pos < size) {
    const char* newline = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
    const std::size_t line_end = static_cast<std::size_t>(newline - data);
    ++line_;
    ++report_.lines;
    if (!std::all_of(data + pos, newline, is_blank)) {
      // The padding simdjson needs is the rest of the buffer, which always has SIMDJSON_PADDING spare bytes.
      const std::size_t readable = capacity_ + simdjson::SIMDJSON_PADDING - pos;
      handle(parse_alone(data + pos, line_end - pos, readable));
    }
    pos = line_end + 1;
  }
}

void JsonlReader::handle(const ParseOutcome& outcome) {
  switch (outcome.status) {
    case ParseOutcome::Status::ok:
      ++report_.records;
      return;
    case ParseOutcome::Status::malformed:
      malformed_line(line_, outcome.message);
      return;
    case ParseOutcome::Status::schema_too_new:
      throw ReadError(fmt::format("{}:{}: {}", name_, line_, outcome.message));
  }
}

void JsonlReader::malformed_line(std::uint64_t line, const std::string& message) {
  std::string full = fmt::format("{}:{}: {}", name_, line, message);
  if (!options_.skip_bad) throw ReadError(full);
  ++report_.skipped_lines;
  if (report_.skipped_examples.size() < kMaxExamples) report_.skipped_examples.push_back(std::move(full));
}

void JsonlReader::finish() {
  if (discarding_long_line_ || used_ == 0) return;
  const char* data = buffer_.get();
  if (std::all_of(data, data + used_, is_blank)) {
    used_ = 0;
    return;
  }
  ++line_;
  ++report_.lines;
  const ParseOutcome outcome = parse_alone(data, used_, capacity_ + simdjson::SIMDJSON_PADDING);
  if (outcome.status == ParseOutcome::Status::malformed) {
    // The flusher only appends whole lines, so an unparseable end without a newline is a write cut short.
    report_.torn_last_line = fmt::format("{}:{}: the last line is incomplete ({} bytes, no newline); ignored",
                                         name_, line_, used_);
  } else {
    handle(outcome);
  }
  used_ = 0;
}

ReadReport read_file(const std::filesystem::path& file, RecordSink& sink, ReadOptions options) {
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw ReadError(fmt::format("{}: cannot open: {}", file.string(), std::strerror(errno)));
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  JsonlReader reader(file.string(), sink, options);
  reader.read_available(fd.get());
  reader.finish();
  return reader.report();
}

}  // namespace spanlog::reader
