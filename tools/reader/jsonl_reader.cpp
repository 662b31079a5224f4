// Fast path: simdjson's DOM parse_many over all the complete lines of a chunk, checking that each document is
// exactly one line. Anything unexpected (a syntax error, two objects on a line, one object over two lines)
// sends the line to the slow path, which parses it alone and names what was wrong; the fast path then
// resumes. Two threads: each reads the next chunk in turn, parses it alone, and the chunks go to the sink in
// order.
#include "reader/jsonl_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace spanlog::reader {
namespace {

namespace dom = simdjson::dom;

constexpr std::size_t kMaxExamples = 5;
// parse_many works in batches of this size: small enough for a batch's text, structural indexes and tape to
// stay in the L2 cache (measured: 2^17 parses a third faster than 2^20). A longer line takes the slow path.
constexpr std::size_t kBatchBytes = std::size_t{1} << 17;
// After the fast path stopped at once, this many lines at most go through the slow path before it is tried
// again: a file of bad lines must not restart parse_many at every line.
constexpr std::size_t kMostSlowLines = 4096;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

bool all_blank(const char* begin, const char* end) {
  return std::all_of(begin, end, is_blank);
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

// simdjson reads the padding after its input, and what is there can change what parse_many makes of the
// input (3.0.1: a ':' just after `{"a"0}` made it a valid object; the fuzzer found it with a line's stale
// bytes after the text). While simdjson reads, the padding after the text is blank; then it is put back,
// since it may be the start of the next line.
class BlankPadding {
 public:
  explicit BlankPadding(char* end) : end_(end) {
    std::memcpy(saved_, end_, sizeof saved_);
    std::memset(end_, ' ', sizeof saved_);
  }
  ~BlankPadding() { std::memcpy(end_, saved_, sizeof saved_); }
  BlankPadding(const BlankPadding&) = delete;
  BlankPadding& operator=(const BlankPadding&) = delete;

 private:
  char* end_;
  char saved_[simdjson::SIMDJSON_PADDING];
};

std::unique_ptr<char[]> padded_buffer(std::size_t capacity) {
  // Not value-initialised: the bytes past the data are only ever read as simdjson's padding.
  return std::unique_ptr<char[]>(new char[capacity + simdjson::SIMDJSON_PADDING]);
}

std::string long_line_message(std::size_t max_line_bytes) {
  return fmt::format("line longer than {} bytes", max_line_bytes);
}

}  // namespace

// ---- LineParser ----

LineParser::LineParser(bool collect_attrs) {
  records_.collect_attrs = collect_attrs;
#ifdef SIMDJSON_THREADS_ENABLED
  // parse_many would run stage 1 of the next batch on a thread of its own: the reader has its own threads.
  stream_parser_.threaded = false;
  line_parser_.threaded = false;
#endif
}

void LineParser::parse_lines(char* data, std::size_t size, ParsedChunk& out) {
  std::size_t pos = 0, slow_lines = 1;
  while (pos < size) {
    const std::size_t stopped = parse_stream(data, size, pos, out);
    if (stopped >= size) break;
    // Where the stream stopped on the first line, it would stop again on the next bad one: give the slow path
    // more lines each time, and one again once the fast path makes progress.
    slow_lines = stopped == pos ? std::min(slow_lines * 2, kMostSlowLines) : 1;
    pos = stopped;
    for (std::size_t i = 0; i < slow_lines && pos < size; ++i) pos = parse_one_line(data, size, pos, out);
  }
}

// Returns where it stopped: `size` when every line was handled, else the start of the first line to redo.
std::size_t LineParser::parse_stream(char* data, std::size_t size, std::size_t from, ParsedChunk& out) {
  const BlankPadding blank(data + size);
  // No larger than the text: a small input does not need a parser sized for a whole batch.
  const std::size_t batch = std::min(kBatchBytes, std::max<std::size_t>(size - from, 4096));
  dom::document_stream stream;
  if (stream_parser_.parse_many(reinterpret_cast<const std::uint8_t*>(data) + from, size - from, batch)
          .get(stream) != simdjson::SUCCESS)
    return from;
  std::size_t cursor = from;
  // Blank lines up to `end` are lines too; false at the first byte that is not blank.
  auto skip_blank = [&](std::size_t end) {
    for (std::size_t i = cursor; i < end; ++i) {
      if (data[i] == '\n') {
        ++out.lines;
        cursor = i + 1;
      } else if (!is_blank(data[i])) {
        return false;
      }
    }
    return true;
  };
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    dom::element document;
    if ((*it).get(document) != simdjson::SUCCESS) return cursor;
    const std::size_t doc_start = from + it.current_index();
    if (doc_start < cursor || !skip_blank(doc_start)) return cursor;
    const std::size_t doc_end = doc_start + it.source().size();
    const char* newline = static_cast<const char*>(std::memchr(data + doc_start, '\n', size - doc_start));
    if (newline == nullptr) return cursor;
    const std::size_t line_end = static_cast<std::size_t>(newline - data);
    if (line_end < doc_end) return cursor;                   // the document runs over more than one line
    if (!all_blank(data + doc_end, newline)) return cursor;  // more text after it on the line
    records_.parse(document, static_cast<std::uint32_t>(out.lines), out);
    ++out.lines;
    cursor = line_end + 1;
  }
  if (!skip_blank(size)) return cursor;
  return size;
}

