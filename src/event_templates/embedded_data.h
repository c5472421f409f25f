#pragma once

#include <span>

#include "common/embedded_file.h"

// The files of src/event_templates/data/, built into the binary: CMakeLists.txt lists them and
// cmake/embed_files.cmake writes the definition of embedded_event_template_files() into the build
// tree, so editing a file there rebuilds the binary with its new bytes.
namespace hookd {

// Every embedded data file, in the order CMakeLists.txt lists them. Static storage: the views
// never dangle, and any thread may read them.
std::span<const EmbeddedFile> embedded_event_template_files();

}  // namespace hookd
