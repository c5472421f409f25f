#pragma once

#include <cstdint>
#include <string>

namespace hookd::cli {

struct ListenOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8072;
  std::string secret;    // "whsec_...": check each request's signature
  int status = 200;      // answered to every request, to rehearse failures
  std::string save_dir;  // when set, each request is saved raw as request-<n>.http
};

// Prints every request received until the process is stopped. Returns an exit code on failure.
int listen_and_print(const ListenOptions& options);

// Checks one saved raw request (as `hookd listen --save` writes them) against `secret`; the
// timestamp's age is not checked. Exit code 0 when it verifies, 1 when not, 2 on bad input.
int verify_saved(const std::string& secret, const std::string& path);

}  // namespace hookd::cli
