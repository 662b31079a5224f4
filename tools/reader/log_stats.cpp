#include "reader/log_stats.hpp"

#include <algorithm>
#include <numeric>

namespace spanlog::reader {

void LogStats::add(const LogRecord& r) {
  ++counts_[static_cast<std::size_t>(r.level)];
  if (r.level < kSitesFrom) return;
  auto it = sites_.find(SiteView{r.level, r.site_file, r.site_line});
  if (it == sites_.end()) {
    LogSite fresh;
    fresh.level = r.level;
    fresh.file = std::string(r.site_file);
    fresh.line = r.site_line;
    it = sites_.emplace(SiteKey{r.level, fresh.file, r.site_line}, std::move(fresh)).first;
  }
  LogSite& site = it->second;
  ++site.count;
  // Of two lines of one time, the later in the file is the more recent.
  if (r.ts >= site.last_ts) {
    site.last_ts = r.ts;
    site.last_message.assign(r.message);
  }
}

std::uint64_t LogStats::total() const {
  return std::accumulate(counts_.begin(), counts_.end(), std::uint64_t{0});
}

std::vector<const LogSite*> LogStats::sites_by_count(LogLevel level) const {
  std::vector<const LogSite*> sites;
  for (const auto& [key, site] : sites_)
    if (site.level == level) sites.push_back(&site);
  // The map's order is file and line: a stable sort keeps it among equal counts.
  std::stable_sort(sites.begin(), sites.end(),
                   [](const LogSite* a, const LogSite* b) { return a->count > b->count; });
  return sites;
}

}  // namespace spanlog::reader
