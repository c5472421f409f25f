#include "alerts/alerts.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/test_events.h"
#include "common/time.h"

namespace hookd::alerts {
namespace {

using namespace test;

// An Alerter on a fake clock whose emails land in `sent`; no thread is started.
struct Harness {
  explicit Harness(Intervals intervals = {})
      : alerter(
            {}, intervals, [this] { return now; },
            [this](const Email& e) {
              sent.push_back(e);
              return send_ok;
            }) {}

  void at(int64_t t) {
    now = t;
    alerter.flush_due();
  }

  int64_t now = kT0;
  bool send_ok = true;
  std::vector<Email> sent;
  Alerter alerter;
};

TEST(Alerter, ImmediateSendsTheFirstFailureThenOneEmailPerInterval) {
  Harness h;
  h.alerter.notify(failure(kT0, 500), ops());
  h.at(kT0);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].subject, "[hookd] Endpoint failing: https://example.test/hook");
  EXPECT_TRUE(contains(h.sent[0].body, "Failed attempts: 1\n"));

  h.now = kT0 + 1'000;
  h.alerter.notify(failure(h.now, 503), ops());
  h.now = kT0 + 2'000;
  h.alerter.notify(failure(h.now, 0, "timeout"), ops());
  h.at(kT0 + 2'000);
  h.at(kT0 + kMinute - 1);
  ASSERT_EQ(h.sent.size(), 1u);
  h.at(kT0 + kMinute);
  ASSERT_EQ(h.sent.size(), 2u);
  const std::string& body = h.sent[1].body;
  EXPECT_TRUE(contains(body, "Failed attempts: 2\n"));
  EXPECT_TRUE(contains(body, "Last status codes: 503, 0 (timeout)\n"));
  EXPECT_TRUE(contains(body, "First failure: " + format_rfc3339(kT0 + 1'000) + "\n"));
  EXPECT_TRUE(contains(body, "Last failure: " + format_rfc3339(kT0 + 2'000) + "\n"));

  // After a quiet interval the next failure goes out at once again.
  h.now = kT0 + 5 * kMinute;
  h.alerter.notify(failure(h.now, 502), ops());
  h.at(h.now);
  ASSERT_EQ(h.sent.size(), 3u);
  EXPECT_TRUE(contains(h.sent[2].body, "Last status codes: 502\n"));
}

TEST(Alerter, HourlyCollectsOneDigestFromTheFirstFailure) {
  Harness h;
  for (const int64_t offset : {int64_t{0}, 10 * kMinute, 50 * kMinute}) {
    h.now = kT0 + offset;
    h.alerter.notify(failure(h.now, 500), ops(Frequency::kHourly));
    h.at(h.now);
  }
  h.at(kT0 + kHour - 1);
  EXPECT_TRUE(h.sent.empty());
  h.at(kT0 + kHour);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_TRUE(contains(h.sent[0].body, "Failed attempts: 3\n"));
  EXPECT_TRUE(contains(h.sent[0].body, "First failure: " + format_rfc3339(kT0) + "\n"));
  EXPECT_TRUE(contains(h.sent[0].body, "Last failure: " + format_rfc3339(kT0 + 50 * kMinute)));

  // The next failure opens a new period.
  h.now = kT0 + 2 * kHour;
  h.alerter.notify(failure(h.now, 500), ops(Frequency::kHourly));
  h.at(kT0 + 3 * kHour - 1);
  EXPECT_EQ(h.sent.size(), 1u);
  h.at(kT0 + 3 * kHour);
  EXPECT_EQ(h.sent.size(), 2u);
}

TEST(Alerter, DailyUsesItsOwnPeriod) {
  Harness h(Intervals{.immediate_ms = 1'000, .hourly_ms = 2'000, .daily_ms = 5'000});
  h.alerter.notify(failure(kT0, 500), ops(Frequency::kDaily));
  h.at(kT0 + 4'999);
  EXPECT_TRUE(h.sent.empty());
  h.at(kT0 + 5'000);
  EXPECT_EQ(h.sent.size(), 1u);
}

TEST(Alerter, GroupsPerEndpoint) {
  Harness h;
  h.alerter.notify(failure(kT0, 500, "http_status", "ep_1"), ops(Frequency::kHourly));
  h.alerter.notify(failure(kT0, 502, "http_status", "ep_2"), ops(Frequency::kHourly));
  h.alerter.notify(failure(kT0 + 1, 503, "http_status", "ep_2"), ops(Frequency::kHourly));
  h.at(kT0 + kHour + 1);
  ASSERT_EQ(h.sent.size(), 2u);
  const bool first_is_ep1 = contains(h.sent[0].body, "Endpoint: ep_1 ");
  const Email& ep2 = h.sent[first_is_ep1 ? 1 : 0];
  EXPECT_TRUE(contains(ep2.body, "Endpoint: ep_2 (https://example.test/hook)\n"));
  EXPECT_TRUE(contains(ep2.body, "Failed attempts: 2\n"));
}

TEST(Alerter, DisabledIsSentAtOnceWithThePendingFailures) {
  Harness h;
  h.alerter.notify(failure(kT0, 500), ops(Frequency::kHourly));
  h.now = kT0 + 5 * kMinute;
  h.alerter.notify(disabled(h.now, "gone"), ops(Frequency::kHourly));
  h.at(h.now);
  ASSERT_EQ(h.sent.size(), 1u);
  const Email& e = h.sent[0];
  EXPECT_EQ(e.subject, "[hookd] Endpoint disabled: https://example.test/hook");
  EXPECT_TRUE(contains(e.body, "Reason: gone"));
  EXPECT_TRUE(contains(e.body, "Disabled at: " + format_rfc3339(kT0 + 5 * kMinute) + "\n"));
  EXPECT_TRUE(contains(e.body, "Failed attempts: 1\n"));
  EXPECT_TRUE(contains(e.body, "Last status codes: 500\n"));
  h.at(kT0 + 2 * kHour);  // the failure is not sent a second time
  EXPECT_EQ(h.sent.size(), 1u);
}

TEST(Alerter, RecoveredIsSentOnlyAfterAFailureAlert) {
  Harness h;
  h.alerter.notify(recovered(kT0), ops());
  h.at(kT0);
  EXPECT_TRUE(h.sent.empty());

  h.alerter.notify(failure(kT0, 500), ops());
  h.at(kT0);
  h.now = kT0 + 1'000;
  h.alerter.notify(recovered(h.now), ops());
  h.at(h.now);
  ASSERT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.sent[1].subject, "[hookd] Endpoint recovered: https://example.test/hook");
  EXPECT_TRUE(contains(h.sent[1].body, "Recovered at: " + format_rfc3339(kT0 + 1'000) + "\n"));
  EXPECT_FALSE(contains(h.sent[1].body, "Failed attempts"));

  // A second success in a row is no news.
  h.alerter.notify(recovered(kT0 + 2'000), ops());
  h.at(kT0 + 2 * kHour);
  EXPECT_EQ(h.sent.size(), 2u);
}

TEST(Alerter, RecoveryJoinsFailuresThatWaitForTheirInterval) {
  Harness h;
  h.alerter.notify(failure(kT0, 500), ops());
  h.at(kT0);
  h.alerter.notify(failure(kT0 + 1'000, 503), ops());
  h.now = kT0 + 2'000;
  h.alerter.notify(recovered(h.now), ops());
  h.at(h.now);
  ASSERT_EQ(h.sent.size(), 1u);  // the interval still holds
  h.at(kT0 + kMinute);
  ASSERT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.sent[1].subject, "[hookd] Endpoint recovered: https://example.test/hook");
  EXPECT_TRUE(contains(h.sent[1].body, "Failed attempts: 1\n"));
  EXPECT_TRUE(contains(h.sent[1].body, "Last status codes: 503\n"));

  // Failing again after a waiting recovery makes it a failure email.
  h.alerter.notify(failure(kT0 + 61'000, 500), ops());
  h.alerter.notify(recovered(kT0 + 62'000), ops());
  h.alerter.notify(failure(kT0 + 63'000, 504), ops());
  h.at(kT0 + 2 * kMinute);
  ASSERT_EQ(h.sent.size(), 3u);
  EXPECT_EQ(h.sent[2].subject, "[hookd] Endpoint failing: https://example.test/hook");
  EXPECT_TRUE(contains(h.sent[2].body, "Failed attempts: 2\n"));
}

TEST(Alerter, SendsToTheRecipientsOnceEachAndDropsWithoutRecipients) {
  Harness h;
  h.alerter.notify(failure(kT0, 500), Recipients{{}, Frequency::kImmediate});
  h.at(kT0);
  EXPECT_TRUE(h.sent.empty());
  h.alerter.notify(disabled(kT0),
                   Recipients{{"a@example.test", "b@example.test", "a@example.test"}, {}});
  h.at(kT0);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].to, (std::vector<std::string>{"a@example.test", "b@example.test"}));
}

TEST(Alerter, RetriesAFailedSendWithBackoffThenDropsIt) {
  Harness h;
  h.send_ok = false;
  h.alerter.notify(disabled(kT0), ops());
  h.at(kT0);
  EXPECT_EQ(h.sent.size(), 1u);
  h.at(kT0 + 9'999);
  EXPECT_EQ(h.sent.size(), 1u);
  h.at(kT0 + 10'000);
  EXPECT_EQ(h.sent.size(), 2u);
  h.at(kT0 + 70'000);
  EXPECT_EQ(h.sent.size(), 3u);
  h.at(kT0 + 370'000);
  EXPECT_EQ(h.sent.size(), 4u);
  h.at(kT0 + 24 * kHour);
  EXPECT_EQ(h.sent.size(), 4u);
}

TEST(Alerter, DoesNothingWhenNotEnabled) {
  Alerter off({}, {}, [] { return kT0; });
  EXPECT_FALSE(off.enabled());
  off.notify(disabled(kT0), ops());
  off.flush_due();
  Alerter smtp(SmtpSettings{.url = "smtp://127.0.0.1:1"}, {});
  EXPECT_TRUE(smtp.enabled());
}

TEST(Alerter, CrLfInTheUrlDoesNotReachTheSubject) {
  Harness h;
  AlertEvent e = disabled(kT0);
  e.endpoint_url = "https://example.test/x\r\nBcc: evil@example.test";
  h.alerter.notify(e, Recipients{{"ops@example.test\r\nBcc: evil@example.test"}, {}});
  h.at(kT0);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].subject,
            "[hookd] Endpoint disabled: https://example.test/xBcc: evil@example.test");
  EXPECT_EQ(h.sent[0].to, (std::vector<std::string>{"ops@example.testBcc: evil@example.test"}));
}

TEST(Alerter, TheBackgroundThreadSends) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Email> sent;
  Alerter alerter({}, {}, nullptr, [&](const Email& e) {
    std::lock_guard lock(mu);
    sent.push_back(e);
    cv.notify_all();
    return true;
  });
  alerter.start();
  alerter.notify(disabled(now_unix_ms()), ops());
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !sent.empty(); }));
  lock.unlock();
  alerter.stop();
}

}  // namespace
}  // namespace hookd::alerts
