// Turns one JSON document (one line of telemetry.jsonl) into a typed record for a RecordSink.
// It checks the type of every field it knows and ignores the fields and record kinds it does not know.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <simdjson.h>

#include "reader/records.hpp"

namespace spanlog::reader {

struct ParseOutcome {
  enum class Status { ok, malformed, schema_too_new };
  Status status = Status::ok;
  std::string message;  // what was wrong, e.g. `field "dur_ns": expected an unsigned integer`
};

class RecordParser {
 public:
  // Parses the document and, when it is a well-formed record, calls the sink before returning.
  // `document_is_whole_line`: the document was parsed alone, so text after its object can be detected here
  // (documents of an iterate_many stream are checked against their line by the caller instead).
  ParseOutcome parse(simdjson::ondemand::document_reference document, bool document_is_whole_line,
                     std::uint64_t line, RecordSink& sink);

 private:
  std::vector<Attr> attrs_;  // reused from line to line so that steady-state parsing does not allocate
};

}  // namespace spanlog::reader
