#include "filter/filter.h"

#include <re2/re2.h>
#include <simdjson.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <variant>
#include <vector>

#include "common/json_limits.h"

namespace hookd {

using nlohmann::json;

namespace {

constexpr size_t kMaxFilterBytes = 16 * 1024;
constexpr int kMaxDepth = 16;
// RE2 runs in time linear in its input and never recurses; these bound the work a filter can
// ask for: the program a pattern compiles to, and the bytes of a value it looks at (a longer
// value is tested on its first kMaxRegexInput bytes).
constexpr size_t kMaxRegexInput = 64 * 1024;
constexpr int64_t kMaxRegexProgramBytes = 64 * 1024;

enum class Op { kEq, kNeq, kGt, kGte, kLt, kLte, kIn, kNin, kExist, kRegex };

std::optional<Op> op_from(std::string_view name) {
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {"$eq", Op::kEq},       {"$neq", Op::kNeq},    {"$gt", Op::kGt}, {"$gte", Op::kGte},
      {"$lt", Op::kLt},       {"$lte", Op::kLte},    {"$in", Op::kIn}, {"$nin", Op::kNin},
      {"$exist", Op::kExist}, {"$regex", Op::kRegex}};
  for (const auto& [n, op] : kOps) {
    if (n == name) return op;
  }
  return std::nullopt;
}

// A scalar of the filter: the payload's values are compared with these.
using Scalar = std::variant<std::nullptr_t, bool, double, std::string>;

std::optional<Scalar> scalar_of(const json& v) {
  if (v.is_null()) return Scalar(nullptr);
  if (v.is_boolean()) return Scalar(v.get<bool>());
  if (v.is_number()) return Scalar(v.get<double>());
  if (v.is_string()) return Scalar(v.get<std::string>());
  return std::nullopt;
}

// The payload's value as a scalar; nullopt for objects and arrays.
std::optional<Scalar> scalar_of(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return Scalar(nullptr);
    case simdjson::dom::element_type::BOOL:
      return Scalar(e.get_bool().value());
    case simdjson::dom::element_type::INT64:
      return Scalar(static_cast<double>(e.get_int64().value()));
    case simdjson::dom::element_type::UINT64:
      return Scalar(static_cast<double>(e.get_uint64().value()));
    case simdjson::dom::element_type::DOUBLE:
      return Scalar(e.get_double().value());
    case simdjson::dom::element_type::STRING:
      return Scalar(std::string(e.get_string().value()));
    default:
      return std::nullopt;
  }
}

