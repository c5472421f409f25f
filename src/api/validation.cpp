#include "api/validation.h"

#include <curl/curl.h>
#include <strings.h>

#include <memory>

namespace hookd::api {

namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* p) const { curl_free(p); }
};

}  // namespace

std::string check_endpoint_url(std::string_view url, const AddressPolicy& policy) {
  if (url.empty()) return "url: required";
  if (url.size() > 65536) return "url: longer than 65536 characters";
  // libcurl reads "http:///path" as a URL with host "path"; a URL must name its host.
  if (const auto sep = url.find("://");
      sep != std::string_view::npos && (sep + 3 >= url.size() || url[sep + 3] == '/')) {
    return "url: host missing";
  }
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  const std::string text(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return "url: not a valid absolute URL";
  }
  char* raw = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_SCHEME, &raw, 0) != CURLUE_OK) {
    return "url: scheme missing";
  }
  std::unique_ptr<char, CurlStringDeleter> scheme(raw);
  if (strcasecmp(scheme.get(), "http") != 0 && strcasecmp(scheme.get(), "https") != 0) {
    return "url: scheme must be http or https";
  }
  raw = nullptr;
  if (curl_url_get(parsed.get(), CURLUPART_HOST, &raw, 0) != CURLUE_OK || !raw || !*raw) {
    return "url: host missing";
  }
  std::unique_ptr<char, CurlStringDeleter> host(raw);
  std::string_view h(host.get());
  if (strcasecmp(host.get(), "localhost") == 0 || h.ends_with(".localhost")) h = "127.0.0.1";
  if (auto permitted = policy.permits_literal(h); permitted && !*permitted) {
    return "url: the address " + std::string(host.get()) +
           " is private, loopback, link-local or reserved, and not in ssrf_allow";
  }
  return "";
}

std::string check_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 256) return "uid: must be 1 to 256 characters";
  for (char c : uid) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return "uid: only A-Z a-z 0-9 _ . - are allowed";
  }
  return "";
}

bool is_http_token(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace hookd::api
