#include "api/idempotency.h"

#include <gtest/gtest.h>

#include <optional>

namespace hookd::api {
namespace {

HttpRequest post(std::string key, std::string body = "{}", std::string token = "admin") {
  HttpRequest req;
  req.method = "POST";
  req.path = "/api/v1/app";
  req.idempotency_key = std::move(key);
  req.body = std::move(body);
  req.caller.token_id = std::move(token);
  return req;
}

// A responder that records what it was answered.
struct Answer {
  std::optional<HttpResponse> got;
  Responder responder() {
    return [this](HttpResponse r) { got = std::move(r); };
  }
};

TEST(IdempotencyCache, ARepeatGetsTheFirstAnswer) {
  IdempotencyCache cache;
  Answer first, again;
  Responder run = cache.guard(post("k1"), first.responder(), 1'000);
  ASSERT_TRUE(run);
  run(HttpResponse{201, R"({"id":"app_1"})"});
  ASSERT_TRUE(first.got);
  EXPECT_FALSE(cache.guard(post("k1"), again.responder(), 2'000));
  ASSERT_TRUE(again.got);
  EXPECT_EQ(again.got->status, 201);
  EXPECT_EQ(again.got->body, R"({"id":"app_1"})");
}

TEST(IdempotencyCache, ARepeatWhileTheFirstRunsWaitsForItsAnswer) {
  IdempotencyCache cache;
  Answer first, waiting;
  Responder run = cache.guard(post("k1"), first.responder(), 1'000);
  EXPECT_FALSE(cache.guard(post("k1"), waiting.responder(), 1'001));
  EXPECT_FALSE(waiting.got);
  run(HttpResponse{202, "{}"});
  ASSERT_TRUE(waiting.got);
  EXPECT_EQ(waiting.got->status, 202);
}

TEST(IdempotencyCache, KeysBelongToATokenAndAPath) {
  IdempotencyCache cache;
  Answer a, b, c;
  cache.guard(post("k1"), a.responder(), 1'000)(HttpResponse{201, "a"});
  EXPECT_TRUE(cache.guard(post("k1", "{}", "tok_other"), b.responder(), 1'001));
  HttpRequest other_path = post("k1");
  other_path.path = "/api/v1/event-type";
  EXPECT_TRUE(cache.guard(other_path, c.responder(), 1'002));
}

TEST(IdempotencyCache, AnotherBodyWithTheSameKeyIsRefused) {
  IdempotencyCache cache;
  Answer first, other;
  cache.guard(post("k1", R"({"name":"a"})"), first.responder(), 1'000)(HttpResponse{201, "a"});
  EXPECT_FALSE(cache.guard(post("k1", R"({"name":"b"})"), other.responder(), 1'001));
  ASSERT_TRUE(other.got);
  EXPECT_EQ(other.got->status, 422);
  EXPECT_NE(other.got->body.find("idempotency-key"), std::string::npos);
}

TEST(IdempotencyCache, ServerErrorsAreNotKept) {
  IdempotencyCache cache;
  Answer first, retry;
  cache.guard(post("k1"), first.responder(), 1'000)(HttpResponse{503, "down"});
  Responder run = cache.guard(post("k1"), retry.responder(), 1'001);
  ASSERT_TRUE(run) << "a retry after a 5xx must run again";
  run(HttpResponse{201, "ok"});
  EXPECT_EQ(retry.got->status, 201);
}

TEST(IdempotencyCache, AnswersExpireAfterTheirTime) {
  IdempotencyCache cache(10'000);
  Answer first, late;
  cache.guard(post("k1"), first.responder(), 1'000)(HttpResponse{201, "a"});
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.guard(post("k1"), late.responder(), 11'000));
}

TEST(IdempotencyCache, TheOldestGoFirstBeyondTheBudget) {
  IdempotencyCache cache(60'000, 2);
  for (const char* key : {"k1", "k2", "k3", "k4"}) {
    Answer a;
    cache.guard(post(key), a.responder(), 1'000)(HttpResponse{201, key});
  }
  EXPECT_LE(cache.size(), 3u);
  Answer again;
  EXPECT_FALSE(cache.guard(post("k4"), again.responder(), 1'001)) << "the newest is kept";
  Answer oldest;
  EXPECT_TRUE(cache.guard(post("k1"), oldest.responder(), 1'002)) << "the oldest was dropped";
}

TEST(IdempotencyCache, RefusesOverlongKeys) {
  IdempotencyCache cache;
  Answer a;
  EXPECT_FALSE(cache.guard(post(std::string(257, 'k')), a.responder(), 1'000));
  ASSERT_TRUE(a.got);
  EXPECT_EQ(a.got->status, 422);
}

}  // namespace
}  // namespace hookd::api
