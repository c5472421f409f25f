#include "alerts/alerts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "alerts/test_events.h"

namespace hookd::alerts {
namespace {

using namespace test;

TEST(FormatEmail, APasswordInTheUrlIsNeverShown) {
  AlertEvent e = disabled(kT0);
  e.endpoint_url = "https://ops:pa55w0rd@example.test/x";
  const Email email = format_email({e}, ops());
  EXPECT_EQ(email.subject, "[hookd] Endpoint disabled: https://ops:***@example.test/x");
  EXPECT_EQ(email.body.find("pa55w0rd"), std::string::npos) << email.body;
  EXPECT_NE(email.body.find("https://ops:***@example.test/x"), std::string::npos) << email.body;
}

TEST(FormatEmail, FailureSubjectAndBody) {
  const Email e = format_email(
      {failure(kT0, 500), failure(kT0 + 1'000, 503), failure(kT0 + 2'000, 0, "timeout")}, ops());
  EXPECT_EQ(e.to, (std::vector<std::string>{"ops@example.test", "dev@example.test"}));
  EXPECT_EQ(e.subject, "[hookd] Endpoint failing: https://example.test/hook");
  EXPECT_EQ(e.body,
            "Deliveries to this endpoint are failing.\n\n"
            "Application: Acme (app_1)\n"
            "Endpoint: ep_1 (https://example.test/hook)\n"
            "Failed attempts: 3\n"
            "Last status codes: 500, 503, 0 (timeout)\n"
            "Last errors: http_status, timeout\n"
            "Last message: msg_1764076749000\n"
            "First failure: 2025-11-25T13:19:07.000Z\n"
            "Last failure: 2025-11-25T13:19:09.000Z\n");
}

TEST(FormatEmail, ListsTheLastTenStatusCodesAndCountsAll) {
  std::vector<AlertEvent> events;
  for (int i = 0; i < 12; ++i) events.push_back(failure(kT0 + i, 500 + i));
  const Email e = format_email(events, ops());
  EXPECT_TRUE(contains(e.body, "Failed attempts: 12\n"));
  EXPECT_TRUE(
      contains(e.body, "Last status codes: 502, 503, 504, 505, 506, 507, 508, 509, 510, 511\n"));
}

TEST(FormatEmail, DisabledNamesTheReason) {
  const Email e = format_email({disabled(kT0, "exhausted")}, ops());
  EXPECT_EQ(e.subject, "[hookd] Endpoint disabled: https://example.test/hook");
  EXPECT_TRUE(contains(e.body, "Application: Acme (app_1)\n"));
  EXPECT_TRUE(contains(e.body, "Endpoint: ep_1 (https://example.test/hook)\n"));
  EXPECT_TRUE(contains(e.body, "Reason: exhausted"));
  EXPECT_TRUE(contains(e.body, "Disabled at: 2025-11-25T13:19:07.000Z\n"));
}

TEST(FormatEmail, RecoveredSubject) {
  const Email e = format_email({recovered(kT0)}, ops());
  EXPECT_EQ(e.subject, "[hookd] Endpoint recovered: https://example.test/hook");
  EXPECT_TRUE(contains(e.body, "Recovered at: 2025-11-25T13:19:07.000Z\n"));
}

TEST(FormatEmail, AFailureAfterARecoveryMakesItAFailureEmail) {
  EXPECT_EQ(format_email({failure(kT0, 500), recovered(kT0 + 1)}, ops()).subject,
            "[hookd] Endpoint recovered: https://example.test/hook");
  EXPECT_EQ(format_email({recovered(kT0), failure(kT0 + 1, 500)}, ops()).subject,
            "[hookd] Endpoint failing: https://example.test/hook");
  EXPECT_TRUE(format_email({}, ops()).subject.empty());
}

TEST(FormatEmail, ControlCharactersNeverReachAHeader) {
  AlertEvent f = failure(kT0, 500);
  f.endpoint_url = "https://example.test/\r\nX-Evil: 1\n";
  f.app_name = "Acme\nFake line: yes";
  const Email e = format_email({f}, Recipients{{"ops@example.test\n"}, {}});
  EXPECT_EQ(e.subject, "[hookd] Endpoint failing: https://example.test/X-Evil: 1");
  EXPECT_EQ(e.to, (std::vector<std::string>{"ops@example.test"}));
  EXPECT_TRUE(contains(e.body, "Application: AcmeFake line: yes (app_1)\n"));
  // Long and non-ASCII URLs stay short and ASCII in the subject.
  f.endpoint_url = "https://example.test/caf\xc3\xa9/" + std::string(1'000, 'a');
  const Email long_url = format_email({f}, ops());
  EXPECT_TRUE(contains(long_url.subject, "caf%C3%A9/"));
  EXPECT_LT(long_url.subject.size(), 300u);
}

}  // namespace
}  // namespace hookd::alerts
