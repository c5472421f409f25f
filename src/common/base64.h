#pragma once

#include <optional>
#include <string>
#include <string_view>

// Base64, standard alphabet with padding (OpenSSL's EVP block coder). Thread-safe.
namespace hookd {

std::string base64_encode(std::string_view bytes);
// Returns nullopt on any invalid character or length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hookd
