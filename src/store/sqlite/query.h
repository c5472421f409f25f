#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "store/sqlite_db.h"

// The SQLite store's read helper, for the files that hold its reads (queries.cpp, audit_rows.cpp).
// A Query is used by one thread.
namespace hookd::sqlite {

// A read's SQL and its parameters, built condition by condition and then prepared, bound and
// stepped in one place. Text parameters are not copied: what they name must outlive the Query.
class Query final {
 public:
  using Param = std::variant<std::string_view, int64_t>;

  explicit Query(std::string sql) : sql_(std::move(sql)) {}

  Query& add(std::string_view sql) {
    sql_ += sql;
    return *this;
  }
  Query& bind(int index, Param value) {
    params_.emplace_back(index, value);
    return *this;
  }
  // Appends `condition` and binds `value` to its ?index, when `when`.
  Query& add_if(bool when, std::string_view condition, int index, Param value) {
    if (when) add(condition).bind(index, value);
    return *this;
  }

  // Appends " AND column IN (?first, ?first + 1, ...)" binding `values` (NOT IN with `negate`),
  // when there are any.
  Query& add_in(std::string_view column, const std::vector<std::string>& values, int first,
                bool negate = false) {
    if (values.empty()) return *this;
    sql_ += " AND ";
    sql_ += column;
    sql_ += negate ? " NOT IN (" : " IN (";
    for (size_t i = 0; i < values.size(); ++i) {
      const int index = first + static_cast<int>(i);
      sql_ += (i ? ", ?" : "?") + std::to_string(index);
      bind(index, values[i]);
    }
    sql_ += ")";
    return *this;
  }

  // Prepares the statement on `db`, binds the parameters, and returns read_all(statement).
  template <typename ReadAll>
  auto run(sqlite3* db, ReadAll read_all) const {
    Statement st(db, sql_);
    for (const auto& [index, value] : params_) {
      std::visit([&, index = index](auto v) { st.bind(index, v); }, value);
    }
    return read_all(st);
  }
  // Like run, with the connection's cached statement of this SQL (Connection::cached): for the
  // reads that run very often (the journey engine's). The statement is reset afterwards, also
  // when read_all throws, so that it holds no read transaction open.
  template <typename ReadAll>
  auto run(Connection& db, ReadAll read_all) const {
    Statement& st = db.cached(sql_);
    struct Reset {
      Statement& st;
      ~Reset() { st.reset(); }
    } reset{st};
    for (const auto& [index, value] : params_) {
      std::visit([&, index = index](auto v) { st.bind(index, v); }, value);
    }
    return read_all(st);
  }
  // Every row, each made by read(statement).
  template <typename Db, typename Read>
  auto rows(Db&& db, Read read) const {
    return run(db, [&](Statement& st) {
      std::vector<std::invoke_result_t<Read, const Statement&>> out;
      while (st.step()) out.push_back(read(st));
      return out;
    });
  }
  // The first row, if any.
  template <typename Db, typename Read>
  auto first(Db&& db, Read read) const {
    return run(db, [&](Statement& st) {
      std::optional<std::invoke_result_t<Read, const Statement&>> out;
      if (st.step()) out = read(st);
      return out;
    });
  }

 private:
  std::string sql_;
  std::vector<std::pair<int, Param>> params_;
};

inline std::string select(const char* columns, const char* rest) {
  return std::string("SELECT ") + columns + rest;
}

}  // namespace hookd::sqlite
