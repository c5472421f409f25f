#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

// A thin layer over libpq: a connection, a result, parameters, and errors that carry the
// SQLSTATE. Every value travels as text, bytea as binary parameters and hex text results. A
// connection is used by one thread at a time.
namespace hookd::pg {

class Error final : public std::runtime_error {
 public:
  Error(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // The connection is gone (class 08, or no SQLSTATE at all: libpq lost the server).
  bool connection_lost() const { return sqlstate_.empty() || sqlstate_.starts_with("08"); }

 private:
  std::string sqlstate_;
};

// A PostgreSQL array literal ({"a","b",NULL}) of `values`; nullopt elements are NULL. With
// `bytea`, each value is written as \x followed by its bytes in hex.
std::string array_literal(const std::vector<std::optional<std::string>>& values,
                          bool bytea = false);

// Positional parameters ($1, $2, ...) in the order they are added.
class Params final {
 public:
  Params& add(std::string_view text);
  Params& add(int64_t value);
  Params& add(int value) { return add(int64_t{value}); }
  Params& add(const std::string& text) { return add(std::string_view(text)); }
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add_bytes(std::string_view bytes);  // a bytea
  Params& add_null();
  // NULL when `text` is empty.
  Params& add_or_null(std::string_view text);
  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Connection;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> formats_;  // 1: binary (bytea)
};

// A statement built piece by piece: param() appends the next placeholder ($1, $2, ...) and binds
// its value, so conditions can be added in any order.
class Sql final {
 public:
  explicit Sql(std::string text = {}) : text_(std::move(text)) {}
  Sql& add(std::string_view text) {
    text_ += text;
    return *this;
  }
  template <typename T>
  Sql& param(const T& value) {
    params_.add(value);
    text_ += "$" + std::to_string(params_.size());
    return *this;
  }
  // Appends `text` followed by the placeholder of `value`, when `when`.
  template <typename T>
  Sql& add_if(bool when, std::string_view text, const T& value) {
    if (when) add(text).param(value);
    return *this;
  }
  // Appends " AND column IN ($i, ...)" for `values`, when there are any.
  Sql& add_in(std::string_view column, const std::vector<std::string>& values);
  const std::string& text() const { return text_; }
  const Params& params() const { return params_; }

 private:
  std::string text_;
  Params params_;
};

class Result final {
 public:
  explicit Result(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  bool null(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string text(int row, int col) const;
  int64_t int64(int row, int col) const;
  std::string bytes(int row, int col) const;  // a bytea column
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t affected() const;
  PGresult* raw() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

class Connection final {
 public:
  // Connects to `url` (postgres://... or key=value); throws Error when it cannot.
  explicit Connection(const std::string& url);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (one statement or several) after what send() queued.
  Result exec(const std::string& sql);
  // Runs `sql` as a prepared statement, prepared on its first use on this connection (up to
  // kMaxPrepared distinct texts; the texts after those run unprepared). Everything send() queued
  // goes to the server with it, in one round trip; the first error among them is thrown.
  Result exec(const std::string& sql, const Params& params);
  // Queues `sql` without waiting for it: it runs, in order, when the next exec() does, and an
  // error it raises is thrown by that exec(). `then`, when given, is called with its result
  // there, before exec() returns (unless a statement before it failed).
  using ResultHandler = std::function<void(const Result&)>;
  void send(const std::string& sql, const Params& params = Params(), ResultHandler then = {});
  // Runs what send() queued now (throwing its first error), if anything.
  void sync() {
    if (!pending_.empty()) flush();
  }
  Result exec(const Sql& sql) { return exec(sql.text(), sql.params()); }
  bool ok() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  // Connects again with the same settings; false when the server is still unreachable.
  bool reset();

  // A NOTIFY this connection LISTENs to.
  struct Notification {
    std::string channel;
    std::string payload;
  };
  // Waits up to `timeout_ms` for notifications and returns those that arrived (maybe none).
  // Throws Error (connection_lost) when the connection broke.
  std::vector<Notification> wait_for_notifications(int timeout_ms);

 private:
  static constexpr size_t kMaxPrepared = 256;
  Result check(PGresult* result);
  void configure_session();
  // The name of `sql`'s prepared statement, preparing it first; nullptr past kMaxPrepared.
  const char* prepared(const std::string& sql, int params);
  std::string next_statement_name() { return "hookd_" + std::to_string(++statements_named_); }
  // Appends `sql` to the pipeline (with its PQsendPrepare when it is new).
  void queue(const std::string& sql, const Params& params, ResultHandler then);
  // Ends the pipeline: reads every queued result and returns the last; throws the first error.
  Result flush();
  Error lost() const;
  Error error_of(const PGresult* result) const;  // the error a failed result reports
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
  std::unordered_map<std::string, std::string> statements_;  // SQL text -> statement name
  uint64_t statements_named_ = 0;
  // A result the pipeline owes: a statement's, or the PQsendPrepare's of `prepare_of`.
  struct Pending {
    std::string prepare_of;
    ResultHandler then;
  };
  std::vector<Pending> pending_;  // in the order they come back
};

// A transaction on `db`, rolled back unless committed.
class Transaction final {
 public:
  // BEGIN goes with the transaction's first statement (Connection::send).
  explicit Transaction(Connection& db) : db_(db) { db_.send("BEGIN"); }
  ~Transaction();
  void commit();

 private:
  Connection& db_;
  bool open_ = true;
};

}  // namespace hookd::pg
