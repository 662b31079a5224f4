// The smallest program: one span, one counter. Run it, then `spanlog summary`.
// The one file of the program that compiles spanlog's implementation; every other file only includes the
// header (or the program links the build's spanlog library and defines nothing).
#define SPANLOG_IMPLEMENTATION
#include <spanlog/spanlog.hpp>

#include <string>

static std::size_t parse(const std::string& doc) {
  SPANLOG_SPAN("parse", "bytes", doc.size());
  SPANLOG_COUNTER_ADD("bytes.parsed", doc.size());
  std::size_t words = 1;
  for (char c : doc) words += c == ' ';
  return words;
}

int main() {
  std::size_t words = 0;
  for (int i = 0; i < 1000; ++i) words += parse("the quick brown fox jumps over the lazy dog");
  return words == 9000 ? 0 : 1;
}