std::size_t LineParser::parse_one_line(char* data, std::size_t size, std::size_t from, ParsedChunk& out) {
  const char* newline = static_cast<const char*>(std::memchr(data + from, '\n', size - from));
  const std::size_t line_end = static_cast<std::size_t>(newline - data);
  if (!all_blank(data + from, newline)) {
    parse_alone(data + from, line_end - from, false, out);
    release_if_large(line_end - from);
  }
  ++out.lines;
  return line_end + 1;
}

void LineParser::parse_last_line(char* data, std::size_t size, ParsedChunk& out) {
  if (all_blank(data, data + size)) return;  // trailing blanks are not a line
  parse_alone(data, size, true, out);
  release_if_large(size);
  ++out.lines;
}

// The line is followed by at least SIMDJSON_PADDING bytes of its buffer, blanked while simdjson reads.
void LineParser::parse_alone(char* line, std::size_t length, bool last, ParsedChunk& out) {
  const auto line_index = static_cast<std::uint32_t>(out.lines);
  auto problem = [&](std::string message) {
    ParsedEntry& entry = out.entries.emplace_back();
    entry.line = line_index;
    // The flusher only appends whole lines, so an unparseable end without a newline is a write cut short.
    entry.status = last ? ParsedEntry::Status::torn : ParsedEntry::Status::malformed;
    entry.message = out.add_message(last ? fmt::format("{}", length) : std::move(message));
  };
  const char* first = std::find_if_not(line, line + length, is_blank);
  if (first != line + length && *first != '{') return problem("not a JSON object");
  const BlankPadding blank(line + length);

  dom::element document;
  const simdjson::error_code error = line_parser_.parse(line, length, false).get(document);
  if (error == simdjson::SUCCESS) {
    const std::size_t entries = out.entries.size();
    records_.parse(document, line_index, out);
    // A last line that is a whole record only misses its newline; one that is not a record is torn.
    if (last && out.entries.size() > entries && out.entries.back().status == ParsedEntry::Status::malformed) {
      out.entries.back().status = ParsedEntry::Status::torn;
      out.messages[out.entries.back().message] = fmt::format("{}", length);
    }
    return;
  }
  // "{...} trailing": a whole object, then something else.
  dom::document_stream stream;
  if (line_parser_
          .parse_many(reinterpret_cast<const std::uint8_t*>(line), length, std::max(length, kBatchBytes))
          .get(stream) == simdjson::SUCCESS) {
    auto it = stream.begin();
    dom::element head;
    if (it != stream.end() && (*it).get(head) == simdjson::SUCCESS && head.is_object()) {
      const std::size_t end = it.current_index() + it.source().size();
      if (end < length && !all_blank(line + end, line + length)) return problem("text after the JSON object");
    }
  }
  if (error == simdjson::NUMBER_ERROR)
    if (auto named = records_.name_bad_number(line, length)) return problem(std::move(*named));
  problem(fmt::format("invalid JSON ({})", simdjson::error_message(error)));
}

void LineParser::release_if_large(std::size_t length) {
  // The parser keeps buffers sized for the longest line it saw: not for one line of tens of megabytes.
  if (length <= 8 * kBatchBytes) return;
  line_parser_ = dom::parser();
#ifdef SIMDJSON_THREADS_ENABLED
  line_parser_.threaded = false;
#endif
}

// ---- JsonlReader: reading on the calling thread ----

JsonlReader::JsonlReader(std::string display_name, RecordSink& sink, ReadOptions options)
    : name_(std::move(display_name)), sink_(sink), options_(options), parser_(sink.wants_attrs()) {
  capacity_ = std::max<std::size_t>(options_.chunk_bytes, 4096);
  buffer_ = padded_buffer(capacity_);
}

