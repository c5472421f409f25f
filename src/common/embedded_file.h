#pragma once

#include <string_view>

// A file built into the binary by cmake/embed_files.cmake. Static storage: the views never
// dangle, and any thread may read them.
namespace hookd {

struct EmbeddedFile {
  std::string_view name;   // the file's name without its extension, e.g. "netcore-channels"
  std::string_view bytes;  // the file's content, unchanged
};

}  // namespace hookd
