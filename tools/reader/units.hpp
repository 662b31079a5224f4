// Durations and numbers as people read and write them: "850 ns", "12.3 µs", "1.52 ms", "2.00 s".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spanlog::reader {

// Three significant digits in the largest unit that keeps the number at or above 1.
std::string human_duration(std::uint64_t ns);
std::string human_duration(double ns);
// Bytes in the largest binary unit that keeps the number at or above 1: "512 B", "64 KiB", "1.5 MiB".
std::string human_bytes(std::uint64_t bytes);
// A number without a useless fraction: 81920, 0.25, 1.5e+20.
std::string human_number(double value);
// "5ms", "5 ms", "1.5s", "250us", "250µs", "10ns": nanoseconds; empty when the text is not a duration.
std::optional<double> parse_duration(std::string_view text);
// A JSON string literal, quotes included.
std::string json_string(std::string_view text);
void append_json_string(std::string& out, std::string_view text);
// A JSON number, or null when not finite.
std::string json_number(double value);

}  // namespace spanlog::reader
