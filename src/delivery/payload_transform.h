#pragma once

#include <string>
#include <string_view>
#include <vector>

// Per-endpoint reshaping of a payload before it is sent (docs/endpoint-options.md, "Extra
// fields and field selection"). Only endpoints with these options pay for it: the payload is
// parsed and written again, where every other delivery sends the stored bytes.
namespace hookd {

struct PayloadShape {
  std::vector<std::string> select;  // dotted paths to keep; empty: keep everything
  std::string extra_json;           // a JSON object merged in; empty: none
  bool empty() const { return select.empty() && extra_json.empty(); }
};

// The payload reshaped: the selected paths (with their parents), then the extra fields set at
// the top level (replacing fields of the same name). A payload that is not a JSON object is
// returned unchanged.
std::string reshape_payload(std::string_view payload, const PayloadShape& shape);

// A batch body: {"<key>": [item, item, ...]}, each item inserted as it is (JSON text).
std::string envelope_body(std::string_view key, const std::vector<std::string_view>& items);

// Whether `path` is a selection path: dot-separated names, each 1 to 256 characters, no empty
// segment, at most 16 segments.
bool is_selection_path(std::string_view path);

}  // namespace hookd
