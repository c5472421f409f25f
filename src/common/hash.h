#pragma once

#include <cstdint>
#include <string_view>

// FNV-1a, 64 bits: a fast, stable hash for ids and versions derived from text (not for
// anything an attacker must not forge). Chain calls by passing the previous result as `h`. Any
// thread may call.
namespace hookd {

constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ULL;

constexpr uint64_t fnv1a(std::string_view text, uint64_t h = kFnv1aOffset) {
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace hookd
