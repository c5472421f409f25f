#include "cli/receiver_tool.h"

#include <algorithm>
#include <charconv>

#include "common/url.h"
#include "signing/signature.h"

namespace hookd::cli {

const std::string* RawRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

std::optional<RawRequest> parse_raw_request(std::string_view bytes, std::string& error,
                                            bool headers_only) {
  size_t head_end = bytes.find("\r\n\r\n");
  size_t body_start = head_end == std::string_view::npos ? head_end : head_end + 4;
  if (head_end == std::string_view::npos) {
    head_end = bytes.find("\n\n");
    body_start = head_end == std::string_view::npos ? head_end : head_end + 2;
  }
  if (head_end == std::string_view::npos) {
    error = "no blank line after the headers";
    return std::nullopt;
  }
  RawRequest out;
  std::string_view head = bytes.substr(0, head_end);
  bool first = true;
  while (!head.empty()) {
    const size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 1);
    if (first) {
      first = false;
      const size_t sp1 = line.find(' ');
      const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
      if (sp2 == std::string_view::npos) {
        error = "the first line is not METHOD target HTTP/1.x";
        return std::nullopt;
      }
      out.method = std::string(line.substr(0, sp1));
      out.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "a header line without a name: " + std::string(line.substr(0, 60));
      return std::nullopt;
    }
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    out.headers.emplace_back(std::move(name), std::string(value));
  }
  std::string_view body = bytes.substr(body_start);
  if (headers_only) return out;
  if (const std::string* length = out.header("content-length")) {
    size_t n = 0;
    const auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
    if (ec != std::errc() || end != length->data() + length->size()) {
      error = "Content-Length is not a number";
      return std::nullopt;
    }
    if (n > body.size()) {
      error = "the body is shorter than its Content-Length";
      return std::nullopt;
    }
    body = body.substr(0, n);
  }
  out.body = std::string(body);
  return out;
}

std::string check_signature(const RawRequest& request, std::string_view secret, int64_t now_s,
                            int64_t tolerance_s) {
  const auto key = signing::decode_secret(secret);
  if (!key) return "the secret is not whsec_ followed by base64";
  const std::string* id = request.header("webhook-id");
  const std::string* ts = request.header("webhook-timestamp");
  const std::string* signatures = request.header("webhook-signature");
  if (!id || !ts || !signatures) {
    return "webhook-id, webhook-timestamp or webhook-signature missing";
  }
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(ts->data(), ts->data() + ts->size(), seconds);
  if (ec != std::errc() || end != ts->data() + ts->size()) return "webhook-timestamp: not a number";
  if (tolerance_s >= 0 && std::abs(now_s - seconds) > tolerance_s) {
    return "webhook-timestamp: " + std::to_string(now_s - seconds) + " s away from now";
  }
  if (signing::matches_v1(*key, *id, seconds, request.body, *signatures)) return {};
  return "no v1 signature matches this secret";
}

std::string describe(const RawRequest& request, const std::string& verdict, bool checked) {
  std::string out = request.method + " " + request.target + "\n";
  for (const auto& [name, value] : request.headers) out += "  " + name + ": " + value + "\n";
  const std::string* type = request.header("content-type");
  if (type && type->starts_with("application/x-www-form-urlencoded") &&
      request.body.starts_with("data=")) {
    out += "body (form, data= decoded):\n" + percent_decode(request.body.substr(5)) + "\n";
  } else {
    out += "body:\n" + request.body + "\n";
  }
  if (!checked) {
    out += "signature: not checked (start hookd listen with --secret to verify it)\n";
  } else if (verdict.empty()) {
    out += "signature: verified\n";
  } else {
    out += "signature: NOT verified: " + verdict + "\n";
  }
  return out;
}

}  // namespace hookd::cli