JsonlReader::~JsonlReader() = default;

// The buffer is full of one unfinished line: grow up to the longest line accepted, then give up on the line.
void JsonlReader::make_room() {
  if (capacity_ < options_.max_line_bytes) {
    const std::size_t grown = std::min(capacity_ * 2, options_.max_line_bytes);
    auto bigger = padded_buffer(grown);
    std::memcpy(bigger.get(), buffer_.get(), used_);
    buffer_ = std::move(bigger);
    capacity_ = grown;
    return;
  }
  ++line_;
  ++report_.lines;
  used_ = 0;
  discarding_long_line_ = true;
  malformed_line(line_, long_line_message(options_.max_line_bytes));
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
  char* data = buffer_.get();
  const void* last_newline = ::memrchr(data + start, '\n', used_ - start);
  if (last_newline == nullptr) {
    std::memmove(buffer_.get(), data + start, used_ - start);
    used_ -= start;
    return;
  }
  const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(last_newline) - data) + 1;
  // [start, end) holds whole lines; the bytes after it stay readable, which serves as simdjson's padding.
  chunk_.begin(end - start);
  parser_.parse_lines(data + start, end - start, chunk_);
  dispatch(chunk_);
  std::memmove(buffer_.get(), data + end, used_ - end);
  used_ -= end;
}

void JsonlReader::finish() {
  if (discarding_long_line_ || used_ == 0) return;
  chunk_.begin(used_);
  parser_.parse_last_line(buffer_.get(), used_, chunk_);
  dispatch(chunk_);
  used_ = 0;
}

// Hands the chunk's records to the sink in order, numbering its lines after those handed out before it.
void JsonlReader::dispatch(ParsedChunk& chunk) {
  for (ParsedEntry& entry : chunk.entries) {
    const std::uint64_t line = line_ + entry.line + 1;
    switch (entry.status) {
      case ParsedEntry::Status::record:
        if (!entry.same_line) ++report_.records;
        std::visit(
            [&](auto& record) {
              if constexpr (requires { record.attrs; })
                record.attrs = Attrs(chunk.attrs.data() + entry.attrs_begin, entry.attrs_count);
              using R = std::decay_t<decltype(record)>;
              if constexpr (std::is_same_v<R, std::monostate>) return;
              if constexpr (std::is_same_v<R, HeaderRecord>) sink_.on_header(record, line);
              if constexpr (std::is_same_v<R, ThreadRecord>) sink_.on_thread(record, line);
              if constexpr (std::is_same_v<R, SpanRecord>) sink_.on_span(record, line);
              if constexpr (std::is_same_v<R, SpanStartRecord>) sink_.on_span_start(record, line);
              if constexpr (std::is_same_v<R, SpanEndRecord>) sink_.on_span_end(record, line);
              if constexpr (std::is_same_v<R, SpanStatsRecord>) sink_.on_span_stats(record, line);
              if constexpr (std::is_same_v<R, InstantRecord>) sink_.on_instant(record, line);
              if constexpr (std::is_same_v<R, LogRecord>) sink_.on_log(record, line);
              if constexpr (std::is_same_v<R, CounterRecord>) sink_.on_counter(record, line);
              if constexpr (std::is_same_v<R, GaugeRecord>) sink_.on_gauge(record, line);
              if constexpr (std::is_same_v<R, HistogramRecord>) sink_.on_histogram(record, line);
              if constexpr (std::is_same_v<R, MetricInfoRecord>) sink_.on_metric_info(record, line);
              if constexpr (std::is_same_v<R, PhaseRecord>) sink_.on_phase(record, line);
              if constexpr (std::is_same_v<R, DroppedRecord>) sink_.on_dropped(record, line);
              if constexpr (std::is_same_v<R, RingGrownRecord>) sink_.on_ring_grown(record, line);
              if constexpr (std::is_same_v<R, CrashRecord>) sink_.on_crash(record, line);
              if constexpr (std::is_same_v<R, FooterRecord>) sink_.on_footer(record, line);
            },
            entry.record);
        break;
      case ParsedEntry::Status::ignored:
        ++report_.records;
        break;
      case ParsedEntry::Status::malformed:
        malformed_line(line, chunk.messages[entry.message]);
        break;
      case ParsedEntry::Status::schema_too_new:
        throw ReadError(fmt::format("{}:{}: {}", name_, line, chunk.messages[entry.message]));
      case ParsedEntry::Status::torn:
        report_.torn_last_line =
            fmt::format("{}:{}: the last line is incomplete ({} bytes, no newline); ignored", name_, line,
                        chunk.messages[entry.message]);
        break;
    }
  }
  line_ += chunk.lines;
  report_.lines = line_;
}

