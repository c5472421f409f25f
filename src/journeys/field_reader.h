#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem.h"
#include "journeys/definition.h"

// Internal to journeys/: reading the members of one JSON object of a journey definition, refusing
// what does not fit with a Problem that names the field. Refusing throws Refusal, which
// parse_journey_definition catches: parsing stops at the first problem, and no exception leaves
// the module.
namespace hookd::journey_parse {

using nlohmann::json;

struct Refusal {
  Problem problem;
};

class FieldReader final {
 public:
  // `path`: where the object sits ("" for the definition, "nodes[2]", "nodes[2].activities[1]");
  // `local`: how details name the object within its node ("" or "activities[1]").
  FieldReader(const json& object, std::string path, std::string local = {});

  // From now on details start with `subject` (`node "wait": `).
  void set_subject(std::string subject) { subject_ = std::move(subject); }
  const std::string& subject() const { return subject_; }

  // Refuses the first member not in `allowed`; `what` names the object ("a waitFor node").
  void allow_only(std::initializer_list<std::string_view> allowed, std::string_view what) const;

  // The member, or nullptr when it is absent or null.
  const json* find(std::string_view key) const;
  const json& require(std::string_view key) const;

  // Lengths count characters (code points), not bytes.
  std::optional<std::string> text(std::string_view key, size_t min_chars, size_t max_chars) const;
  std::string required_text(std::string_view key, size_t min_chars, size_t max_chars) const;
  bool flag(std::string_view key) const;  // false when absent
  std::optional<JourneyFilter> filter(std::string_view key) const;
  int64_t duration(std::string_view key) const;  // required
  // Param or attribute names: an array of at most `max_items` distinct names (is_param_name).
  std::vector<std::string> names(std::string_view key, size_t max_items) const;
  JourneyLink link(std::string_view key, bool required) const;

  // "nodes[2].within"
  std::string path_of(std::string_view key) const;
  // Throws Refusal{path_of(key), subject + local name of key + " " + what_is_wrong}; an empty
  // key refuses the object itself.
  [[noreturn]] void refuse(std::string_view key, const std::string& what_is_wrong) const;

 private:
  const json& object_;
  std::string path_;
  std::string local_;
  std::string subject_;
};

// 1..128 of A-Z a-z 0-9 _ . - (correlationKey, params, attributes).
bool is_param_name(std::string_view name);
// The value as JSON, cut short after 40 characters: a detail's `got "0s"`.
std::string excerpt(const json& value);
std::string excerpt(const std::string& text);

}  // namespace hookd::journey_parse
