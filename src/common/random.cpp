#include "common/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace hookd {

void fill_random(uint8_t* out, size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    std::fputs("hookd: the OpenSSL CSPRNG failed\n", stderr);
    std::abort();
  }
}

double random_unit() {
  thread_local std::mt19937_64 engine{[] {
    uint64_t seed = 0;
    fill_random(reinterpret_cast<uint8_t*>(&seed), sizeof seed);
    return seed;
  }()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void fill_random_fast(uint8_t* out, size_t size) {
  // RAND_bytes costs thousands of instructions a call (DRBG locking); ids need a few bytes per
  // message, so take them from a thread-local block refilled from the same CSPRNG.
  thread_local uint8_t block[4096];
  thread_local size_t used = sizeof block;
  while (size > 0) {
    if (used == sizeof block) {
      fill_random(block, sizeof block);
      used = 0;
    }
    const size_t n = std::min(size, sizeof block - used);
    std::memcpy(out, block + used, n);
    used += n;
    out += n;
    size -= n;
  }
}

std::string random_hex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  fill_random(reinterpret_cast<uint8_t*>(raw.data()), bytes);
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace hookd
