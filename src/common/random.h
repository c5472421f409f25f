#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hookd {

// Cryptographically secure random bytes (OpenSSL's CSPRNG). Aborts if the CSPRNG fails: a
// webhook secret or id made from weak randomness is worse than no server.
void fill_random(uint8_t* out, size_t size);

// The same CSPRNG's bytes, drawn from a per-thread buffer: for ids, which want unpredictable
// bytes often and cheaply. Secrets use fill_random.
void fill_random_fast(uint8_t* out, size_t size);

// A uniformly distributed double in [0, 1), for jitter; not for secrets.
double random_unit();

// URL-safe random token of `bytes` random bytes, hex encoded.
std::string random_hex(size_t bytes);

}  // namespace hookd
