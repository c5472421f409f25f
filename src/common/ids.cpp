#include "common/ids.h"

#include <array>
#include <chrono>

#include "common/random.h"

namespace hookd {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int kEncodedLength = 22;  // 62^22 > 2^128

__extension__ typedef unsigned __int128 U128;

// Ten base62 digits of `chunk` (< 62^10) into out[0..9], most significant first.
void put_digits(char* out, uint64_t chunk) {
  for (int i = 9; i >= 0; --i) {
    out[i] = kAlphabet[chunk % 62];  // a division by a constant: a multiply, not a call
    chunk /= 62;
  }
}

std::string encode(std::string_view prefix, U128 value) {
  // 62^10 fits in 64 bits: two 128-bit divisions split the value into 2 + 10 + 10 digits, and
  // the digits come from 64-bit arithmetic (22 128-bit divisions cost thousands of
  // instructions, and every message and attempt gets an id).
  constexpr uint64_t kChunk = 839'299'365'868'340'224ULL;  // 62^10
  std::string out(prefix.size() + kEncodedLength, '0');
  prefix.copy(out.data(), prefix.size());
  char* digits = out.data() + prefix.size();
  const U128 high = value / kChunk;
  put_digits(digits + 12, static_cast<uint64_t>(value % kChunk));
  put_digits(digits + 2, static_cast<uint64_t>(high % kChunk));
  const auto top = static_cast<uint64_t>(high / kChunk);  // < 62^2
  digits[0] = kAlphabet[top / 62];
  digits[1] = kAlphabet[top % 62];
  return out;
}

struct ThreadIdState {
  int64_t last_ms = -1;
  U128 tail = 0;  // 80 bits
};

}  // namespace

std::string make_id(std::string_view prefix, int64_t unix_ms, uint64_t tail_hi16,
                    uint64_t tail_lo64) {
  U128 value = static_cast<U128>(static_cast<uint64_t>(unix_ms) & 0xFFFFFFFFFFFFULL) << 80;
  value |= static_cast<U128>(tail_hi16 & 0xFFFF) << 64;
  value |= tail_lo64;
  return encode(prefix, value);
}

std::string new_id(std::string_view prefix) {
  thread_local ThreadIdState state;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  constexpr U128 kTailMask = (static_cast<U128>(1) << 80) - 1;
  if (now_ms > state.last_ms) {
    std::array<uint8_t, 10> bytes{};
    fill_random_fast(bytes.data(), bytes.size());
    U128 tail = 0;
    for (uint8_t b : bytes) tail = (tail << 8) | b;
    // Leave headroom so that increments within one millisecond never overflow the tail.
    state.tail = tail >> 1;
    state.last_ms = now_ms;
  } else {
    state.tail = (state.tail + 1) & kTailMask;
  }
  return make_id(prefix, state.last_ms, static_cast<uint64_t>(state.tail >> 64),
                 static_cast<uint64_t>(state.tail));
}

int64_t id_time_ms(std::string_view id) {
  const auto underscore = id.rfind('_');
  if (underscore == std::string_view::npos) return -1;
  const std::string_view body = id.substr(underscore + 1);
  if (body.size() != kEncodedLength) return -1;
  U128 value = 0;
  for (char c : body) {
    const auto digit = kAlphabet.find(c);
    if (digit == std::string_view::npos) return -1;
    value = value * 62 + digit;
  }
  return static_cast<int64_t>(value >> 80);
}

}  // namespace hookd
