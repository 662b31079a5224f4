#include <fmt/format.h>

#include "history/store.hpp"
#include "reader/run_location.hpp"

namespace spanlog::history {

std::string default_target() {
  return (reader::spanlog_dir() / "history.sqlite").string();
}

std::unique_ptr<Store> open_store(const std::string& target, OpenMode mode) {
  if (target.rfind("postgresql://", 0) == 0 || target.rfind("postgres://", 0) == 0)
    return open_postgresql(target);
  if (target.empty()) throw HistoryError("--db: empty target");
  return open_sqlite(target, mode);
}

}  // namespace spanlog::history
