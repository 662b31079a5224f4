#include "cli/export_output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "cli/usage_error.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {

namespace fs = std::filesystem;

ExportOutput::ExportOutput(const std::optional<std::string>& path, const Console& console) {
  if (!path || *path == "-") {
    console_buffer_ = std::make_unique<FileBuffer>(console.out);
    stream_ = std::make_unique<std::ostream>(console_buffer_.get());
    return;
  }
  final_path_ = fs::path(*path);
  partial_path_ = fs::path(*path + fmt::format(".partial-{}", ::getpid()));
  auto file = std::make_unique<std::ofstream>(*partial_path_, std::ios::binary | std::ios::trunc);
  if (!*file) throw UsageError(fmt::format("{}: cannot create: {}", *path, std::strerror(errno)));
  stream_ = std::move(file);
}

ExportOutput::~ExportOutput() {
  if (committed_ || !partial_path_) return;
  stream_.reset();
  std::error_code ignored;
  fs::remove(*partial_path_, ignored);
}

void ExportOutput::commit() {
  stream_->flush();
  if (!*stream_) throw std::runtime_error(fmt::format("{}: write failed", name()));
  if (!partial_path_) return;
  auto& file = static_cast<std::ofstream&>(*stream_);
  file.close();
  if (!file) throw std::runtime_error(fmt::format("{}: write failed", name()));
  std::error_code error;
  fs::rename(*partial_path_, *final_path_, error);
  if (error)
    throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", name(), error.message()));
  committed_ = true;
}

ExportOutput::FileBuffer::int_type ExportOutput::FileBuffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  return std::fputc(c, file_) == EOF ? traits_type::eof() : c;
}

std::streamsize ExportOutput::FileBuffer::xsputn(const char* data, std::streamsize size) {
  return static_cast<std::streamsize>(std::fwrite(data, 1, static_cast<std::size_t>(size), file_));
}

int ExportOutput::FileBuffer::sync() {
  return std::fflush(file_) == 0 ? 0 : -1;
}

void warn_about_input(const fs::path& file, const reader::ReadReport& read, const Console& console) {
  if (read.torn_last_line) console.warning("{}", *read.torn_last_line);
  if (read.skipped_lines > 0) {
    console.warning("{}: skipped {} malformed lines, for example:", file.string(), read.skipped_lines);
    for (const std::string& example : read.skipped_examples) fmt::print(console.err, "  {}\n", example);
  }
}

}  // namespace spanlog::cli
