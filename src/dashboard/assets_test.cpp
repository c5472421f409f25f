// The dashboard's serving rules: the shell for every page, versioned files cached for a year,
// 404s for missing files, the web root read on each request, and names that cannot leave it.
#include "dashboard/assets.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/scratch_dir.h"

namespace hookd::dashboard {
namespace {

std::string header(const Reply& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(DashboardAssetsTest, EveryPageIsTheShellWithThisBuildsFiles) {
  const Assets assets;
  ASSERT_EQ(assets.version().size(), 12u);
  for (const char* path : {"/ui/", "/ui/apps/app_1/endpoints", "/ui/index.html", "/ui/x?y"}) {
    const Reply r = assets.serve("GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
    EXPECT_NE(r.body.find("/ui/v/" + assets.version() + "/main.js"), std::string::npos);
    EXPECT_EQ(r.body.find("{{assets}}"), std::string::npos);
    EXPECT_NE(header(r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  }
  const Reply root = assets.serve("GET", "/ui");
  EXPECT_EQ(root.status, 308);
  EXPECT_EQ(header(root, "Location"), "/ui/");
}

TEST(DashboardAssetsTest, VersionedFilesAreImmutableAndOthersAreNot) {
  const Assets assets;
  const Reply js = assets.serve("GET", "/ui/v/" + assets.version() + "/main.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  const Reply css = assets.serve("HEAD", "/ui/v/" + assets.version() + "/style.css");
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  // An older build's shell asking for its version: today's bytes, never cached as that version.
  const Reply stale = assets.serve("GET", "/ui/v/000000000000/main.js");
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, js.body);
  EXPECT_EQ(header(stale, "Cache-Control"), "no-cache");
  for (const char* path : {"/ui/v/x/nothing.js", "/ui/v/", "/ui/v/abc", "/ui/v/a/../index.html",
                           "/ui/v/a//main.js", "/ui/v/a/%2e%2e/x"}) {
    EXPECT_EQ(assets.serve("GET", path).status, 404) << path;
  }
  const Reply post = assets.serve("POST", "/ui/");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(header(post, "Allow"), "GET, HEAD");
}

TEST(DashboardAssetsTest, AWebRootIsReadOnEachRequestAndNotLeft) {
  ScratchDir dir{"dashboard-root"};
  const auto root = dir.path() / "web";
  write_file(root / "index.html", "<script src=\"{{assets}}/app.js\"></script>");
  write_file(root / "app.js", "one");
  write_file(dir.path() / "secret.txt", "outside");
  const Assets assets(root.string());
  EXPECT_EQ(assets.version(), "dev");
  EXPECT_EQ(assets.serve("GET", "/ui/").body, "<script src=\"/ui/v/dev/app.js\"></script>");
  const Reply first = assets.serve("GET", "/ui/v/dev/app.js");
  EXPECT_EQ(first.body, "one");
  EXPECT_EQ(header(first, "Cache-Control"), "no-cache");  // never immutable from disk
  write_file(root / "app.js", "two");
  EXPECT_EQ(assets.serve("GET", "/ui/v/dev/app.js").body, "two");
  EXPECT_EQ(assets.serve("GET", "/ui/v/dev/../secret.txt").status, 404);
  std::filesystem::create_directories(root / "dir");
  EXPECT_EQ(assets.serve("GET", "/ui/v/dev/dir").status, 404);  // a folder is no file
  std::filesystem::remove(root / "index.html");
  EXPECT_EQ(assets.serve("GET", "/ui/").status, 404);
}

TEST(DashboardAssetsTest, FileNamesAndTypes) {
  EXPECT_TRUE(safe_file_name("main.js"));
  EXPECT_TRUE(safe_file_name("vendor/preact-10.js"));
  for (const char* bad :
       {"", "/main.js", "a//b", "..", "a/../b", "./a", "a/", "a\\b", "a b", "%2e%2e", "a\nb"}) {
    EXPECT_FALSE(safe_file_name(bad)) << bad;
  }
  EXPECT_FALSE(safe_file_name(std::string("a\0b", 3)));
  EXPECT_EQ(content_type_of("x/y.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_of("logo.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_of("a.b/c"), "application/octet-stream");
  EXPECT_EQ(content_type_of("README"), "application/octet-stream");
}

}  // namespace
}  // namespace hookd::dashboard
