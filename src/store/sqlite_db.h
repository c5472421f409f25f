#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

// Thin RAII wrappers over the SQLite C API, used by the SQLite store only.
namespace hookd::sqlite {

// Configures the SQLite library once per process, before anything initializes it: without
// memory statistics, which take a process-wide mutex on every SQLite allocation (each
// connection here is used by one thread at a time, so nothing else needs that lock), and with
// the page cache of store/page_cache.h. Called by Connection and by VFS registration; harmless
// when SQLite was initialized earlier.
void initialize_library();

class Error final : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Statement final {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binding is 1-based, like SQLite. Text and blobs are bound without copying: the bound
  // memory must outlive the step.
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind(int index, int64_t value);
  Statement& bind_null(int index);

  // Returns true while a row is available. Throws Error on failure.
  bool step();
  // Runs the statement to completion and resets it.
  void run();
  void reset();

  int64_t column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string column_text(int col) const;
  bool column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  double column_double(int col) const { return sqlite3_column_double(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection final {
 public:
  // `vfs`: the name of a registered SQLite VFS, or nullptr for the default.
  explicit Connection(const std::string& path, const char* vfs = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const char* sql);
  sqlite3* handle() const { return db_; }
  // A prepared statement kept for the connection's lifetime, reset and ready to bind. For
  // queries that run often; the SQL text is the key.
  Statement& cached(const std::string& sql);
  int changes() const { return sqlite3_changes(db_); }

 private:
  std::map<std::string, std::unique_ptr<Statement>> statements_;
  sqlite3* db_ = nullptr;  // declared last: closed after the statements are finalized
};

// BEGIN IMMEDIATE, COMMIT and ROLLBACK, prepared once for a connection, so that a transaction
// costs no statement preparation. Used by the thread that uses the connection.
struct TransactionStatements final {
  explicit TransactionStatements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"), commit(db, "COMMIT"), rollback(db, "ROLLBACK") {}

  Statement begin, commit, rollback;
};

// A write transaction that rolls back unless it was committed, including when an exception
// leaves its scope. Same thread as its connection.
class Transaction final {
 public:
  explicit Transaction(TransactionStatements& statements) : statements_(statements) {
    statements_.begin.run();
  }
  ~Transaction() {
    if (committed_) return;
    try {
      statements_.rollback.run();
    } catch (const Error&) {
      // SQLite rolled the transaction back itself (after an I/O or memory error).
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Throws Error when the commit fails; the destructor then rolls back.
  void commit() {
    statements_.commit.run();
    committed_ = true;
  }

 private:
  TransactionStatements& statements_;
  bool committed_ = false;
};

}  // namespace hookd::sqlite
