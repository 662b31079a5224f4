// A list of span-name patterns, as SPANLOG_STATS_NAMES gives it: comma-separated globs where `*` stands for
// any run of characters and `?` for one ("kv.*,block.read"). The flusher asks once per call site.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

class NamePatterns {
 public:
  NamePatterns() = default;
  explicit NamePatterns(std::string_view list) {
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      std::string_view one = list.substr(0, comma);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (!one.empty()) globs_.emplace_back(one);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }

  bool empty() const { return globs_.empty(); }

  bool matches(std::string_view name) const {
    for (const std::string& glob : globs_)
      if (glob_matches(glob, name)) return true;
    return false;
  }

 private:
  // Iterative, with one backtracking point (the last `*`): linear in practice, never exponential.
  static bool glob_matches(std::string_view glob, std::string_view name) {
    std::size_t g = 0, n = 0;
    std::size_t star = std::string_view::npos, resume = 0;
    while (n < name.size()) {
      if (g < glob.size() && (glob[g] == '?' || glob[g] == name[n])) {
        ++g;
        ++n;
      } else if (g < glob.size() && glob[g] == '*') {
        star = g++;
        resume = n;
      } else if (star != std::string_view::npos) {
        g = star + 1;
        n = ++resume;
      } else {
        return false;
      }
    }
    while (g < glob.size() && glob[g] == '*') ++g;
    return g == glob.size();
  }

  std::vector<std::string> globs_;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