void JsonlReader::malformed_line(std::uint64_t line, const std::string& message) {
  std::string full = fmt::format("{}:{}: {}", name_, line, message);
  if (!options_.skip_bad) throw ReadError(full);
  ++report_.skipped_lines;
  if (report_.skipped_examples.size() < kMaxExamples) report_.skipped_examples.push_back(std::move(full));
}

// ---- JsonlReader: reading on several threads ----

// Each thread in turn takes the reader's role and reads the next chunk (whole lines; the rest of the last
// line is carried to the next chunk), parses its chunk alone, then, when the chunks before it have been
// handed out, hands its own to the sink. So the sink gets the chunks in file order, one at a time, from the
// thread that parsed each one (whose caches still hold it); a thread has one chunk at a time, so memory stays
// bounded.
class JsonlReader::Parallel {
 public:
  Parallel(JsonlReader& reader, const Source& source, unsigned threads)
      : reader_(reader), source_(source), threads_(threads) {}

  void run() {
    std::vector<std::thread> helpers;
    for (unsigned i = 1; i < threads_; ++i)
      helpers.emplace_back([this] {
        LineParser parser(reader_.sink_.wants_attrs());
        work(parser);
      });
    work(reader_.parser_);
    for (auto& helper : helpers) helper.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  struct Slot {
    std::unique_ptr<char[]> text;
    std::size_t capacity = 0;
    std::size_t size = 0;    // whole lines
    std::size_t tail = 0;    // then the input's last line, without a newline
    bool long_line = false;  // only a line longer than the limit, which is discarded
    ParsedChunk chunk;
  };

  void work(LineParser& parser) {
    Slot slot;
    try {
      for (;;) {
        std::uint64_t seq = 0;
        {
          std::unique_lock lock(mutex_);
          changed_.wait(lock, [&] { return failed_ || !reading_; });
          if (failed_ || at_end_) return;
          reading_ = true;
          seq = next_read_++;
        }
        bool end = false;
        try {
          end = fill(slot);
        } catch (...) {
          std::lock_guard lock(mutex_);
          reading_ = false;
          throw;
        }
        {
          std::lock_guard lock(mutex_);
          reading_ = false;
          at_end_ = end;
        }
        changed_.notify_all();
        parse(slot, parser);
        {
          std::unique_lock lock(mutex_);
          changed_.wait(lock, [&] { return failed_ || next_out_ == seq; });
          if (failed_) return;
        }
        // Its turn: the other threads wait for next_out_ to move, so the sink is called by one at a time.
        reader_.dispatch(slot.chunk);
        {
          std::lock_guard lock(mutex_);
          ++next_out_;
        }
        changed_.notify_all();
        // A slot that grew for a long line goes back to its usual size.
        if (slot.capacity > 4 * std::max<std::size_t>(reader_.options_.chunk_bytes, 4096)) slot = Slot();
      }
    } catch (...) {
      {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
        failed_ = true;
      }
      changed_.notify_all();
    }
  }

  // Reads the next chunk into `slot`; true at the end of the input. Only the thread in the reader's role.
  bool fill(Slot& slot) {
    const ReadOptions& options = reader_.options_;
    const std::size_t chunk = std::max<std::size_t>(options.chunk_bytes, 4096);
    if (slot.capacity < std::max(chunk, carry_.size() + 1)) {
      slot.capacity = std::max(chunk, carry_.size() + 1);
      slot.text = padded_buffer(slot.capacity);
    }
    slot.size = slot.tail = 0;
    slot.long_line = false;
    std::size_t used = carry_.size();
    std::memcpy(slot.text.get(), carry_.data(), used);
    carry_.clear();
    bool end = false;
    for (;;) {
      if (used == slot.capacity) {
        if (::memrchr(slot.text.get(), '\n', used) != nullptr) break;
        // One unfinished line fills the slot: grow up to the longest line accepted, then give up on it.
        if (slot.capacity < options.max_line_bytes) {
          const std::size_t grown = std::min(slot.capacity * 2, options.max_line_bytes);
          auto bigger = padded_buffer(grown);
          std::memcpy(bigger.get(), slot.text.get(), used);
          slot.text = std::move(bigger);
          slot.capacity = grown;
          continue;
        }
        slot.long_line = true;
        discarding_ = true;
        return false;
      }
      const std::size_t got = read_some(slot.text.get() + used, slot.capacity - used);
      if (got == 0) {
        end = true;
        break;
      }
      if (discarding_) {
        // The rest of a line that was too long, up to its newline.
        const char* from = slot.text.get() + used;
        const char* newline = static_cast<const char*>(std::memchr(from, '\n', got));
        if (newline == nullptr) continue;
        discarding_ = false;
        const std::size_t kept = got - static_cast<std::size_t>(newline + 1 - from);
        std::memmove(slot.text.get() + used, newline + 1, kept);
        used += kept;
        continue;
      }
      used += got;
    }
    const char* newline = static_cast<const char*>(::memrchr(slot.text.get(), '\n', used));
    slot.size = newline == nullptr ? 0 : static_cast<std::size_t>(newline - slot.text.get()) + 1;
    if (end) {
      slot.tail = used - slot.size;
    } else {
      carry_.assign(slot.text.get() + slot.size, used - slot.size);
    }
    return end;
  }

  std::size_t read_some(char* into, std::size_t capacity) {
    const std::size_t got = source_(into, capacity);
    reader_.report_.bytes += got;  // only the thread in the reader's role counts
    return got;
  }

  void parse(Slot& slot, LineParser& parser) {
    ParsedChunk& chunk = slot.chunk;
    chunk.begin(slot.size + slot.tail);
    if (slot.long_line) {
      ParsedEntry& entry = chunk.entries.emplace_back();
      entry.status = ParsedEntry::Status::malformed;
      entry.message = chunk.add_message(long_line_message(reader_.options_.max_line_bytes));
      chunk.lines = 1;
      return;
    }
    parser.parse_lines(slot.text.get(), slot.size, chunk);
    if (slot.tail > 0) parser.parse_last_line(slot.text.get() + slot.size, slot.tail, chunk);
  }

  JsonlReader& reader_;
  const Source& source_;
  const unsigned threads_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t next_read_ = 0, next_out_ = 0;  // the next chunk to read, and to hand out
  bool reading_ = false, at_end_ = false, failed_ = false;
  std::exception_ptr error_;

  // The reader's role only:
  std::string carry_;        // the start of the line the previous chunk ended in
  bool discarding_ = false;  // skipping the rest of a line longer than the limit
};

void JsonlReader::read_all(const Source& source, unsigned threads) {
  if (threads <= 1) {
    for (;;) {
      if (used_ == capacity_) make_room();
      const std::size_t got = source(buffer_.get() + used_, capacity_ - used_);
      if (got == 0) break;
      report_.bytes += got;
      used_ += got;
      process_complete_lines();
    }
  } else {
    Parallel(*this, source, threads).run();
  }
  finish();
}

std::string simdjson_kernels() {
  return fmt::format("simdjson {}: {} (chosen at run time; ondemand: {})",
                     SIMDJSON_STRINGIFY(SIMDJSON_VERSION), simdjson::get_active_implementation()->name(),
                     SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));
}

