#pragma once

#include <optional>
#include <string>
#include <utility>

// How code below the API layer says why it refuses an input: a Problem names the field and
// what is wrong with it. A function that only checks returns std::optional<Problem>; one that
// makes something from the input returns Checked<T>, the thing or the problem. The API turns a
// Problem into a 422 (api::validation_error), the config loader into a start-up error.
// Plain values: any thread.
namespace hookd {

struct Problem {
  std::string field;   // the input field, dotted ("filter", "webhook-signature"); empty: the
                       // input as a whole
  std::string detail;  // what is wrong, in words for the person who sent it

  // "field: detail", or the detail alone when no field is named.
  std::string message() const { return field.empty() ? detail : field + ": " + detail; }
  // The same problem seen from the input that holds this one: {"", "10.0.0.0/33: bad prefix"}
  // under "ssrf_allow" reads "ssrf_allow: 10.0.0.0/33: bad prefix".
  Problem under(const std::string& outer) const {
    return {field.empty() ? outer : outer + "." + field, detail};
  }
};

// A value made from input, or the Problem that kept it from being made.
template <class T>
class Checked {
 public:
  Checked(T value) : value_(std::move(value)) {}              // NOLINT: implicit on purpose
  Checked(Problem problem) : problem_(std::move(problem)) {}  // NOLINT: implicit on purpose

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Only when ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  // Only when !ok().
  const Problem& problem() const { return problem_; }

 private:
  std::optional<T> value_;
  Problem problem_;
};

}  // namespace hookd
