// Where an exporter command writes: a file that appears whole or not at all (written beside its final name,
// renamed into place once complete, so a failed export never leaves half a trace for a collector to read), or
// the console's output stream. Plus the warnings every exporter prints about what it read.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>

#include "cli/console.hpp"
#include "reader/jsonl_reader.hpp"

namespace spanlog::cli {

class ExportOutput {
 public:
  // No path, or "-": the console's output. Throws UsageError when the file cannot be created.
  ExportOutput(const std::optional<std::string>& path, const Console& console);
  ~ExportOutput();  // removes the unfinished file unless commit() ran
  ExportOutput(const ExportOutput&) = delete;
  ExportOutput& operator=(const ExportOutput&) = delete;

  std::ostream& stream() { return *stream_; }
  bool is_file() const { return final_path_.has_value(); }
  std::string name() const { return final_path_ ? final_path_->string() : "standard output"; }
  // Flushes, and moves the file to its name; throws when the data did not reach the disk.
  void commit();

 private:
  class FileBuffer : public std::streambuf {  // a std::ostream over the console's FILE*
   public:
    explicit FileBuffer(std::FILE* file) : file_(file) {}

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* data, std::streamsize size) override;
    int sync() override;

   private:
    std::FILE* file_;
  };

  std::optional<std::filesystem::path> final_path_, partial_path_;
  std::unique_ptr<std::ostream> stream_;
  std::unique_ptr<FileBuffer> console_buffer_;
  bool committed_ = false;
};

// Warns of a torn last line and of skipped malformed lines, as the other commands do.
void warn_about_input(const std::filesystem::path& file, const reader::ReadReport& read,
                      const Console& console);

}  // namespace spanlog::cli
