#pragma once

#include <string>
#include <string_view>

// JSON text written by hand where a document tree would cost more than the text: string
// literals escaped. Pure functions: any thread.
namespace hookd {

// Appends `text` as a JSON string literal (quotes and escapes added). `text` is UTF-8; bytes
// at or above 0x80 are copied as they are.
void append_json_string(std::string& out, std::string_view text);

}  // namespace hookd
