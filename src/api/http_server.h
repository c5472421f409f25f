#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/api.h"
#include "metrics/metrics.h"

namespace hookd::api {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8071;
  int threads = 2;                  // one io_context and one SO_REUSEPORT acceptor each
  size_t max_body_bytes = 1 << 20;  // larger bodies get 413
  int idle_timeout_s = 60;          // a connection silent this long is closed
  int max_connections = 10'000;     // open connections across threads; more are closed at once
  Metrics* metrics = nullptr;       // connection counts, when set
};

// The HTTP/1.1 front end (Boost.Beast, C++20 coroutines). Parses requests, hands them to the
// Api, and writes what the Api answers, with keep-alive. Holds at most max_connections open
// connections (a connection past the cap is closed at once); when the process runs out of file
// descriptors, the acceptors pause instead of retrying at once. Thread-safe start/stop.
class HttpServer final {
 public:
  HttpServer(HttpServerOptions options, Api& api);
  ~HttpServer();

  // Binds every acceptor (throws on failure) and starts the I/O threads.
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::api
