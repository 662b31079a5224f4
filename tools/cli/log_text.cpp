#include "cli/log_text.hpp"

namespace spanlog::cli {

std::string level_text(reader::LogLevel level, const Console& console) {
  // Padded before it is painted: the escapes would count in fmt's width.
  const std::string word = fmt::format("{:<5}", reader::log_level_name(level));
  switch (level) {
    case reader::LogLevel::error:
      return console.red(word);
    case reader::LogLevel::warn:
      return console.yellow(word);
    case reader::LogLevel::info:
      return word;
    default:
      return console.dim(word);
  }
}

}  // namespace spanlog::cli
