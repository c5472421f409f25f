#include "journeys/field_reader.h"

#include <algorithm>
#include <limits>

#include "journeys/duration.h"

namespace hookd::journey_parse {

namespace {

constexpr size_t kQuotedMax = 40;
constexpr size_t kMaxParamName = 128;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

size_t char_count(std::string_view utf8) {
  return static_cast<size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return !is_continuation(c); }));
}

// At most `max` bytes of `text`, cut before a character rather than inside one, so that the
// detail stays valid UTF-8 (the API renders it into JSON).
std::string clip(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  while (max > 0 && is_continuation(text[max])) --max;
  return std::string(text.substr(0, max)) + "...";
}

std::string joined(const std::string& outer, std::string_view inner) {
  if (outer.empty()) return std::string(inner);
  if (inner.empty()) return outer;
  return outer + "." + std::string(inner);
}

std::string indexed(std::string_view key, size_t index) {
  return std::string(key) + "[" + std::to_string(index) + "]";
}

}  // namespace

bool is_param_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxParamName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

std::string excerpt(const json& value) {
  return clip(value.dump(-1, ' ', false, json::error_handler_t::replace), kQuotedMax);
}

std::string excerpt(const std::string& text) { return excerpt(json(text)); }

FieldReader::FieldReader(const json& object, std::string path, std::string local)
    : object_(object), path_(std::move(path)), local_(std::move(local)) {}

std::string FieldReader::path_of(std::string_view key) const { return joined(path_, key); }

void FieldReader::refuse(std::string_view key, const std::string& what_is_wrong) const {
  const std::string name = joined(local_, key);
  throw Refusal{{path_of(key), subject_ + (name.empty() ? "" : name + " ") + what_is_wrong}};
}

void FieldReader::allow_only(std::initializer_list<std::string_view> allowed,
                             std::string_view what) const {
  for (const auto& [key, value] : object_.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string names;
    for (const auto name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
    refuse(clip(key, 64),
           "is not a field of " + std::string(what) + " (expected one of: " + names + ")");
  }
}

const json* FieldReader::find(std::string_view key) const {
  const auto it = object_.find(key);
  return it == object_.end() || it->is_null() ? nullptr : &*it;
}

const json& FieldReader::require(std::string_view key) const {
  const json* value = find(key);
  if (value == nullptr) refuse(key, "is required");
  return *value;
}

std::optional<std::string> FieldReader::text(std::string_view key, size_t min_chars,
                                             size_t max_chars) const {
  const json* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) refuse(key, "must be a string, got " + excerpt(*value));
  const auto& text = value->get_ref<const std::string&>();
  const size_t chars = char_count(text);
  if (chars < min_chars) {
    refuse(key, min_chars == 1 ? std::string("must not be empty")
                               : "must be at least " + std::to_string(min_chars) + " characters");
  }
  if (chars > max_chars) {
    refuse(key, "must be at most " + std::to_string(max_chars) + " characters, got " +
                    std::to_string(chars));
  }
  return text;
}

std::string FieldReader::required_text(std::string_view key, size_t min_chars,
                                       size_t max_chars) const {
  (void)require(key);
  return *text(key, min_chars, max_chars);
}

bool FieldReader::flag(std::string_view key) const {
  const json* value = find(key);
  if (value == nullptr) return false;
  if (!value->is_boolean()) refuse(key, "must be true or false, got " + excerpt(*value));
  return value->get<bool>();
}

std::optional<JourneyFilter> FieldReader::filter(std::string_view key) const {
  const json* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_object())
    refuse(key, "must be a JSON object of conditions, got " + excerpt(*value));
  std::string text = value->dump(-1, ' ', false, json::error_handler_t::replace);
  auto compiled = PayloadFilter::compile(text);
  if (!compiled) {
    // The filter's problem names the field "filter"; here its place in the definition does.
    const Problem inner{"", subject_ + joined(local_, key) + ": " + compiled.problem().detail};
    throw Refusal{inner.under(path_of(key))};
  }
  return JourneyFilter{std::move(text), std::move(compiled).value()};
}

int64_t FieldReader::duration(std::string_view key) const {
  const json& value = require(key);
  JourneyDuration parsed;
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    parsed.check = DurationCheck::kTooLarge;
  } else if (value.is_number_integer()) {
    parsed.ms = value.get<int64_t>();
    parsed.check = check_journey_duration_ms(parsed.ms);
  } else if (value.is_string()) {
    parsed = parse_journey_duration(value.get_ref<const std::string&>());
  }
  switch (parsed.check) {
    case DurationCheck::kOk:
      return parsed.ms;
    case DurationCheck::kNotPositive:
      refuse(key, "must be a positive duration, got " + excerpt(value));
    case DurationCheck::kTooLarge:
      refuse(key, "must be at most 365 days, got " + excerpt(value));
    case DurationCheck::kMalformed:
      break;
  }
  refuse(key,
         "must be a duration such as \"30m\" or a number of milliseconds, got " + excerpt(value));
}

std::vector<std::string> FieldReader::names(std::string_view key, size_t max_items) const {
  const json* list = find(key);
  if (list == nullptr) return {};
  if (!list->is_array()) refuse(key, "must be an array of names, got " + excerpt(*list));
  if (list->size() > max_items) {
    refuse(key, "must have at most " + std::to_string(max_items) + " names, got " +
                    std::to_string(list->size()));
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    if (!item.is_string() || !is_param_name(item.get_ref<const std::string&>())) {
      refuse(indexed(key, i),
             "must be 1 to 128 characters of A-Z a-z 0-9 _ . -, got " + excerpt(item));
    }
    const auto& name = item.get_ref<const std::string&>();
    if (std::find(out.begin(), out.end(), name) != out.end()) {
      refuse(indexed(key, i), "repeats " + excerpt(item));
    }
    out.push_back(name);
  }
  return out;
}

JourneyLink FieldReader::link(std::string_view key, bool required) const {
  if (required) (void)require(key);
  return JourneyLink{text(key, 1, 64).value_or(std::string())};
}

}  // namespace hookd::journey_parse