// -1, 0, 1, or nullopt when the two are not comparable (different types).
std::optional<int> compare(const Scalar& a, const Scalar& b) {
  if (a.index() != b.index()) return std::nullopt;
  if (std::holds_alternative<double>(a)) {
    const double x = std::get<double>(a), y = std::get<double>(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (std::holds_alternative<std::string>(a)) {
    const int c = std::get<std::string>(a).compare(std::get<std::string>(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (std::holds_alternative<bool>(a)) {
    return static_cast<int>(std::get<bool>(a)) - static_cast<int>(std::get<bool>(b));
  }
  return 0;  // null == null
}

struct Condition {
  Op op = Op::kEq;
  Scalar value;                // $eq $neq $gt $gte $lt $lte
  std::vector<Scalar> values;  // $in $nin
  bool exist = true;           // $exist
  std::shared_ptr<const re2::RE2> regex;
};

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

}  // namespace

struct PayloadDocument::Impl {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool valid = false;
};

PayloadDocument::PayloadDocument(std::string_view payload) : impl_(std::make_unique<Impl>()) {
  auto error = impl_->parser.parse(simdjson::padded_string(payload)).get(impl_->root);
  if (error == simdjson::NUMBER_ERROR && valid_json_allowing_big_numbers(payload)) {
    // Integers beyond 64 bits compare as doubles of their magnitude.
    error = impl_->parser.parse(simdjson::padded_string(big_integers_as_doubles(payload)))
                .get(impl_->root);
  }
  impl_->valid = !error;
}

PayloadDocument::~PayloadDocument() = default;

struct PayloadFilter::Node {
  enum class Kind { kAll, kAny, kNot, kField };
  Kind kind = Kind::kAll;
  std::vector<Node> children;  // kAll, kAny, kNot (one child)
  std::vector<std::string> path;
  std::vector<Condition> conditions;  // kField: all must hold

  bool matches(simdjson::dom::element root) const;
};

namespace {

bool holds(const Condition& c, const std::optional<simdjson::dom::element>& found) {
  if (c.op == Op::kExist) return found.has_value() == c.exist;
  if (!found) return c.op == Op::kNeq || c.op == Op::kNin;  // absent is "not equal"
  const simdjson::dom::element value = *found;
  // An array matches when one of its elements does ($neq and $nin: when none does).
  if (value.is_array()) {
    bool any = false;
    Condition positive = c;
    if (c.op == Op::kNeq) positive.op = Op::kEq;
    if (c.op == Op::kNin) positive.op = Op::kIn;
    simdjson::dom::array items;  // a named array: a temporary's would not outlive the loop
    if (value.get_array().get(items)) return false;
    for (simdjson::dom::element item : items) {
      if (holds(positive, item)) {
        any = true;
        break;
      }
    }
    return (c.op == Op::kNeq || c.op == Op::kNin) ? !any : any;
  }
  const auto scalar = scalar_of(value);
  if (!scalar) return c.op == Op::kNeq || c.op == Op::kNin;  // objects equal no scalar
  switch (c.op) {
    case Op::kEq:
      return compare(*scalar, c.value) == 0;
    case Op::kNeq:
      return compare(*scalar, c.value) != 0;
    case Op::kGt:
    case Op::kGte:
    case Op::kLt:
    case Op::kLte: {
      const auto r = compare(*scalar, c.value);
      if (!r) return false;
      if (c.op == Op::kGt) return *r > 0;
      if (c.op == Op::kGte) return *r >= 0;
      if (c.op == Op::kLt) return *r < 0;
      return *r <= 0;
    }
    case Op::kIn:
    case Op::kNin: {
      bool in = false;
      for (const auto& v : c.values) in = in || compare(*scalar, v) == 0;
      return c.op == Op::kIn ? in : !in;
    }
    case Op::kRegex: {
      if (!std::holds_alternative<std::string>(*scalar)) return false;
      const auto& text = std::get<std::string>(*scalar);
      const std::string_view view(text.data(), std::min(text.size(), kMaxRegexInput));
      return re2::RE2::PartialMatch(view, *c.regex);
    }
    case Op::kExist:
      break;
  }
  return false;
}

// RE2 syntax (docs/endpoint-options.md, "Filters"): no backreferences or lookaround, which are
// what make a backtracking engine exponential.
std::shared_ptr<const re2::RE2> compile_regex(const std::string& where,
                                              const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxRegexProgramBytes * 8);
  auto regex = std::make_shared<const re2::RE2>(pattern, options);
  if (!regex->ok()) {
    throw std::runtime_error(where + ": $regex: invalid pattern (" + regex->error() +
                             "; the syntax is RE2's: no backreferences or lookaround)");
  }
  if (regex->ProgramSize() > kMaxRegexProgramBytes / 16) {
    throw std::runtime_error(where + ": $regex: pattern too complex");
  }
  return regex;
}

// Compiles one level; throws std::runtime_error with the message for the 422.
void compile_object(const json& object, PayloadFilter::Node& node, int depth);

Condition compile_condition(const std::string& where, const std::string& name, const json& v) {
  const auto op = op_from(name);
  if (!op) throw std::runtime_error(where + ": unknown operator " + name);
  Condition c;
  c.op = *op;
  switch (*op) {
    case Op::kIn:
    case Op::kNin:
      if (!v.is_array() || v.empty() || v.size() > 1000) {
        throw std::runtime_error(where + ": " + name + " needs an array of 1 to 1000 values");
      }
      for (const auto& item : v) {
        auto s = scalar_of(item);
        if (!s) throw std::runtime_error(where + ": " + name + " values must be scalars");
        c.values.push_back(*s);
      }
      break;
    case Op::kExist:
      if (!v.is_boolean()) throw std::runtime_error(where + ": $exist needs true or false");
      c.exist = v.get<bool>();
      break;
    case Op::kRegex:
      if (!v.is_string() || v.get<std::string>().size() > 256) {
        throw std::runtime_error(where + ": $regex needs a pattern of at most 256 characters");
      }
      c.regex = compile_regex(where, v.get<std::string>());
      break;
    case Op::kGt:
    case Op::kGte:
    case Op::kLt:
    case Op::kLte:
      if (!v.is_number() && !v.is_string()) {
        throw std::runtime_error(where + ": " + name + " needs a number or a string");
      }
      c.value = *scalar_of(v);
      break;
    default: {
      auto s = scalar_of(v);
      if (!s) throw std::runtime_error(where + ": " + name + " needs a scalar value");
      c.value = *s;
    }
  }
  return c;
}

void compile_list(const json& list, PayloadFilter::Node& node, const std::string& name, int depth) {
  if (!list.is_array() || list.empty()) {
    throw std::runtime_error(name + " needs a non-empty array of filters");
  }
  for (const auto& item : list) {
    PayloadFilter::Node child;
    compile_object(item, child, depth + 1);
    node.children.push_back(std::move(child));
  }
}

void compile_object(const json& object, PayloadFilter::Node& node, int depth) {
  if (depth > kMaxDepth) throw std::runtime_error("nested deeper than 16 levels");
  if (!object.is_object()) throw std::runtime_error("each filter must be a JSON object");
  node.kind = PayloadFilter::Node::Kind::kAll;
  for (const auto& [key, value] : object.items()) {
    PayloadFilter::Node child;
    if (key == "$and" || key == "$or") {
      child.kind =
          key == "$and" ? PayloadFilter::Node::Kind::kAll : PayloadFilter::Node::Kind::kAny;
      compile_list(value, child, key, depth);
    } else if (key == "$not") {
      child.kind = PayloadFilter::Node::Kind::kNot;
      PayloadFilter::Node inner;
      compile_object(value, inner, depth + 1);
      child.children.push_back(std::move(inner));
    } else if (!key.empty() && key[0] == '$') {
      throw std::runtime_error("unknown operator " + key + " (use it on a field)");
    } else {
      child.kind = PayloadFilter::Node::Kind::kField;
      if (key.empty() || key.front() == '.' || key.back() == '.' ||
          key.find("..") != std::string::npos) {
        throw std::runtime_error("\"" + key + "\": not a field path like data.city");
      }
      child.path = split_path(key);
      const bool operators =
          value.is_object() && !value.empty() && value.begin().key().starts_with("$");
      if (operators) {
        for (const auto& [name, operand] : value.items()) {
          child.conditions.push_back(compile_condition(key, name, operand));
        }
      } else {
        child.conditions.push_back(compile_condition(key, "$eq", value));  // a bare value
      }
    }
    node.children.push_back(std::move(child));
  }
}

}  // namespace

bool PayloadFilter::Node::matches(simdjson::dom::element root) const {
  switch (kind) {
    case Kind::kAll:
      for (const auto& c : children) {
        if (!c.matches(root)) return false;
      }
      return true;
    case Kind::kAny:
      for (const auto& c : children) {
        if (c.matches(root)) return true;
      }
      return false;
    case Kind::kNot:
      return !children.front().matches(root);
    case Kind::kField: {
      std::optional<simdjson::dom::element> found = root;
      for (const auto& segment : path) {
        simdjson::dom::element next;
        if (!found->is_object() || found->get_object().value()[segment].get(next)) {
          found.reset();
          break;
        }
        found = next;
      }
      for (const auto& c : conditions) {
        if (!holds(c, found)) return false;
      }
      return true;
    }
  }
  return false;
}

PayloadFilter::PayloadFilter() : root_(std::make_unique<Node>()) {}
PayloadFilter::~PayloadFilter() = default;

PayloadFilter::Compiled PayloadFilter::compile(std::string_view text) {
  if (text.size() > kMaxFilterBytes) return Problem{"filter", "larger than 16 KiB"};
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Problem{"filter", "must be a JSON object of conditions"};
  }
  std::shared_ptr<PayloadFilter> filter(new PayloadFilter());
  try {
    compile_object(doc, *filter->root_, 0);
  } catch (const std::exception& e) {
    return Problem{"filter", e.what()};
  }
  return std::shared_ptr<const PayloadFilter>(std::move(filter));
}

bool PayloadFilter::matches(const PayloadDocument& payload) const {
  return payload.impl().valid && root_->matches(payload.impl().root);
}

bool PayloadFilter::matches(std::string_view payload) const {
  return matches(PayloadDocument(payload));
}

}  // namespace hookd
