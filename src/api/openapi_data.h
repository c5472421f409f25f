#pragma once

#include <span>

#include "common/embedded_file.h"

// hookd's OpenAPI document, src/api/openapi.json, built into the binary (CMakeLists.txt embeds
// it with cmake/embed_files.cmake) and served at GET /api/v1/openapi.json. Any thread may call.
namespace hookd::api {

// One file: the document, its bytes unchanged.
std::span<const EmbeddedFile> embedded_openapi_files();

}  // namespace hookd::api
