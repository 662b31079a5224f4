// What a summary knows of the log lines of its runs: how many at each level, and, at warn and error, each
// call site's count and most recent message. The file holds messages, not their formats, so the site stands
// for the message ("retrying {url}" at src/fetch.cpp:88 is one row whatever the url). Memory grows with the
// sites, not with the lines.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "reader/records.hpp"

namespace spanlog::reader {

struct LogSite {
  LogLevel level = LogLevel::warn;
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t count = 0;
  std::uint64_t last_ts = 0;  // of the most recent line, by ts
  std::string last_message;
};

class LogStats {
 public:
  // Sites are kept from this level up: below it, lines are only counted.
  static constexpr LogLevel kSitesFrom = LogLevel::warn;

  void add(const LogRecord& r);
  std::uint64_t count(LogLevel level) const { return counts_[static_cast<std::size_t>(level)]; }
  std::uint64_t total() const;
  // The sites of one level (warn or error), most lines first, then by file and line.
  std::vector<const LogSite*> sites_by_count(LogLevel level) const;

 private:
  struct SiteKey {
    LogLevel level;
    std::string file;
    std::uint64_t line;
  };
  struct SiteView {
    LogLevel level;
    std::string_view file;
    std::uint64_t line;
  };
  // By level, file and line; a line's site is looked up by view, so that a site seen before costs no copy.
  struct SiteOrder {
    using is_transparent = void;
    template <class Key>
    static std::tuple<LogLevel, std::string_view, std::uint64_t> fields(const Key& key) {
      return {key.level, key.file, key.line};
    }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return fields(a) < fields(b);
    }
  };

  std::array<std::uint64_t, kLogLevels> counts_{};
  std::map<SiteKey, LogSite, SiteOrder> sites_;
};

}  // namespace spanlog::reader
