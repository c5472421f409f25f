#pragma once

#include <span>

#include "common/embedded_file.h"

// The dashboard's files, web/ of the source tree, built into the binary (CMakeLists.txt embeds
// them with cmake/embed_files.cmake, each named by its path under web/, e.g. "main.js"). Any
// thread may call.
namespace hookd::dashboard {

std::span<const EmbeddedFile> embedded_web_files();

}  // namespace hookd::dashboard
