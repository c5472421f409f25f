#include "delivery/payload_transform.h"

#include <nlohmann/json.hpp>

namespace hookd {

using nlohmann::json;

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const size_t end = dot == std::string_view::npos ? path.size() : dot;
    out.emplace_back(path.substr(start, end - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

// Copies the value at `segments` of `from` into the same place of `to`, creating parents.
void copy_path(const json& from, json& to, const std::vector<std::string>& segments) {
  const json* source = &from;
  for (const auto& name : segments) {
    if (!source->is_object()) return;
    auto it = source->find(name);
    if (it == source->end()) return;
    source = &*it;
  }
  json* target = &to;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    json& next = (*target)[segments[i]];
    if (!next.is_object()) next = json::object();
    target = &next;
  }
  (*target)[segments.back()] = *source;
}

}  // namespace

bool is_selection_path(std::string_view path) {
  if (path.empty()) return false;
  const auto segments = split_path(path);
  if (segments.size() > 16) return false;
  for (const auto& s : segments) {
    if (s.empty() || s.size() > 256) return false;
  }
  return true;
}

std::string reshape_payload(std::string_view payload, const PayloadShape& shape) {
  if (shape.empty()) return std::string(payload);
  json doc = json::parse(payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::string(payload);
  if (!shape.select.empty()) {
    json kept = json::object();
    for (const auto& path : shape.select) copy_path(doc, kept, split_path(path));
    doc = std::move(kept);
  }
  if (!shape.extra_json.empty()) {
    const json extra = json::parse(shape.extra_json, nullptr, false);
    if (extra.is_object()) {
      for (const auto& [name, value] : extra.items()) doc[name] = value;
    }
  }
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string envelope_body(std::string_view key, const std::vector<std::string_view>& items) {
  std::string out = "{";
  out += json(key).dump();
  out += ":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(items[i]);
  }
  out += "]}";
  return out;
}

}  // namespace hookd
