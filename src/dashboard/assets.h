#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The dashboard's files as hookd serves them under /ui/ (docs/dashboard.md, "Serving"):
//   /ui                  308 to /ui/
//   /ui/v/<version>/<f>  the file f: when <version> is this build's, cached for a year
//                        (immutable); otherwise, or when served from a web root, `no-cache`.
//                        404 when there is no such file.
//   any other /ui/...    the HTML shell, index.html, with `{{assets}}` replaced by
//                        /ui/v/<version>; `no-cache`, so a new build's shell is fetched at once
//                        and with it the new version's files.
// Only GET and HEAD; anything else is a 405. Every answer has nosniff and a content security
// policy allowing this origin only.
// The files are the ones built into the binary, or with a web root (`hookd serve --web-root`)
// read from that folder on every request, so edits show on reload. Immutable after
// construction: any thread may call serve().
namespace hookd::dashboard {

// What to answer; the API's HTTP front end sends it as it is.
struct Reply {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Assets final {
 public:
  // The files built into the binary.
  Assets();
  // The files of `web_root`, read on each request (the version is "dev").
  explicit Assets(std::string web_root);

  // Whether `path` (the request's path, without its query) is the dashboard's.
  static bool owns(std::string_view path);
  Reply serve(std::string_view method, std::string_view path) const;
  const std::string& version() const { return version_; }

 private:
  // The file's bytes, or nullopt when there is none by that name.
  std::optional<std::string> file(std::string_view name) const;
  Reply shell() const;

  std::string web_root_;  // empty: the built-in files
  std::map<std::string, std::string_view, std::less<>> built_in_;
  std::string version_;
};

// A name under web/ that is safe to look up: segments of [A-Za-z0-9._-], none "." or "..",
// none empty. Exposed for tests.
bool safe_file_name(std::string_view name);
// The Content-Type of a file by its extension (application/octet-stream when unknown).
std::string content_type_of(std::string_view name);

}  // namespace hookd::dashboard
