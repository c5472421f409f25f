#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem.h"

namespace hookd {

// An IPv4 or IPv6 network such as 10.0.0.0/8 or fc00::/7. IPv4 networks are kept as
// IPv4-mapped IPv6 (::ffff:a.b.c.d/96+n) so one comparison serves both families.
struct Cidr {
  std::array<uint8_t, 16> address{};
  int prefix_len = 0;

  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const std::array<uint8_t, 16>& ip) const;
};

// Which addresses deliveries may connect to. By default every private, loopback, link-local,
// CGNAT, multicast, unspecified and cloud-metadata address is refused (SSRF protection); the
// allow-list opens chosen networks (tests and local development allow 127.0.0.0/8). IPv6
// addresses that embed an IPv4 address are judged by it: 6to4 (2002::/16) and Teredo
// (2001::/32, server and client) are refused when an embedded address is, and IPv4-compatible
// (::/96) and NAT64 (64:ff9b::/96, 64:ff9b:1::/48) addresses are refused unless allow-listed
// as IPv6 networks.
//
// Immutable after construction; safe to share across threads.
class AddressPolicy final {
 public:
  AddressPolicy() = default;
  explicit AddressPolicy(std::vector<Cidr> allow) : allow_(std::move(allow)) {}

  // Parses a comma-separated allow-list, or names its first bad entry.
  static Checked<AddressPolicy> from_allow_list(std::string_view list);

  bool permits(const sockaddr* addr) const;
  bool permits(const std::array<uint8_t, 16>& ip) const;
  // For an IP literal (v4 or v6, with or without brackets): whether it may be reached.
  // nullopt when `host` is not an IP literal.
  std::optional<bool> permits_literal(std::string_view host) const;

 private:
  std::vector<Cidr> allow_;
};

}  // namespace hookd
