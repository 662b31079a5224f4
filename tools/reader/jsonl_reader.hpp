// Streams a telemetry.jsonl file through simdjson in bounded chunks: memory stays the same whatever the file
// size, and every malformed line is reported with its file, line number and field. A large file is parsed on
// two threads; the sink still receives every record in file order, from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
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
  // Bytes read per system call, and parsed and handed to the sink at a time. 128 KB keeps a chunk's text and
  // records in the L2 cache between parsing and aggregating; the working memory is a small multiple of it per
  // thread.
  std::size_t chunk_bytes = std::size_t{128} << 10;
  // A longer line is reported as malformed instead of growing the buffer without bound.
  std::size_t max_line_bytes = std::size_t{64} << 20;
  // Threads that parse a file (read_file): 0 chooses, from the file's size and the machine (and
  // $SPANLOG_READER_THREADS); 1 reads on the calling thread only.
  unsigned threads = 0;
};

struct ReadReport {
  std::uint64_t lines = 0;                    // lines seen, including blank and bad ones
  std::uint64_t records = 0;                  // lines that were well-formed records (of any kind)
  std::uint64_t skipped_lines = 0;            // malformed lines skipped under skip_bad
  std::vector<std::string> skipped_examples;  // the first few skip messages, for the user
  std::optional<std::string> torn_last_line;  // warning: an incomplete last line was ignored
  std::uint64_t bytes = 0;
};

// Parses runs of whole lines into a ParsedChunk: simdjson's DOM parse_many over many lines at once (its stage
// 2 runs on the best kernel the CPU has, chosen at run time), and line by line from wherever that stops,
// which also words the errors. One per thread.
class LineParser {
 public:
  explicit LineParser(bool collect_attrs = true);
  // `data[0, size)` holds whole lines, the last one ending with '\n', followed by at least
  // simdjson::SIMDJSON_PADDING bytes of the same buffer, which are changed while simdjson reads and then put
  // back.
  void parse_lines(char* data, std::size_t size, ParsedChunk& out);
  // The input's last line, which has no newline: a record, or a torn write. Padded as for parse_lines.
  void parse_last_line(char* data, std::size_t size, ParsedChunk& out);

 private:
  std::size_t parse_stream(char* data, std::size_t size, std::size_t from, ParsedChunk& out);
  std::size_t parse_one_line(char* data, std::size_t size, std::size_t from, ParsedChunk& out);
  void parse_alone(char* line, std::size_t length, bool last, ParsedChunk& out);
  void release_if_large(std::size_t length);

  simdjson::dom::parser stream_parser_;
  simdjson::dom::parser line_parser_;
  RecordParser records_;
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

  // Reads a whole input, then finishes: `source` fills a buffer and returns how many bytes it wrote (0 at the
  // end). Chunks are parsed on `threads` threads; the sink gets the records in file order, one call at a
  // time, on whichever of them hands them out. Not after feed() or read_available().
  using Source = std::function<std::size_t(char* into, std::size_t capacity)>;
  void read_all(const Source& source, unsigned threads);

  const ReadReport& report() const { return report_; }
  const std::string& display_name() const { return name_; }

 private:
  class Parallel;

  void make_room();
  void process_complete_lines();
  void dispatch(ParsedChunk& chunk);
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
  LineParser parser_;
  ParsedChunk chunk_;
};

// Which simdjson kernels parse: the one chosen at run time for the DOM (what the reader uses), and the one
// ondemand was compiled for, e.g. "simdjson 3.0.1: icelake (chosen at run time; ondemand: fallback)".
std::string simdjson_kernels();

// Reads a whole file (bounded memory) into the sink; throws ReadError.
ReadReport read_file(const std::filesystem::path& file, RecordSink& sink, ReadOptions options = {});

}  // namespace spanlog::reader
