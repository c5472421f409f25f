#include "delivery/delivery_ledger.h"

#include <gtest/gtest.h>

#include <memory>

namespace hookd {
namespace {

DeliveryJob job(const std::string& msg_id, const std::string& endpoint_id,
                uint64_t snapshot_seq = 0) {
  auto message = std::make_shared<Message>();
  message->id = msg_id;
  DeliveryJob j;
  j.message = std::move(message);
  j.endpoint_id = endpoint_id;
  j.snapshot_seq = snapshot_seq;
  return j;
}

TEST(DeliveryLedger, KeyNamesMessageAndEndpoint) {
  EXPECT_EQ(DeliveryLedger::key_of(job("msg_1", "ep_2")), "msg_1 ep_2");
}

TEST(DeliveryLedger, HoldsADeliveryOnce) {
  DeliveryLedger ledger;
  EXPECT_TRUE(ledger.hold(job("m", "e")));
  EXPECT_FALSE(ledger.hold(job("m", "e")));
  EXPECT_TRUE(ledger.hold(job("m", "other")));
  EXPECT_TRUE(ledger.release(job("m", "e")));
  EXPECT_FALSE(ledger.release(job("m", "e")));  // no longer held
  EXPECT_TRUE(ledger.hold(job("m", "e")));
}

TEST(DeliveryLedger, ReleaseCountsOnlyScheduledDeliveries) {
  DeliveryLedger ledger;
  DeliveryJob manual = job("m", "e");
  manual.trigger = TriggerType::kManual;
  EXPECT_FALSE(ledger.release(manual));
}

TEST(DeliveryLedger, OneReplayOnItsWayUntilReleasedOrSettled) {
  DeliveryLedger ledger;
  DeliveryJob replay = job("m", "e");
  replay.replay = true;
  EXPECT_TRUE(ledger.start_replay(replay));
  EXPECT_FALSE(ledger.start_replay(replay));
  ledger.release(replay);
  EXPECT_TRUE(ledger.start_replay(replay));
  ledger.settle("m e", 5);
  EXPECT_TRUE(ledger.start_replay(replay));
}

TEST(DeliveryLedger, SettlingLetsGoOfTheHeldDelivery) {
  DeliveryLedger ledger;
  ASSERT_TRUE(ledger.hold(job("m", "e")));
  ledger.settle("m e", 7);
  EXPECT_EQ(ledger.held(), 0u);
  EXPECT_TRUE(ledger.hold(job("m", "e")));
}

TEST(DeliveryLedger, LiveJobsAreNeverStale) {
  DeliveryLedger ledger;
  ledger.settle("m e", 7);
  EXPECT_FALSE(ledger.stale(job("m", "e", 0)));
}

TEST(DeliveryLedger, AReadBeforeTheCommitIsStale) {
  DeliveryLedger ledger;
  ledger.settle("m e", 7);
  // snapshot_seq is 1 + the commit sequence when the read began.
  EXPECT_TRUE(ledger.stale(job("m", "e", 7)));   // began before commit 7 was visible
  EXPECT_FALSE(ledger.stale(job("m", "x", 7)));  // another delivery
  EXPECT_FALSE(ledger.stale(job("m", "e", 8)));  // saw the commit: pending again
}

TEST(DeliveryLedger, SettlementsOlderThanAReadAreForgotten) {
  DeliveryLedger ledger;
  ledger.settle("a e", 3);
  ledger.settle("b e", 9);
  EXPECT_EQ(ledger.settled(), 2u);
  EXPECT_FALSE(ledger.stale(job("a", "e", 5)));  // committed before the read began
  EXPECT_EQ(ledger.settled(), 1u);
  EXPECT_TRUE(ledger.stale(job("b", "e", 5)));
}

TEST(DeliveryLedger, SettledAgainKeepsTheLaterCommit) {
  DeliveryLedger ledger;
  ledger.settle("m e", 3);
  ledger.settle("m e", 9);
  // Pruning the first settlement leaves the second.
  EXPECT_TRUE(ledger.stale(job("m", "e", 5)));
  EXPECT_EQ(ledger.settled(), 1u);
}

TEST(DeliveryLedger, AWatermarkIsStaleAndPrunes) {
  DeliveryLedger ledger;
  ledger.settle("m e", 3);
  DeliveryJob watermark;
  watermark.snapshot_seq = 10;
  EXPECT_TRUE(ledger.stale(watermark));
  EXPECT_EQ(ledger.settled(), 0u);
}

}  // namespace
}  // namespace hookd
