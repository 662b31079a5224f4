// A run's state, decided here once for every view (summary, --json, doctor, report, runs, top, the history):
// one word for one run wherever it is shown (docs/reader.md, "A run's state").
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace spanlog::reader {

struct RunState {
  enum class Kind {
    complete,  // a footer, written by stop() or at a normal exit
    stopped,   // a footer with stopped_by: the process was ending by a signal or quick_exit
    crashed,   // a crash record
    died,      // neither, and its process is gone (or cannot be seen from here)
    running,   // neither, and the process that writes it is alive on this host
  };
  Kind kind = Kind::died;
  std::string cause;  // stopped: "SIGTERM", "SIGINT", "quick_exit"; crashed: what ended the program
  // "complete", "stopped by SIGTERM", "crashed (SIGSEGV)", "died", "running".
  std::string word() const;
  bool running() const { return kind == Kind::running; }
};

// What a run's state is decided from: its last records and its writer.
struct RunEnd {
  bool has_footer = false;
  std::string_view stopped_by;            // the footer's
  std::optional<std::string_view> crash;  // a crash record's reason (else its signal's name)
  std::uint64_t pid = 0;                  // the header's
  std::string_view host;                  // the header's
  std::filesystem::path file;             // the telemetry.jsonl, when there is one to look at
};

// Without a footer or a crash record the run is `running` only while the header's process is alive on this
// host and is the one that wrote the file: a process with that pid started after the file's last write is
// another one (the pid was used again), and the run died.
RunState decide_run_state(const RunEnd& end);

// True when a process with this pid is alive here, `host` being this host's name (empty: not known to be).
bool process_alive(std::uint64_t pid, std::string_view host);

}  // namespace spanlog::reader
