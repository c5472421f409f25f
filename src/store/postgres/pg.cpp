#include "store/postgres/pg.h"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

namespace hookd::pg {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string array_literal(const std::vector<std::optional<std::string>>& values, bool bytea) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    if (bytea) {
      out += "\\\\x";  // \\x in the literal: the element's text is \x
      for (const unsigned char c : *values[i]) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    } else {
      for (const char c : *values[i]) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
    }
    out += '"';
  }
  return out + "}";
}

Params& Params::add(std::string_view text) {
  values_.emplace_back(text);
  null_.push_back(false);
  formats_.push_back(0);
  return *this;
}

Params& Params::add(int64_t value) { return add(std::to_string(value)); }

Params& Params::add_bytes(std::string_view bytes) {
  add(bytes);
  formats_.back() = 1;
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back();
  null_.push_back(true);
  formats_.push_back(0);
  return *this;
}

Params& Params::add_or_null(std::string_view text) { return text.empty() ? add_null() : add(text); }

Sql& Sql::add_in(std::string_view column, const std::vector<std::string>& values) {
  if (values.empty()) return *this;
  add(" AND ").add(column).add(" IN (");
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) add(", ");
    param(values[i]);
  }
  return add(")");
}

std::string Result::text(int row, int col) const {
  return std::string(PQgetvalue(result_.get(), row, col),
                     static_cast<size_t>(PQgetlength(result_.get(), row, col)));
}

int64_t Result::int64(int row, int col) const {
  const char* v = PQgetvalue(result_.get(), row, col);
  int64_t out = 0;
  std::from_chars(v, v + PQgetlength(result_.get(), row, col), out);
  return out;
}

std::string Result::bytes(int row, int col) const {
  // Text results show bytea as \x followed by hex digits.
  const char* v = PQgetvalue(result_.get(), row, col);
  const size_t n = static_cast<size_t>(PQgetlength(result_.get(), row, col));
  if (n < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v, n);
  std::string out;
  out.reserve((n - 2) / 2);
  for (size_t i = 2; i + 1 < n; i += 2) {
    out.push_back(static_cast<char>(hex_value(v[i]) * 16 + hex_value(v[i + 1])));
  }
  return out;
}

int64_t Result::affected() const {
  const char* n = PQcmdTuples(result_.get());
  int64_t out = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

Connection::Connection(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
  if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    throw Error("08001", std::string("cannot connect to PostgreSQL: ") +
                             (conn_ ? PQerrorMessage(conn_.get()) : "out of memory"));
  }
  configure_session();
}

// synchronous_commit=on: a commit returns once its WAL is flushed. force_custom_plan: the batched
// statements take arrays whose length the planner sees only when it plans with their values (a
// generic plan expects a few rows and hash-joins a whole table); prepared statements still save
// the parsing.
void Connection::configure_session() {
  exec("SET synchronous_commit = on");
  exec("SET client_min_messages = warning");
  exec("SET plan_cache_mode = force_custom_plan");
}

bool Connection::reset() {
  statements_.clear();  // a new session: its statements are prepared again
  pending_.clear();
  PQreset(conn_.get());
  if (!ok()) return false;
  try {
    configure_session();
  } catch (const Error&) {
    return false;
  }
  return true;
}

std::vector<Connection::Notification> Connection::wait_for_notifications(int timeout_ms) {
  std::vector<Notification> out;
  pollfd fd{PQsocket(conn_.get()), POLLIN, 0};
  if (fd.fd < 0) throw Error("08006", "the connection is closed");
  if (poll(&fd, 1, timeout_ms) < 0 && errno != EINTR) {
    throw Error("08006", std::string("poll: ") + std::strerror(errno));
  }
  if (!PQconsumeInput(conn_.get())) throw Error("08006", PQerrorMessage(conn_.get()));
  while (PGnotify* n = PQnotifies(conn_.get())) {
    out.push_back({n->relname, n->extra ? n->extra : ""});
    PQfreemem(n);
  }
  return out;
}

Result Connection::exec(const std::string& sql) {
  if (!pending_.empty()) flush();  // `sql` may hold several statements: the simple protocol
  return check(PQexec(conn_.get(), sql.c_str()));
}

