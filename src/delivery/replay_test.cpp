#include "delivery/replay.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/ids.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"

// Replay selection against a real SQLite store in a scratch directory.
namespace hookd {
namespace {

MessagePtr message_at(const std::string& app, int64_t created_at, const std::string& type) {
  auto m = std::make_shared<Message>();
  m->id = make_id("msg_", created_at, 0, static_cast<uint64_t>(created_at));
  m->app_id = app;
  m->event_type = type;
  m->payload = "{}";
  m->created_at = created_at;
  return m;
}

write::RecordAttempt failed_attempt(const MessagePtr& m, const std::string& endpoint, int64_t at,
                                    int attempts) {
  write::RecordAttempt r;
  r.attempt.id = make_id("atmpt_", at, 0, static_cast<uint64_t>(at));
  r.attempt.msg_id = m->id;
  r.attempt.endpoint_id = endpoint;
  r.attempt.app_id = m->app_id;
  r.attempt.url = "http://x";
  r.attempt.created_at = at;
  r.delivery = {m->id, endpoint, m->app_id, DeliveryStatus::kFailed, attempts, 0, at};
  return r;
}

Endpoint endpoint(const std::string& id, bool disabled) {
  Endpoint ep;
  ep.id = id;
  ep.app_id = "app_1";
  ep.url = "http://x";
  ep.disabled = disabled;
  return ep;
}

TEST(Replay, SelectsFailedDeliveriesOfEnabledEndpointsAsManualReplays) {
  ScratchDir dir("hookd-replay");
  SqliteOptions options;
  options.path = (dir.path() / "hookd.db").string();
  auto store = open_sqlite_store(options);
  Catalog catalog;
  catalog.put_endpoint(endpoint("ep_on", false));
  catalog.put_endpoint(endpoint("ep_off", true));
  const int64_t t0 = 1'700'000'000'000;
  const auto targets =
      std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"ep_on", "ep_off"});
  for (int i = 0; i < 4; ++i) {
    auto m = message_at("app_1", t0 + i * 60'000, i % 2 ? "odd" : "even");
    ASSERT_EQ(store->write_sync(write::InsertMessage{m, targets}).status, WriteStatus::kOk);
    int offset = 5;
    for (const char* ep : {"ep_on", "ep_off"}) {
      ASSERT_EQ(store->write_sync(failed_attempt(m, ep, t0 + i * 60'000 + offset++, 3)).status,
                WriteStatus::kOk);
    }
  }
  const int64_t now = t0 + 3'600'000;
  auto jobs = replay_jobs(*store, catalog, "app_1", "", {}, 0, now, now);
  ASSERT_EQ(jobs.size(), 4u);  // the disabled endpoint's deliveries are left out
  for (const auto& job : jobs) {
    EXPECT_EQ(job.endpoint_id, "ep_on");
    EXPECT_EQ(job.trigger, TriggerType::kManual);
    EXPECT_TRUE(job.replay);
    EXPECT_EQ(job.due_at, now);
    EXPECT_EQ(job.attempts_made, 3);
  }
  EXPECT_EQ(replay_jobs(*store, catalog, "app_1", "ep_on", {"odd"}, 0, now, now).size(), 2u);
  EXPECT_EQ(
      replay_jobs(*store, catalog, "app_1", "ep_on", {}, t0 + 60'000, t0 + 120'000, now).size(),
      1u);
  EXPECT_TRUE(replay_jobs(*store, catalog, "app_1", "ep_off", {}, 0, now, now).empty());
  EXPECT_TRUE(replay_jobs(*store, catalog, "app_2", "", {}, 0, now, now).empty());
  store->close();
}

}  // namespace
}  // namespace hookd
