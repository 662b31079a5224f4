// Where a command writes, and how: aligned text tables, with colour only when the output is a terminal.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace spanlog::cli {

struct Console {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  bool colour = false;

  // Colour when `out` is a terminal and NO_COLOR (no-color.org) is not set.
  static Console standard();

  template <class... Args>
  void print(fmt::format_string<Args...> format, Args&&... args) const {
    fmt::print(out, format, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) const {
    fmt::print(err, "spanlog: ");
    fmt::print(err, format, std::forward<Args>(args)...);
    fmt::print(err, "\n");
  }
  template <class... Args>
  void warning(fmt::format_string<Args...> format, Args&&... args) const {
    fmt::print(err, "spanlog: warning: ");
    fmt::print(err, format, std::forward<Args>(args)...);
    fmt::print(err, "\n");
  }

  std::string bold(std::string_view text) const { return paint(text, "1"); }
  std::string red(std::string_view text) const { return paint(text, "31"); }
  std::string green(std::string_view text) const { return paint(text, "32"); }
  std::string yellow(std::string_view text) const { return paint(text, "33"); }
  std::string dim(std::string_view text) const { return paint(text, "2"); }

 private:
  std::string paint(std::string_view text, std::string_view code) const;
};

// Columns padded to their widest cell (counted in characters, not bytes, so "µs" aligns).
class Table {
 public:
  enum class Align { left, right };
  struct Column {
    std::string title;
    Align align = Align::right;
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  // A cell may hold colour escapes: `plain` lengths are measured on the text without them.
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  void print(const Console& console, std::string_view indent = "") const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// The width on screen of UTF-8 text without ANSI escapes.
std::size_t display_width(std::string_view text);

}  // namespace spanlog::cli
