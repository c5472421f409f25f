#pragma once

#include <span>
#include <string_view>

// The files of src/event_templates/data/, built into the binary: CMakeLists.txt lists them and
// cmake/embed_files.cmake writes the definition of embedded_event_template_files() into the build
// tree, so editing a file there rebuilds the binary with its new bytes.
namespace hookd {

struct EmbeddedFile {
  std::string_view name;   // the file's name without its extension, e.g. "netcore-channels"
  std::string_view bytes;  // the file's content, unchanged
};

// Every embedded data file, in the order CMakeLists.txt lists them. Static storage: the views
// never dangle, and any thread may read them.
std::span<const EmbeddedFile> embedded_event_template_files();

}  // namespace hookd
