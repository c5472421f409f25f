#include "store/sqlite_db.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "store/page_cache.h"

namespace hookd::sqlite {

void initialize_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    // SQLITE_MISUSE when the library was initialized already: it then keeps its statistics.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (!install_page_cache()) {
      spdlog::warn("store: SQLite started before hookd configured it: default page cache");
    }
    sqlite3_initialize();
  });
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    throw Error(rc,
                std::string("prepare failed: ") + sqlite3_errmsg(db) + " in: " + std::string(sql));
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const std::string message = sqlite3_errmsg(db_);
  sqlite3_reset(stmt_);
  throw Error(rc, message);
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::column_text(int col) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  const int size = sqlite3_column_bytes(stmt_, col);
  return data ? std::string(data, static_cast<size_t>(size)) : std::string();
}

Connection::Connection(const std::string& path, const char* vfs) {
  initialize_library();
  const int rc = sqlite3_open_v2(
      path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw Error(rc, "cannot open " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Statement& Connection::cached(const std::string& sql) {
  auto& slot = statements_[sql];
  if (!slot) {
    slot = std::make_unique<Statement>(db_, sql);
  } else {
    slot->reset();
  }
  return *slot;
}

void Connection::exec(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw Error(rc, message);
  }
}

}  // namespace hookd::sqlite
