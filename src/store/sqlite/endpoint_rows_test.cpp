#include <gtest/gtest.h>

#include "common/ids.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd {
namespace {

class EndpointRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    store_ = open_sqlite_store(options);
  }
  void TearDown() override { store_.reset(); }

  // A message created at `at` (unix ms) for each of `endpoints`.
  MessagePtr insert(int64_t at, std::vector<std::string> endpoints) {
    auto m = std::make_shared<Message>();
    m->id = make_id("msg_", at, 0, static_cast<uint64_t>(at));
    m->app_id = "app_1";
    m->event_type = "a.b";
    m->payload = R"({"n":)" + std::to_string(at) + "}";
    m->created_at = at;
    auto ids = std::make_shared<const std::vector<std::string>>(std::move(endpoints));
    EXPECT_EQ(store_->write_sync(write::InsertMessage{m, ids}).status, WriteStatus::kOk);
    return m;
  }
  void settle(const MessagePtr& m, const std::string& endpoint, DeliveryStatus status) {
    Attempt a;
    a.id = new_id("atmpt_");
    a.msg_id = m->id;
    a.endpoint_id = endpoint;
    a.app_id = "app_1";
    a.response = "the receiver's answer";
    a.created_at = m->created_at;
    Delivery d{m->id, endpoint, "app_1", status, 1, 0, m->created_at};
    EXPECT_EQ(store_->write_sync(write::RecordAttempt{a, d}).status, WriteStatus::kOk);
    last_attempt_ = a.id;
  }
  std::vector<int64_t> listed(const EndpointMessageFilter& filter, Page page = {}) {
    std::vector<int64_t> out;
    for (const auto& row : store_->list_endpoint_messages("ep_1", filter, page)) {
      out.push_back(row.message.created_at);
    }
    return out;
  }

  ScratchDir dir_{"hookd-endpoint-rows"};
  std::unique_ptr<Store> store_;
  std::string last_attempt_;
};

TEST_F(EndpointRowsTest, StatsCountAnEndpointsDeliveriesByStatusInTheTimeRange) {
  settle(insert(1'000, {"ep_1", "ep_2"}), "ep_1", DeliveryStatus::kSuccess);
  settle(insert(2'000, {"ep_1"}), "ep_1", DeliveryStatus::kFailed);
  insert(3'000, {"ep_1"});  // pending
  settle(insert(4'000, {"ep_2"}), "ep_2", DeliveryStatus::kSuccess);
  const EndpointStats all = store_->endpoint_stats("ep_1", 0, 10'000);
  EXPECT_EQ(all.success, 1);
  EXPECT_EQ(all.fail, 1);
  EXPECT_EQ(all.pending, 1);
  EXPECT_EQ(all.sending, 0);
  const EndpointStats some = store_->endpoint_stats("ep_1", 2'000, 3'000);  // until: exclusive
  EXPECT_EQ(some.success + some.pending + some.fail, 1);
  EXPECT_EQ(some.fail, 1);
  const EndpointStats other = store_->endpoint_stats("ep_2", 0, 10'000);
  EXPECT_EQ(other.success, 1);
  EXPECT_EQ(other.pending, 1);  // its delivery of the first message was never attempted
}

TEST_F(EndpointRowsTest, MessagesOfAnEndpointListNewestFirstWithTheirDelivery) {
  settle(insert(1'000, {"ep_1"}), "ep_1", DeliveryStatus::kSuccess);
  insert(2'000, {"ep_2"});
  settle(insert(3'000, {"ep_1", "ep_2"}), "ep_1", DeliveryStatus::kFailed);
  insert(4'000, {"ep_1"});
  using V = std::vector<int64_t>;
  EXPECT_EQ(listed({}), (V{4'000, 3'000, 1'000}));
  EXPECT_EQ(listed({DeliveryStatus::kFailed, {}, {}}), (V{3'000}));
  EXPECT_EQ(listed({{}, 4'000, 1'000}), (V{3'000}));  // before and after: both exclusive
  const auto first = store_->list_endpoint_messages("ep_1", {}, Page{1, ""});
  ASSERT_EQ(first.size(), 2u);  // limit + 1: more follow
  EXPECT_EQ(listed({}, Page{5, first[0].id}), (V{3'000, 1'000}));
  EXPECT_EQ(first[0].delivery.status, DeliveryStatus::kPending);
  EXPECT_EQ(first[0].message.payload, R"({"n":4000})");
  EXPECT_TRUE(store_->list_endpoint_messages("ep_9", {}, {}).empty());
}

TEST_F(EndpointRowsTest, AnAttemptedPendingDeliveryIsReportedAsSending) {
  settle(insert(1'000, {"ep_1"}), "ep_1", DeliveryStatus::kPending);  // failed once, retrying
  insert(2'000, {"ep_1"});                                            // never attempted
  settle(insert(3'000, {"ep_1"}), "ep_1", DeliveryStatus::kSuccess);
  const EndpointStats stats = store_->endpoint_stats("ep_1", 0, 10'000);
  EXPECT_EQ(stats.sending, 1);
  EXPECT_EQ(stats.pending, 1);
  EXPECT_EQ(stats.success, 1);
  using V = std::vector<int64_t>;
  EXPECT_EQ(listed({DeliveryStatus::kSending, {}, {}}), (V{1'000}));
  EXPECT_EQ(listed({DeliveryStatus::kPending, {}, {}}), (V{2'000}));
  const auto rows = store_->list_endpoint_messages("ep_1", {}, {});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(reported_status(rows[2].delivery), DeliveryStatus::kSending);
  EXPECT_EQ(reported_status(rows[1].delivery), DeliveryStatus::kPending);
}

TEST_F(EndpointRowsTest, ExpungingKeepsTheRowsAndDropsTheBytes) {
  const MessagePtr m = insert(1'000, {"ep_1"});
  settle(m, "ep_1", DeliveryStatus::kSuccess);
  EXPECT_EQ(store_->write_sync(write::ExpungeContent{"app_2", m->id, ""}).affected, 0);
  EXPECT_EQ(store_->get_message("app_1", m->id)->payload, m->payload);  // another app's: kept
  EXPECT_EQ(store_->write_sync(write::ExpungeContent{"app_1", m->id, ""}).affected, 1);
  EXPECT_EQ(store_->get_message("app_1", m->id)->payload, "{}");
  EXPECT_EQ(store_->get_attempt("app_1", last_attempt_)->response, "the receiver's answer");
  EXPECT_EQ(store_->write_sync(write::ExpungeContent{"app_1", m->id, last_attempt_}).affected, 1);
  const auto attempt = store_->get_attempt("app_1", last_attempt_);
  ASSERT_TRUE(attempt);
  EXPECT_EQ(attempt->response, "");
  EXPECT_EQ(attempt->msg_id, m->id);
}

}  // namespace
}  // namespace hookd
