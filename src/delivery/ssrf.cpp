#include "delivery/ssrf.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace hookd {

namespace {

std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  const std::string s(text);
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool is_v4_mapped(const std::array<uint8_t, 16>& ip) {
  for (int i = 0; i < 10; ++i) {
    if (ip[i] != 0) return false;
  }
  return ip[10] == 0xff && ip[11] == 0xff;
}

const std::vector<Cidr>& refused_networks() {
  static const std::vector<Cidr> networks = [] {
    std::vector<Cidr> out;
    for (const char* text : {"0.0.0.0/8",     "10.0.0.0/8",       "100.64.0.0/10",
                             "127.0.0.0/8",   "169.254.0.0/16",   "172.16.0.0/12",
                             "192.0.0.0/24",  "192.0.2.0/24",     "192.168.0.0/16",
                             "198.18.0.0/15", "198.51.100.0/24",  "203.0.113.0/24",
                             "224.0.0.0/4",   "240.0.0.0/4",      "::/96",
                             "64:ff9b::/96",  "64:ff9b:1::/48",   "100::/64",
                             "2001:db8::/32", "fc00::/7",         "fe80::/10",
                             "ff00::/8",      "fd00:ec2::254/128"}) {
      out.push_back(*Cidr::parse(text));
    }
    return out;
  }();
  return networks;
}

std::array<uint8_t, 16> v4_mapped(const uint8_t* v4) {
  std::array<uint8_t, 16> out{};
  out[10] = out[11] = 0xff;
  std::memcpy(out.data() + 12, v4, 4);
  return out;
}

// The IPv4 addresses an IPv6 address carries and that it may reach through a relay: 6to4
// (2002:V4::/48) and Teredo (2001:0::/32, the server's address and the client's, stored
// inverted). IPv4-mapped addresses need nothing here (they are how IPv4 is stored), and
// IPv4-compatible and NAT64 addresses are refused whole.
std::vector<std::array<uint8_t, 16>> embedded_v4(const std::array<uint8_t, 16>& ip) {
  if (ip[0] == 0x20 && ip[1] == 0x02) return {v4_mapped(ip.data() + 2)};
  if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0 && ip[3] == 0) {
    uint8_t client[4];
    for (int i = 0; i < 4; ++i) client[i] = static_cast<uint8_t>(~ip[12 + i]);
    return {v4_mapped(ip.data() + 4), v4_mapped(client)};
  }
  return {};
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const bool v4 = is_v4_mapped(*ip) && text.substr(0, slash).find(':') == std::string_view::npos;
  int len = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    if (len < 0 || len > (v4 ? 32 : 128)) return std::nullopt;
  }
  return Cidr{*ip, v4 ? len + 96 : len};
}

bool Cidr::contains(const std::array<uint8_t, 16>& ip) const {
  int bits = prefix_len;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

Checked<AddressPolicy> AddressPolicy::from_allow_list(std::string_view list) {
  std::vector<Cidr> allow;
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      auto cidr = Cidr::parse(item);
      if (!cidr) return Problem{"", "not a CIDR: " + std::string(item)};
      allow.push_back(*cidr);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return AddressPolicy(std::move(allow));
}

bool AddressPolicy::permits(const std::array<uint8_t, 16>& ip) const {
  for (const auto& cidr : allow_) {
    if (cidr.contains(ip)) return true;
  }
  for (const auto& cidr : refused_networks()) {
    if (cidr.contains(ip)) return false;
  }
  // IPv4-mapped addresses are covered above (IPv4 networks are stored in that form).
  for (const auto& v4 : embedded_v4(ip)) {
    if (!permits(v4)) return false;
  }
  return true;
}

bool AddressPolicy::permits(const sockaddr* addr) const {
  std::array<uint8_t, 16> ip{};
  if (addr->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(addr);
    ip[10] = 0xff;
    ip[11] = 0xff;
    std::memcpy(ip.data() + 12, &v4->sin_addr, 4);
  } else if (addr->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(addr);
    std::memcpy(ip.data(), &v6->sin6_addr, 16);
  } else {
    return false;
  }
  return permits(ip);
}

std::optional<bool> AddressPolicy::permits_literal(std::string_view host) const {
  const auto ip = parse_ip(host);
  if (!ip) return std::nullopt;
  return permits(*ip);
}

}  // namespace hookd
