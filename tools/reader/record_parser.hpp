// Turns one JSON document (one line of telemetry.jsonl, parsed by simdjson's DOM) into a typed record, kept
// in a ParsedChunk until it is handed to a sink in file order. It checks the type of every field it knows and
// ignores the fields and record kinds it does not know. A chunk owns copies of the strings its records show,
// so it can be parsed on one thread and handed out on another.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

#include "reader/records.hpp"

namespace spanlog::reader {

// std::monostate first, so that an entry costs nothing to create before its record is emplaced.
using Record =
    std::variant<std::monostate, HeaderRecord, ThreadRecord, SpanRecord, SpanStartRecord, SpanEndRecord,
                 SpanStatsRecord, InstantRecord, LogRecord, CounterRecord, GaugeRecord, HistogramRecord,
                 MetricInfoRecord, PhaseRecord, DroppedRecord, RingGrownRecord, CrashRecord, FooterRecord>;

// What one line gave.
struct ParsedEntry {
  // User-provided, so that emplace_back() does not zero the whole entry before setting its few fields.
  ParsedEntry() {}

  // ignored: a well-formed record of a kind this reader does not know; torn: the last line of the input,
  // without a newline, that does not parse (a write cut short).
  enum class Status : std::uint8_t { record, ignored, malformed, schema_too_new, torn };
  Status status = Status::record;
  std::uint32_t line = 0;                          // lines of the chunk before this one
  std::uint32_t attrs_begin = 0, attrs_count = 0;  // the record's attributes, in ParsedChunk::attrs
  std::uint32_t message = 0;                       // index into ParsedChunk::messages, when not a record
  // A second or later record of one line (the rows of a `spans` record, schema 1.3): the line is counted
  // once, with its first record.
  bool same_line = false;
  Record record;
};

// The records of a run of whole lines, and what they point to.
class ParsedChunk {
 public:
  // Empties the chunk for `text_bytes` of lines: the strings of their records fit in the space reserved.
  void begin(std::size_t text_bytes);
  // A copy that lives as long as the chunk's contents (until the next begin()).
  std::string_view keep(std::string_view text);
  std::uint32_t add_message(std::string message);
  // Named counts that live as long as the chunk's contents; the strings in them must be kept ones.
  NamedCounts keep_counts(std::vector<NamedCount> counts);
  // A span_stats record's buckets, kept as long as the chunk's contents.
  std::span<const SpanStatsRecord::Bucket> keep_buckets(std::vector<SpanStatsRecord::Bucket> buckets);
  // A metric line's labels and the header's metric infos, kept likewise; their strings must be kept ones.
  Labels keep_labels(std::vector<Attr> labels);
  std::span<const MetricInfoRecord> keep_metric_infos(std::vector<MetricInfoRecord> infos);

  std::vector<ParsedEntry> entries;
  std::vector<Attr> attrs;
  std::vector<std::string> messages;
  std::uint64_t lines = 0;  // newlines ended in the chunk, and a last line without one

 private:
  std::string strings_;              // reserved up front, so the views into it stay valid
  std::deque<std::string> spilled_;  // what did not fit (never, for strings taken from the chunk's own lines)
  std::deque<std::vector<NamedCount>> counts_;  // a deque: the vectors, and so their data, never move
  std::deque<std::vector<SpanStatsRecord::Bucket>> buckets_;  // the same
  std::deque<std::vector<Attr>> labels_;
  std::deque<std::vector<MetricInfoRecord>> metric_infos_;
};

class RecordParser {
 public:
  // Parses the document into `out` as the entry of line `line`: a record, or a malformed line with what was
  // wrong (e.g. `field "dur_ns": expected an unsigned integer`), or a header of a newer schema. A `spans`
  // record (schema 1.3) gives one SpanRecord entry per row, in row order, or one malformed entry for the line
  // (e.g. `rows[3][4] (dur_ns): expected an unsigned integer`); one without rows is an ignored entry.
  void parse(simdjson::dom::element document, std::uint32_t line, ParsedChunk& out);

  // Whether records get their attributes (RecordSink::wants_attrs); without, `attrs` is only type-checked.
  bool collect_attrs = true;

  // For a line the DOM refused for a number it cannot hold (beyond 64 bits, or beyond a double's range):
  // which field it is in, worded as for a field of the wrong type, e.g. `field "ts": expected an unsigned
  // integer`. Empty when the line's fields cannot be walked. `line` is followed by SIMDJSON_PADDING
  // readable bytes.
  std::optional<std::string> name_bad_number(const char* line, std::size_t length);

 private:
  simdjson::ondemand::parser walker_;  // only for name_bad_number, which the fast path never needs
};

}  // namespace spanlog::reader
