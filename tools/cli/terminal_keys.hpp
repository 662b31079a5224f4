// Single keys read from a terminal while a view redraws (`top`'s `q`): the terminal is put in cbreak mode
// (keys arrive unbuffered, not echoed) for the object's life and put back as it was when it ends, when
// SIGINT, SIGTERM or SIGHUP ends the view, and while the program is stopped (Ctrl-Z). Not a terminal: nothing
// changes, and the signals still end the view.
#pragma once

#include <termios.h>

#include <optional>

namespace spanlog::cli {

class TerminalKeys {
 public:
  TerminalKeys();
  ~TerminalKeys();
  TerminalKeys(const TerminalKeys&) = delete;
  TerminalKeys& operator=(const TerminalKeys&) = delete;

  // Waits up to `seconds` for a key (nothing when none came, or standard input is not a terminal), returning
  // early when a signal asked the view to stop.
  std::optional<char> wait_for_key(double seconds);
  // SIGINT, SIGTERM or SIGHUP arrived.
  static bool stop_requested();

 private:
  bool cbreak_ = false;
};

}  // namespace spanlog::cli
