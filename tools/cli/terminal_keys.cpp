#include "cli/terminal_keys.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>

namespace spanlog::cli {
namespace {

// Written before the handlers are installed and read by them: tcsetattr is async-signal-safe.
termios saved_mode{};
termios cbreak_mode{};
volatile std::sig_atomic_t stop_signal = 0;
volatile std::sig_atomic_t terminal_changed = 0;

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction previous_stop[3];
struct sigaction previous_tstp {
}, previous_cont{};

void on_stop_signal(int signal) {
  stop_signal = signal;
}

// Ctrl-Z: the shell gets its terminal back as it was, then the program stops as it would have.
void on_terminal_stop(int) {
  if (terminal_changed) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_mode);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  ::sigaction(SIGTSTP, &fallback, nullptr);
  ::raise(SIGTSTP);
}
void install_terminal_stop();
void on_continue(int) {
  if (terminal_changed) ::tcsetattr(STDIN_FILENO, TCSANOW, &cbreak_mode);
  install_terminal_stop();
}
void install_terminal_stop() {
  struct sigaction action {};
  action.sa_handler = on_terminal_stop;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTSTP, &action, nullptr);
}

}  // namespace

TerminalKeys::TerminalKeys() {
  stop_signal = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;  // no SA_RESTART: poll() returns at once
    sigemptyset(&action.sa_mask);
    ::sigaction(kStopSignals[i], &action, &previous_stop[i]);
  }
  if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_mode) != 0) return;
  cbreak_mode = saved_mode;
  cbreak_mode.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));  // ISIG kept: Ctrl-C still interrupts
  cbreak_mode.c_cc[VMIN] = 1;
  cbreak_mode.c_cc[VTIME] = 0;
  ::sigaction(SIGTSTP, nullptr, &previous_tstp);
  struct sigaction cont {};
  cont.sa_handler = on_continue;
  sigemptyset(&cont.sa_mask);
  ::sigaction(SIGCONT, &cont, &previous_cont);
  install_terminal_stop();
  if (::tcsetattr(STDIN_FILENO, TCSANOW, &cbreak_mode) != 0) return;
  terminal_changed = 1;
  cbreak_ = true;
}

TerminalKeys::~TerminalKeys() {
  if (cbreak_) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_mode);
    terminal_changed = 0;
    ::sigaction(SIGTSTP, &previous_tstp, nullptr);
    ::sigaction(SIGCONT, &previous_cont, nullptr);
  }
  for (std::size_t i = 0; i < 3; ++i) ::sigaction(kStopSignals[i], &previous_stop[i], nullptr);
}

bool TerminalKeys::stop_requested() {
  return stop_signal != 0;
}

std::optional<char> TerminalKeys::wait_for_key(double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (!stop_requested()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd input{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&input, cbreak_ ? 1 : 0, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready > 0 && (input.revents & POLLIN) != 0) {
      char key = 0;
      if (::read(STDIN_FILENO, &key, 1) == 1) return key;
    }
  }
  return std::nullopt;
}

}  // namespace spanlog::cli