namespace {

// The C arrays libpq takes for a statement's parameters.
struct Args {
  explicit Args(const std::vector<std::string>& v, const std::vector<bool>& null)
      : values(v.size()), lengths(v.size()) {
    for (size_t i = 0; i < v.size(); ++i) {
      values[i] = null[i] ? nullptr : v[i].data();
      lengths[i] = static_cast<int>(v[i].size());
    }
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
};

}  // namespace

Result Connection::exec(const std::string& sql, const Params& params) {
  if (!pending_.empty()) {
    queue(sql, params, {});
    return flush();
  }
  const Args args(params.values_, params.null_);
  if (const char* name = prepared(sql, params.size())) {
    return check(PQexecPrepared(conn_.get(), name, params.size(), args.values.data(),
                                args.lengths.data(), params.formats_.data(), 0));
  }
  return check(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, args.values.data(),
                            args.lengths.data(), params.formats_.data(), 0));
}

void Connection::send(const std::string& sql, const Params& params, ResultHandler then) {
  if (PQpipelineStatus(conn_.get()) == PQ_PIPELINE_OFF && !PQenterPipelineMode(conn_.get())) {
    throw lost();
  }
  queue(sql, params, std::move(then));
}

const char* Connection::prepared(const std::string& sql, int params) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second.c_str();
  if (statements_.size() >= kMaxPrepared) return nullptr;
  std::string name = next_statement_name();
  check(PQprepare(conn_.get(), name.c_str(), sql.c_str(), params, nullptr));
  return statements_.emplace(sql, std::move(name)).first->second.c_str();
}

void Connection::queue(const std::string& sql, const Params& params, ResultHandler then) {
  const Args args(params.values_, params.null_);
  const char* name = nullptr;
  if (auto it = statements_.find(sql); it != statements_.end()) {
    name = it->second.c_str();
  } else if (statements_.size() < kMaxPrepared) {
    std::string fresh = next_statement_name();
    if (!PQsendPrepare(conn_.get(), fresh.c_str(), sql.c_str(), params.size(), nullptr)) {
      throw lost();
    }
    pending_.push_back({sql, {}});
    name = statements_.emplace(sql, std::move(fresh)).first->second.c_str();
  }
  const int sent =
      name ? PQsendQueryPrepared(conn_.get(), name, params.size(), args.values.data(),
                                 args.lengths.data(), params.formats_.data(), 0)
           : PQsendQueryParams(conn_.get(), sql.c_str(), params.size(), nullptr, args.values.data(),
                               args.lengths.data(), params.formats_.data(), 0);
  if (!sent) throw lost();
  pending_.push_back({"", std::move(then)});
}

Result Connection::flush() {
  std::vector<Pending> pending = std::move(pending_);
  pending_.clear();
  if (!PQpipelineSync(conn_.get())) throw lost();
  std::optional<Error> first_error;
  std::vector<Result> results;
  results.reserve(pending.size());
  for (const Pending& p : pending) {
    Result result(PQgetResult(conn_.get()));
    if (!result.raw()) throw lost();
    if (PGresult* extra = PQgetResult(conn_.get())) {  // each result ends with a NULL
      PQclear(extra);
      throw lost();
    }
    const ExecStatusType status = PQresultStatus(result.raw());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (!p.prepare_of.empty()) statements_.erase(p.prepare_of);  // not prepared after all
      if (!first_error && status != PGRES_PIPELINE_ABORTED) first_error = error_of(result.raw());
    }
    results.push_back(std::move(result));
  }
  Result sync(PQgetResult(conn_.get()));
  if (!sync.raw() || PQresultStatus(sync.raw()) != PGRES_PIPELINE_SYNC ||
      !PQexitPipelineMode(conn_.get())) {
    throw lost();
  }
  if (first_error) throw *first_error;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].then) pending[i].then(results[i]);
  }
  return std::move(results.back());
}

Error Connection::lost() const {
  return Error("08006", std::string("the connection broke: ") + PQerrorMessage(conn_.get()));
}

Result Connection::check(PGresult* raw) {
  Result result(raw);
  const ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  throw error_of(raw);
}

Error Connection::error_of(const PGresult* raw) const {
  const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = raw ? PQresultErrorMessage(raw) : "";
  if (message.empty()) message = PQerrorMessage(conn_.get());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Error(state ? state : "", message);
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    db_.exec("ROLLBACK", Params());
  } catch (const Error&) {
    // The connection is gone: the server rolled back already.
  }
}

void Transaction::commit() {
  db_.exec("COMMIT", Params());  // with whatever send() queued, in one round trip
  open_ = false;
}

}  // namespace hookd::pg
