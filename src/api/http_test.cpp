#include "api/http.h"

#include <gtest/gtest.h>

namespace hookd::api {
namespace {

TEST(ResponseHead, KeepAliveHttp11NamesTypeAndLength) {
  const HttpResponse r = json_response(202, R"({"id":"m1"})");
  EXPECT_EQ(response_head(r, 11, true, "hookd/t"),
            "HTTP/1.1 202 Accepted\r\nServer: hookd/t\r\nContent-Type: application/json\r\n"
            "Content-Length: 11\r\n\r\n");
}

TEST(ResponseHead, NoContentHasNoLengthAndCloseIsSaid) {
  EXPECT_EQ(response_head(empty_response(204), 11, false, "hookd/t"),
            "HTTP/1.1 204 No Content\r\nServer: hookd/t\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(status_has_body(204));
  EXPECT_FALSE(status_has_body(304));
  EXPECT_FALSE(status_has_body(100));
  EXPECT_TRUE(status_has_body(200));
  EXPECT_TRUE(status_has_body(404));
}

TEST(ResponseHead, Http10SaysKeepAliveOnlyWhenKept) {
  const HttpResponse r = error_response(404, "not_found", "app x not found");
  const std::string kept = response_head(r, 10, true, "s");
  EXPECT_EQ(kept.substr(0, 24), "HTTP/1.0 404 Not Found\r\n");
  EXPECT_NE(kept.find("\r\nConnection: keep-alive\r\n\r\n"), std::string::npos);
  EXPECT_NE(kept.find("\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_EQ(response_head(r, 10, false, "s").find("Connection"), std::string::npos);
}

TEST(ResponseHead, MoreFieldsFollowTheTypeInOrder) {
  HttpResponse r{
      308, "moved\n", "text/plain", {{"Location", "/ui/"}, {"Cache-Control", "no-cache"}}};
  EXPECT_EQ(response_head(r, 11, true, "s"),
            "HTTP/1.1 308 Permanent Redirect\r\nServer: s\r\nContent-Type: text/plain\r\n"
            "Location: /ui/\r\nCache-Control: no-cache\r\nContent-Length: 6\r\n\r\n");
}

TEST(ResponseHead, AnUnlistedStatusHasAnEmptyReason) {
  HttpResponse r{299, "", ""};
  EXPECT_EQ(response_head(r, 11, true, "s"),
            "HTTP/1.1 299 \r\nServer: s\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace hookd::api
