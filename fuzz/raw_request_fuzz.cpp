// Fuzzes the raw request reader of `hookd listen` / `hookd verify` (bytes from a socket or a
// saved file) and the signature check and description built on it.
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/receiver_tool.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto head = hookd::cli::parse_raw_request(bytes, error, /*headers_only=*/true);
  auto request = hookd::cli::parse_raw_request(bytes, error);
  if (request) {
    if (!head || request->body.size() > bytes.size()) __builtin_trap();
    const std::string verdict = hookd::cli::check_signature(
        *request, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1614265330, 300);
    (void)hookd::cli::describe(*request, verdict, true);
  } else if (error.empty()) {
    __builtin_trap();
  }
  return 0;
}
