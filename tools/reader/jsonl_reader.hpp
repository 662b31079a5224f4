// Streams a telemetry.jsonl file through simdjson in bounded chunks: memory stays the same whatever the file
// size, and every malformed line is reported with its file, line number and field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <simdjson.h>

#include "reader/record_parser.hpp"
#include "reader/records.hpp"

namespace spanlog::reader {

// A line that stops the reading: malformed (without skip_bad), a newer schema, or an I/O failure.
class ReadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReadOptions {
  bool skip_bad = false;  // count malformed lines instead of stopping at the first
  // Bytes read per system call; the parser's working memory is a small multiple of it. 4 MB keeps the reader
  // well under its 100 MB budget while amortising simdjson's per-batch start-up.
  std::size_t chunk_bytes = std::size_t{4} << 20;
  // A longer line is reported as malformed instead of growing the buffer without bound.
  std::size_t max_line_bytes = std::size_t{64} << 20;
};

struct ReadReport {
  std::uint64_t lines = 0;                    // lines seen, including blank and bad ones
  std::uint64_t records = 0;                  // lines that were well-formed records (of any kind)
  std::uint64_t skipped_lines = 0;            // malformed lines skipped under skip_bad
  std::vector<std::string> skipped_examples;  // the first few skip messages, for the user
  std::optional<std::string> torn_last_line;  // warning: an incomplete last line was ignored
  std::uint64_t bytes = 0;
};

class JsonlReader {
 public:
  // `display_name` prefixes messages ("run/telemetry.jsonl:17: ...").
  JsonlReader(std::string display_name, RecordSink& sink, ReadOptions options = {});
  ~JsonlReader();
  JsonlReader(const JsonlReader&) = delete;
  JsonlReader& operator=(const JsonlReader&) = delete;

  // Reads `fd` until end of file and handles every complete line; an incomplete last line is kept, since
  // a file still being written may complete it later. Returns the number of bytes read.
  std::size_t read_available(int fd);
  // Hands bytes from memory to the reader, as read_available would from a file.
  void feed(std::string_view bytes);
  // The input is over: an incomplete last line is a whole record missing its newline, or a torn line
  // (warning).
  void finish();

  const ReadReport& report() const { return report_; }
  const std::string& display_name() const { return name_; }

 private:
  void make_room();
  void process_complete_lines();
  std::size_t process_with_stream(const char* data, std::size_t size, std::size_t from);
  void process_line_by_line(const char* data, std::size_t size, std::size_t from);
  bool skip_blank(const char* data, std::size_t& cursor, std::size_t end);
  ParseOutcome parse_alone(const char* line, std::size_t length, std::size_t readable);
  void handle(const ParseOutcome& outcome);
  void malformed_line(std::uint64_t line, const std::string& message);

  std::string name_;
  RecordSink& sink_;
  ReadOptions options_;
  ReadReport report_;
  std::uint64_t line_ = 0;  // number of the last line handled
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;  // usable bytes, not counting simdjson's padding
  std::size_t used_ = 0;
  bool discarding_long_line_ = false;
  simdjson::ondemand::parser stream_parser_;
  simdjson::ondemand::parser line_parser_;
  RecordParser records_;
};

// Reads a whole file (bounded memory) into the sink; throws ReadError.
ReadReport read_file(const std::filesystem::path& file, RecordSink& sink, ReadOptions options = {});

}  // namespace spanlog::reader
