// What an exporter must know before it writes the first record of a run: the header (process, host, service
// attributes), every thread's names and the run's first and last timestamps. Thread records may come after a
// thread's first spans and the last timestamp is known only at the end, so exporters read the file twice:
// once for this context, once for the records. Memory grows with the number of threads only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reader/jsonl_reader.hpp"
#include "reader/owned_attrs.hpp"

namespace spanlog::exporters {

struct RunContext {
  bool has_header = false;
  std::string run_id, process, host, version;
  std::uint64_t pid = 0;
  std::uint64_t start_ts = 0;        // the header's, else the first timestamp seen
  reader::OwnedAttrs process_attrs;  // the header's attrs: service.name and SPANLOG_ATTRS
  std::uint64_t first_ts = 0;        // earliest timestamp of any record, the header's start included
  std::uint64_t last_ts = 0;         // latest timestamp or span end of any record, the footer included
  // Per thread, its names in file order with the time each was written.
  std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::string>>> thread_names;
  reader::ReadReport read;

  // service.name from the header's attrs, else the process name.
  std::string service_name() const;
  // The name the thread had at `ts`: the last one written at or before `ts`, else its first (the flusher
  // writes a thread's record when it first drains it, after the thread's first records). Empty when it has
  // none.
  std::string_view thread_name_at(std::uint64_t tid, std::uint64_t ts) const;
  std::string_view last_thread_name(std::uint64_t tid) const;
};

// The first pass over a run; throws reader::ReadError like every reader.
RunContext scan_run(const std::filesystem::path& file, const reader::ReadOptions& options);

}  // namespace spanlog::exporters