ReadReport read_file(const std::filesystem::path& file, RecordSink& sink, ReadOptions options) {
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw ReadError(fmt::format("{}: cannot open: {}", file.string(), std::strerror(errno)));
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  unsigned threads = options.threads;
  if (threads == 0) {
    struct stat status {};
    const bool large =
        ::fstat(fd.get(), &status) == 0 && S_ISREG(status.st_mode) &&
        static_cast<std::uint64_t>(status.st_size) >= 8 * std::max<std::size_t>(options.chunk_bytes, 4096);
    // A second thread pays from a few chunks on, when there is a second core to run it.
    threads = large && std::thread::hardware_concurrency() >= 2 ? 2 : 1;
    if (const char* forced = std::getenv("SPANLOG_READER_THREADS"); forced != nullptr && *forced != '\0')
      threads = static_cast<unsigned>(std::clamp(std::atoi(forced), 1, 16));
  }
  JsonlReader reader(file.string(), sink, options);
  const int descriptor = fd.get();
  const std::string& name = reader.display_name();
  reader.read_all(
      [descriptor, &name](char* into, std::size_t capacity) -> std::size_t {
        for (;;) {
          const ssize_t got = ::read(descriptor, into, capacity);
          if (got >= 0) return static_cast<std::size_t>(got);
          if (errno != EINTR) throw ReadError(fmt::format("{}: read failed: {}", name, std::strerror(errno)));
        }
      },
      threads);
  return reader.report();
}

}  // namespace spanlog::reader
