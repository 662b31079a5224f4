// A connection to a history database, SQLite or PostgreSQL, behind one small interface: statements, queries
// with text parameters, and bulk appends of rows (prepared inserts in SQLite, COPY in PostgreSQL). The
// loader, the views and `spanlog query` are written once against it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spanlog::history {

// A target that cannot be opened or reached, a schema it cannot use, or a failed statement: exit status 2.
class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Dialect { sqlite, postgresql };

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;  // empty optional: SQL NULL
};

// Rows appended to one table, value by value in the order of the columns given to Store::append_rows.
class RowAppender {
 public:
  virtual ~RowAppender() = default;
  virtual void integer(std::int64_t value) = 0;
  virtual void real(double value) = 0;
  virtual void text(std::string_view value) = 0;
  virtual void null() = 0;
  virtual void end_row() = 0;
  // Sends what is buffered; the appender is not used afterwards.
  virtual void finish() = 0;

  void optional_integer(const std::optional<std::int64_t>& value) { value ? integer(*value) : null(); }
  void optional_real(const std::optional<double>& value) { value ? real(*value) : null(); }
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Dialect dialect() const = 0;
  // What the user named, without a password, for messages.
  virtual const std::string& display_name() const = 0;
  // One or more statements without results.
  virtual void execute(std::string_view sql) = 0;
  // A statement with $1, $2, ... bound to `params` in order.
  virtual QueryResult query(std::string_view sql, const std::vector<std::string>& params = {}) = 0;
  virtual std::unique_ptr<RowAppender> append_rows(std::string_view table,
                                                   const std::vector<std::string_view>& columns) = 0;
  // A write transaction that waits for other writers (SQLite: BEGIN IMMEDIATE).
  virtual void begin_write() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;
};

// Whether a missing SQLite file is created (loading) or an error (reading: a mistyped path must not leave an
// empty database behind).
enum class OpenMode { existing, create };

// "postgresql://..." or "postgres://..." connects through libpq; anything else is a SQLite file (with
// OpenMode::create, created when missing, with its directory). Throws HistoryError naming the target.
std::unique_ptr<Store> open_store(const std::string& target, OpenMode mode = OpenMode::existing);
// $SPANLOG_DIR/history.sqlite
std::string default_target();

std::unique_ptr<Store> open_sqlite(const std::string& path, OpenMode mode);
std::unique_ptr<Store> open_postgresql(const std::string& url);

}  // namespace spanlog::history
