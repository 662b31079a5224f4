#include "cli/console.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace spanlog::cli {

Console Console::standard() {
  Console console;
  const char* no_colour = std::getenv("NO_COLOR");
  console.colour = ::isatty(::fileno(stdout)) == 1 && (no_colour == nullptr || *no_colour == '\0');
  return console;
}

std::string Console::paint(std::string_view text, std::string_view code) const {
  if (!colour) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {  // skip an escape sequence up to its final letter
      while (i < text.size() && !((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z')))
        ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;  // count the first byte of each UTF-8 character
  }
  return width;
}

void Table::print(const Console& console, std::string_view indent) const {
  std::vector<std::size_t> widths(columns_.size(), 0);
  for (std::size_t c = 0; c < columns_.size(); ++c) widths[c] = display_width(columns_[c].title);
  for (const auto& row : rows_)
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], display_width(row[c]));

  auto print_row = [&](const std::vector<std::string>& cells, bool header) {
    std::string line(indent);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string& cell = c < cells.size() ? cells[c] : std::string();
      const std::string padding(widths[c] - std::min(widths[c], display_width(cell)), ' ');
      if (c > 0) line += "  ";
      const bool last = c + 1 == columns_.size();
      if (columns_[c].align == Align::right)
        line += padding + cell;
      else
        line += last ? cell : cell + padding;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    console.print("{}\n", header ? console.bold(line) : line);
  };
  std::vector<std::string> titles;
  for (const auto& column : columns_) titles.push_back(column.title);
  print_row(titles, true);
  for (const auto& row : rows_) print_row(row, false);
}

}  // namespace spanlog::cli
