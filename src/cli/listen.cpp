// `hookd listen`: a dumper for receivers (Netcore CE's advice to webhook receivers: "have a
// dumper").
#include "cli/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/receiver_tool.h"
#include "common/time.h"

namespace hookd::cli {

namespace {

std::mutex print_mu;

// Reads one request (headers and Content-Length body) from the connection; false at EOF.
bool read_request(int fd, std::string& buffer, std::string& raw) {
  for (;;) {
    const size_t head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::string error;
      size_t length = 0;
      const std::string head = buffer.substr(0, head_end + 4);
      if (auto parsed = parse_raw_request(head, error, /*headers_only=*/true)) {
        if (const std::string* cl = parsed->header("content-length")) {
          length = static_cast<size_t>(std::strtoull(cl->c_str(), nullptr, 10));
        }
      }
      if (buffer.size() >= head_end + 4 + length) {
        raw = buffer.substr(0, head_end + 4 + length);
        buffer.erase(0, raw.size());
        return true;
      }
    }
    char chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    if (buffer.size() > (64u << 20)) return false;  // not a webhook
  }
}

void serve_connection(int fd, const ListenOptions& options, int& counter) {
  std::string buffer, raw;
  while (read_request(fd, buffer, raw)) {
    std::string error;
    auto request = parse_raw_request(raw, error);
    {
      std::lock_guard lock(print_mu);
      const int n = ++counter;
      if (!request) {
        std::cout << "-- request " << n << ": unreadable: " << error << std::endl;
      } else {
        const bool check = !options.secret.empty();
        const std::string verdict =
            check ? check_signature(*request, options.secret, now_unix_ms() / 1000, 300) : "";
        std::cout << "-- request " << n << " at " << format_rfc3339(now_unix_ms()) << "\n"
                  << describe(*request, verdict, check) << "-> answered " << options.status
                  << std::endl;
      }
      if (!options.save_dir.empty()) {
        std::ofstream(options.save_dir + "/request-" + std::to_string(n) + ".http",
                      std::ios::binary)
            << raw;
      }
    }
    const std::string response =
        "HTTP/1.1 " + std::to_string(options.status) + " hookd listen\r\nContent-Length: 0\r\n\r\n";
    if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) break;
  }
  ::close(fd);
}

}  // namespace

int listen_and_print(const ListenOptions& options) {
  const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options.port);
  if (::inet_pton(AF_INET, options.host.c_str(), &addr.sin_addr) != 1) {
    std::cerr << "hookd listen: --host: not an IPv4 address: " << options.host << "\n";
    return 2;
  }
  if (::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(server, 128) != 0) {
    std::cerr << "hookd listen: cannot listen on " << options.host << ":" << options.port << ": "
              << std::strerror(errno) << "\n";
    return 1;
  }
  std::cout << "hookd listen: waiting for webhooks on http://" << options.host << ":"
            << options.port << "/ (answering " << options.status << ")" << std::endl;
  static int counter = 0;
  for (;;) {
    const int fd = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      std::cerr << "hookd listen: accept: " << std::strerror(errno) << "\n";
      return 1;
    }
    std::thread([fd, &options] { serve_connection(fd, options, counter); }).detach();
  }
}

int verify_saved(const std::string& secret, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "hookd verify: cannot read " << path << "\n";
    return 2;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string error;
  auto request = parse_raw_request(bytes, error);
  if (!request) {
    std::cerr << "hookd verify: " << path << ": not an HTTP request: " << error << "\n";
    return 2;
  }
  const std::string verdict = check_signature(*request, secret, now_unix_ms() / 1000, -1);
  std::cout << describe(*request, verdict, true);
  return verdict.empty() ? 0 : 1;
}

}  // namespace hookd::cli
