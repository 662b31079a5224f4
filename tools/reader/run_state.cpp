#include "reader/run_state.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace spanlog::reader {
namespace {

// When the process started, in seconds since the epoch (Linux: /proc/<pid>/stat's starttime, in clock ticks
// after boot, and /proc/stat's btime); empty when that cannot be read.
std::optional<double> process_start_seconds(std::uint64_t pid) {
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name, field 2, is in parentheses and may hold spaces: count fields after its last ')'.
  const std::size_t name_end = text.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(name_end + 1));
  std::string field;
  unsigned long long start_ticks = 0;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) start_ticks = std::strtoull(field.c_str(), nullptr, 10);
  if (start_ticks == 0) return std::nullopt;
  std::ifstream boot_file("/proc/stat");
  std::string key;
  unsigned long long boot = 0;
  while (boot_file >> key)
    if (key == "btime" && boot_file >> boot) break;
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  if (boot == 0 || ticks_per_second <= 0) return std::nullopt;
  return static_cast<double>(boot) + static_cast<double>(start_ticks) / static_cast<double>(ticks_per_second);
}

// The file's last modification, in seconds since the epoch.
std::optional<double> modified_seconds(const std::filesystem::path& file) {
  struct stat st {};
  if (file.empty() || ::stat(file.c_str(), &st) != 0) return std::nullopt;
  return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
}

}  // namespace

std::string RunState::word() const {
  switch (kind) {
    case Kind::complete:
      return "complete";
    case Kind::stopped:
      return "stopped by " + cause;
    case Kind::crashed:
      return "crashed (" + cause + ")";
    case Kind::died:
      return "died";
    case Kind::running:
      return "running";
  }
  return "died";
}

bool process_alive(std::uint64_t pid, std::string_view host) {
  if (pid == 0 || pid > static_cast<std::uint64_t>(INT_MAX)) return false;
  // A header that names no host does not say the process is here.
  char name[256] = {};
  if (host.empty() || ::gethostname(name, sizeof name - 1) != 0 || host != name) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

RunState decide_run_state(const RunEnd& end) {
  RunState state;
  if (end.has_footer) {
    state.kind = end.stopped_by.empty() ? RunState::Kind::complete : RunState::Kind::stopped;
    state.cause = std::string(end.stopped_by);
  } else if (end.crash) {
    state.kind = RunState::Kind::crashed;
    state.cause = end.crash->empty() ? "a signal" : std::string(*end.crash);
  } else if (process_alive(end.pid, end.host)) {
    // A second of slack: the file's time and the process's start are rounded differently.
    const std::optional<double> started = process_start_seconds(end.pid),
                                written = modified_seconds(end.file);
    const bool same_process = !started || !written || *started <= *written + 1.0;
    state.kind = same_process ? RunState::Kind::running : RunState::Kind::died;
  } else {
    state.kind = RunState::Kind::died;
  }
  return state;
}

}  // namespace spanlog::reader
