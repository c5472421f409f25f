// The dashboard's files under /ui/: the shell, the versioned files and their cache rules.
#include "dashboard/assets.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/hash.h"
#include "dashboard/web_files.h"

namespace hookd::dashboard {

namespace {

constexpr std::string_view kRoot = "/ui";
constexpr std::string_view kFiles = "/ui/v/";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// FNV-1a over every file's name and bytes: a new build with any file changed has a new version.
std::string version_of(const std::map<std::string, std::string_view, std::less<>>& files) {
  constexpr std::string_view kEnd("\xff", 1);  // ends each text: "ab","c" and "a","bc" differ
  uint64_t h = kFnv1aOffset;
  for (const auto& [name, bytes] : files) {
    for (const std::string_view text : {std::string_view(name), bytes})
      h = fnv1a(kEnd, fnv1a(text, h));
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return std::string(out, 12);
}

Reply with_policy(Reply reply) {
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Content-Security-Policy", kPolicy);
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
  return reply;
}

Reply text(int status, std::string body) {
  return with_policy({status, "text/plain; charset=utf-8", std::move(body) + "\n", {}});
}

}  // namespace

bool safe_file_name(std::string_view name) {
  if (name.empty()) return false;
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find('/', start), name.size());
    const std::string_view segment = name.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (const char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

std::string content_type_of(std::string_view name) {
  static const std::map<std::string_view, std::string_view> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}};
  const size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && name.find('/', dot) == std::string_view::npos) {
    if (const auto it = kTypes.find(name.substr(dot)); it != kTypes.end()) {
      return std::string(it->second);
    }
  }
  return "application/octet-stream";
}

Assets::Assets() {
  for (const EmbeddedFile& f : embedded_web_files()) built_in_.emplace(f.name, f.bytes);
  version_ = version_of(built_in_);
}

Assets::Assets(std::string web_root) : web_root_(std::move(web_root)), version_("dev") {}

bool Assets::owns(std::string_view path) { return path == kRoot || path.starts_with("/ui/"); }

std::optional<std::string> Assets::file(std::string_view name) const {
  if (!safe_file_name(name)) return std::nullopt;
  if (web_root_.empty()) {
    const auto it = built_in_.find(name);
    if (it == built_in_.end()) return std::nullopt;
    return std::string(it->second);
  }
  const std::filesystem::path path = std::filesystem::path(web_root_) / std::string(name);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return std::nullopt;
  return std::move(bytes).str();
}

Reply Assets::shell() const {
  std::optional<std::string> page = file("index.html");
  if (!page) return text(404, "the dashboard has no index.html");
  const std::string assets = std::string(kFiles) + version_;
  constexpr std::string_view kMark = "{{assets}}";
  for (size_t at = page->find(kMark); at != std::string::npos; at = page->find(kMark, at)) {
    page->replace(at, kMark.size(), assets);
    at += assets.size();
  }
  Reply reply = with_policy({200, "text/html; charset=utf-8", std::move(*page), {}});
  reply.headers.emplace_back("Cache-Control", "no-cache");
  return reply;
}

Reply Assets::serve(std::string_view method, std::string_view path) const {
  if (method != "GET" && method != "HEAD") {
    Reply reply = text(405, "the dashboard's files are read with GET");
    reply.headers.emplace_back("Allow", "GET, HEAD");
    return reply;
  }
  if (path == kRoot) {
    Reply reply = text(308, "the dashboard is at /ui/");
    reply.headers.emplace_back("Location", "/ui/");
    return reply;
  }
  if (!path.starts_with(kFiles)) return shell();
  const std::string_view rest = path.substr(kFiles.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return text(404, "no such file: " + std::string(path));
  const std::string_view name = rest.substr(slash + 1);
  std::optional<std::string> bytes = file(name);
  if (!bytes) return text(404, "no such file: " + std::string(path));
  Reply reply = with_policy({200, content_type_of(name), std::move(*bytes), {}});
  const bool current = web_root_.empty() && rest.substr(0, slash) == version_;
  reply.headers.emplace_back("Cache-Control", current ? kImmutable : "no-cache");
  return reply;
}

}  // namespace hookd::dashboard
