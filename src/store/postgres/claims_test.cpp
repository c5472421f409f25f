// Claims of the PostgreSQL store (Store::claim_due) against a real server
// (store/postgres/test_database.h): concurrent claimers, leases, and outcomes refused once a
// claim was taken over.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "store/postgres/store_impl.h"
#include "store/postgres/test_database.h"

namespace hookd {
namespace {

class ClaimsTest : public PostgresTest {
 protected:
  // `count` messages with one delivery each to ep_1, due at created_at = 1'000.
  void insert_messages(int count) {
    std::vector<std::future<WriteResult>> writes;
    for (int i = 0; i < count; ++i) {
      auto done = std::make_shared<std::promise<WriteResult>>();
      writes.push_back(done->get_future());
      store_->write(insert(message("app_1", "", "{}"), {"ep_1"}),
                    [done](const WriteResult& r) { done->set_value(r); });
    }
    for (auto& w : writes) ASSERT_EQ(w.get().status, WriteStatus::kOk);
  }
  // The (claim, owner) of a delivery as stored.
  std::pair<int64_t, std::string> claim_of(const std::string& msg_id) {
    pg::Connection db(url_);
    const auto r = db.exec("SELECT claim, coalesce(owner, '') FROM deliveries WHERE msg_id = $1",
                           pg::Params().add(msg_id));
    return {r.int64(0, 0), r.text(0, 1)};
  }
  int64_t attempts_of(const std::string& msg_id) {
    pg::Connection db(url_);
    return db.exec("SELECT count(*) FROM attempts WHERE msg_id = $1", pg::Params().add(msg_id))
        .int64(0, 0);
  }
  // With a 10 s lease, `count` deliveries claimed at 2'000 (`stale`) and taken over at 20'000
  // (`fresh`), after the first claim's lease ended.
  void claim_twice(int count, ClaimedPage& stale, ClaimedPage& fresh) {
    auto opts = options();
    opts.claim_lease_ms = 10'000;
    store_ = open_postgres_store(opts);
    insert_messages(count);
    stale = store_->claim_due(2'000, 10, {});
    fresh = store_->claim_due(20'000, 10, {});
    ASSERT_EQ(fresh.deliveries.size(), static_cast<size_t>(count));
  }
  write::RecordAttempt outcome(const PendingDelivery& p, uint64_t claim, DeliveryStatus status) {
    write::RecordAttempt record;
    record.attempt.id = new_id("atmpt_");
    record.attempt.msg_id = p.delivery.msg_id;
    record.attempt.endpoint_id = p.delivery.endpoint_id;
    record.attempt.app_id = p.delivery.app_id;
    record.attempt.status = status;
    record.delivery = p.delivery;
    record.delivery.status = status;
    record.delivery.attempts = 1;
    record.delivery.next_attempt_at = 5'000;
    record.claim = claim;
    return record;
  }
};

TEST_F(ClaimsTest, ConcurrentClaimersNeverTakeTheSameDeliveryAndKeepTheirLimit) {
  open();
  constexpr int kDeliveries = 1'200;
  constexpr int kLimit = 25;
  insert_messages(kDeliveries);
  // Two nodes (stores), four claiming threads each, every thread on its own reader connection.
  auto second = open_postgres_store(options());
  std::mutex mu;
  std::multiset<std::string> claimed;
  bool over_limit = false;
  std::vector<std::future<void>> claimers;
  for (int i = 0; i < 8; ++i) {
    Store& store = i % 2 == 0 ? *store_ : *second;
    claimers.push_back(std::async(std::launch::async, [&] {
      for (;;) {
        const ClaimedPage page = store.claim_due(2'000, kLimit, {});
        if (page.deliveries.empty()) return;
        std::lock_guard lock(mu);
        over_limit = over_limit || page.deliveries.size() > kLimit;
        for (const auto& p : page.deliveries) claimed.insert(p.delivery.msg_id);
      }
    }));
  }
  for (auto& c : claimers) c.get();
  EXPECT_FALSE(over_limit);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), claimed.size())
      << "a delivery was claimed twice";
}

TEST_F(ClaimsTest, AClaimHoldsUntilItsLeaseEndsThenAnotherTakesItOver) {
  auto opts = options();
  opts.claim_lease_ms = 10'000;
  store_ = open_postgres_store(opts);
  insert_messages(3);
  const ClaimedPage first = store_->claim_due(2'000, 10, {});
  ASSERT_EQ(first.deliveries.size(), 3u);
  EXPECT_EQ(first.lease_until, 12'000);
  EXPECT_EQ(first.deliveries[0].delivery.next_attempt_at, 1'000) << "the due time before";
  EXPECT_EQ(claim_of(first.deliveries[0].delivery.msg_id),
            std::make_pair(static_cast<int64_t>(first.claim), std::string("node-a")));
  EXPECT_TRUE(store_->claim_due(11'999, 10, {}).deliveries.empty()) << "still leased";
  const ClaimedPage second = store_->claim_due(12'000, 10, {});
  ASSERT_EQ(second.deliveries.size(), 3u);
  EXPECT_NE(second.claim, first.claim);
}

TEST_F(ClaimsTest, AnOutcomeUnderAClaimThatWasTakenOverIsRefused) {
  ClaimedPage stale, fresh;
  ASSERT_NO_FATAL_FAILURE(claim_twice(1, stale, fresh));
  const PendingDelivery& p = fresh.deliveries[0];

  const WriteResult refused = store_->write_sync(outcome(p, stale.claim, DeliveryStatus::kSuccess));
  EXPECT_EQ(refused.status, WriteStatus::kConflict);
  EXPECT_EQ(attempts_of(p.delivery.msg_id), 0) << "the stale attempt is not recorded";
  EXPECT_EQ(claim_of(p.delivery.msg_id).first, static_cast<int64_t>(fresh.claim));

  EXPECT_EQ(store_->write_sync(outcome(p, fresh.claim, DeliveryStatus::kPending)).status,
            WriteStatus::kOk);
  EXPECT_EQ(attempts_of(p.delivery.msg_id), 1);
  EXPECT_EQ(claim_of(p.delivery.msg_id), std::make_pair(int64_t{0}, std::string()))
      << "a retry left to the store is unclaimed";
  EXPECT_EQ(store_->claim_due(5'000, 10, {}).deliveries.size(), 1u) << "any node claims it";
}

TEST_F(ClaimsTest, AttemptsOfOneCommitKeepTheirOrderAndTheirClaims) {
  ClaimedPage stale, fresh;
  ASSERT_NO_FATAL_FAILURE(claim_twice(2, stale, fresh));
  const PendingDelivery& p = fresh.deliveries[0];
  const PendingDelivery& other = fresh.deliveries[1];
  // Queued at once, so that one commit carries them all.
  auto retry = outcome(p, fresh.claim, DeliveryStatus::kPending);
  retry.keep_claim = true;
  std::vector<write::RecordAttempt> writes;
  writes.push_back(outcome(other, stale.claim, DeliveryStatus::kSuccess));
  writes.push_back(std::move(retry));
  writes.push_back(outcome(p, fresh.claim, DeliveryStatus::kSuccess));
  writes.push_back(outcome(other, fresh.claim, DeliveryStatus::kFailed));
  std::vector<std::future<WriteResult>> done;
  for (auto& w : writes) {
    auto promise = std::make_shared<std::promise<WriteResult>>();
    done.push_back(promise->get_future());
    store_->write(std::move(w), [promise](const WriteResult& r) { promise->set_value(r); });
  }
  EXPECT_EQ(done[0].get().status, WriteStatus::kConflict);
  for (size_t i = 1; i < done.size(); ++i) EXPECT_EQ(done[i].get().status, WriteStatus::kOk);
  const auto deliveries = store_->list_deliveries_of_message(p.delivery.msg_id);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].status, DeliveryStatus::kSuccess) << "the later attempt wins";
  EXPECT_EQ(attempts_of(p.delivery.msg_id), 2);
  EXPECT_EQ(claim_of(p.delivery.msg_id).first, 0);
  EXPECT_EQ(attempts_of(other.delivery.msg_id), 1) << "the stale attempt is not recorded";
  EXPECT_EQ(store_->list_deliveries_of_message(other.delivery.msg_id)[0].status,
            DeliveryStatus::kFailed);
}

TEST_F(ClaimsTest, ARetryKeptInMemoryKeepsItsClaim) {
  open();
  insert_messages(1);
  const ClaimedPage page = store_->claim_due(2'000, 10, {});
  ASSERT_EQ(page.deliveries.size(), 1u);
  auto record = outcome(page.deliveries[0], page.claim, DeliveryStatus::kPending);
  record.keep_claim = true;
  record.delivery.next_attempt_at = 70'000;  // the retry's due time plus a lease
  ASSERT_EQ(store_->write_sync(std::move(record)).status, WriteStatus::kOk);
  EXPECT_EQ(claim_of(page.deliveries[0].delivery.msg_id).first, static_cast<int64_t>(page.claim));
  EXPECT_TRUE(store_->claim_due(69'999, 10, {}).deliveries.empty());
}

TEST_F(ClaimsTest, ADeliveringNodeInsertsItsDeliveriesClaimedBySelf) {
  auto opts = options();
  opts.claim_new_deliveries = true;
  opts.claim_lease_ms = 30'000;
  store_ = open_postgres_store(opts);
  ASSERT_NE(store_->live_claim(), 0u);
  auto m = message("app_1", "", "{}");
  ASSERT_EQ(store_->write_sync(insert(m, {"ep_1", "ep_2"})).status, WriteStatus::kOk);
  EXPECT_EQ(claim_of(m->id).first, static_cast<int64_t>(store_->live_claim()));
  EXPECT_TRUE(store_->claim_due(30'999, 10, {}).deliveries.empty()) << "leased until 31'000";
  EXPECT_EQ(store_->claim_due(31'000, 10, {"ep_2"}).deliveries.size(), 1u) << "ep_2 skipped";
  const auto deliveries = store_->list_deliveries_of_message(m->id);
  ASSERT_EQ(deliveries.size(), 2u);
  for (const auto& d : deliveries) EXPECT_EQ(d.updated_at, 1'000);
}

}  // namespace
}  // namespace hookd

namespace hookd {
namespace {

// Two delivering nodes: each endpoint is one node's, in C++ (inserts) and in SQL (claims) alike.
class OwnershipTest : public ClaimsTest {
 protected:
  std::unique_ptr<Store> node(const std::string& id) {
    auto opts = options();
    opts.node_id = id;
    opts.claim_new_deliveries = true;
    opts.heartbeat_ms = 100;
    return open_postgres_store(opts);
  }
};

TEST_F(OwnershipTest, EachEndpointIsClaimedByItsOwnerOnly) {
  open();  // node-a inserts unclaimed: not a delivering node here
  std::vector<std::string> endpoints;
  for (int i = 0; i < 20; ++i) endpoints.push_back("ep_" + std::to_string(i));
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(store_->write_sync(insert(message("app_1", "", "{}"), endpoints)).status,
              WriteStatus::kOk);
  }
  auto b = node("node-b");
  auto c = node("node-c");
  const std::vector<std::string> live = {"node-b", "node-c"};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((b->live_nodes() != 2 || c->live_nodes() != 2) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(b->live_nodes(), 2);
  ASSERT_EQ(c->live_nodes(), 2);
  size_t claimed = 0;
  const std::vector<std::pair<Store*, std::string>> nodes = {{b.get(), "node-b"},
                                                             {c.get(), "node-c"}};
  for (const auto& [store, id] : nodes) {
    const ClaimedPage page = store->claim_due(2'000, 1'000, {});
    for (const auto& p : page.deliveries) {
      EXPECT_EQ(pg::owner_of(live, p.delivery.endpoint_id), id) << p.delivery.endpoint_id;
    }
    claimed += page.deliveries.size();
    EXPECT_GT(page.deliveries.size(), 0u) << id << " owns none of 20 endpoints";
  }
  EXPECT_EQ(claimed, 200u);

  // Inserting, each node claims the deliveries of its own endpoints only.
  const WriteResult r = b->write_sync(insert(message("app_1", "", "{}"), endpoints));
  ASSERT_EQ(r.claimed.size(), endpoints.size());
  for (size_t i = 0; i < endpoints.size(); ++i) {
    EXPECT_EQ(r.claimed[i], pg::owner_of(live, endpoints[i]) == "node-b") << endpoints[i];
  }
}

}  // namespace
}  // namespace hookd
