#include "alerts/alerts.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/time.h"

namespace hookd::alerts {
namespace {

constexpr int64_t kT0 = 1'764'076'747'000;  // 2025-11-25T13:19:07.000Z
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 3'600'000;

AlertEvent failure(int64_t at, int status, std::string error = "http_status",
                   std::string endpoint = "ep_1") {
  AlertEvent e;
  e.kind = AlertKind::kFailure;
  e.app_id = "app_1";
  e.app_name = "Acme";
  e.endpoint_id = std::move(endpoint);
  e.endpoint_url = "https://example.test/hook";
  e.at_ms = at;
  e.status_code = status;
  e.error = std::move(error);
  e.msg_id = "msg_" + std::to_string(at);
  return e;
}

AlertEvent disabled(int64_t at, std::string reason = "exhausted") {
  AlertEvent e = failure(at, 0);
  e.kind = AlertKind::kDisabled;
  e.status_code = 0;
  e.error.clear();
  e.msg_id.clear();
  e.reason = std::move(reason);
  return e;
}

AlertEvent recovered(int64_t at) {
  AlertEvent e = disabled(at, "");
  e.kind = AlertKind::kRecovered;
  return e;
}

Recipients ops(Frequency frequency = Frequency::kImmediate) {
  return {{"ops@example.test", "dev@example.test"}, frequency};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

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

TEST(FormatEmail, APasswordInTheUrlIsNeverShown) {
  AlertEvent e = disabled(kT0);
  e.endpoint_url = "https://ops:pa55w0rd@example.test/x";
  const Email email = format_email({e}, ops());
  EXPECT_EQ(email.subject, "[hookd] Endpoint disabled: https://ops:***@example.test/x");
  EXPECT_EQ(email.body.find("pa55w0rd"), std::string::npos) << email.body;
  EXPECT_NE(email.body.find("https://ops:***@example.test/x"), std::string::npos) << email.body;
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

// --- One real SMTP round trip: libcurl to Debian's aiosmtpd ------------------------------

constexpr const char* kPython = "/usr/bin/python3";

// Writes every message it receives to argv[2] (a JSON list, replaced atomically) and
// touches argv[2].ready once listening; exits by itself after a minute.
constexpr const char* kSmtpServer = R"PY(
import json, os, sys, time
from aiosmtpd.controller import Controller
port, out = int(sys.argv[1]), sys.argv[2]
received = []
class Handler:
    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        received.append({"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": data})
        with open(out + ".tmp", "w") as f:
            json.dump(received, f)
        os.replace(out + ".tmp", out)
        return "250 OK"
controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
open(out + ".ready", "w").close()
time.sleep(60)
controller.stop()
)PY";

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// The SMTP server process and its directory, gone when the test ends however it ends.
struct SmtpServer {
  ~SmtpServer() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      bool reaped = false;
      for (int i = 0; i < 50 && !reaped; ++i) {
        reaped = waitpid(pid, &status, WNOHANG) == pid;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!reaped) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
      }
    }
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  bool exited() {
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) pid = -1;
    return pid <= 0;
  }

  pid_t pid = -1;
  std::filesystem::path dir;
};

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

TEST(AlertsSmtp, DeliversADisabledAlertToARealSmtpServer) {
  if (std::system("/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3-aiosmtpd is not importable by /usr/bin/python3 "
                    "(apt-get install python3-aiosmtpd)";
  }
  SmtpServer server;
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "hookd-alerts-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
  server.dir = dir_template;
  const std::string out = (server.dir / "received.json").string();
  const int port = free_port();
  ASSERT_NE(port, 0);
  const std::string port_text = std::to_string(port);
  std::vector<std::string> args = {"python3", "-c", kSmtpServer, port_text, out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ASSERT_EQ(posix_spawn(&server.pid, kPython, nullptr, nullptr, argv.data(), environ), 0);
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(out + ".ready") || server.exited(); },
                       std::chrono::seconds(10)));
  ASSERT_FALSE(server.exited()) << "the SMTP server exited early";

  Alerter alerter(SmtpSettings{.url = "smtp://127.0.0.1:" + port_text,
                               .from = "hookd@example.test",
                               .timeout_ms = 5'000},
                  {});
  alerter.start();
  alerter.notify(disabled(now_unix_ms(), "gone"),
                 Recipients{{"ops@example.test", "dev@example.test"}, {}});
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(out); }, std::chrono::seconds(10)))
      << "no email arrived within 10 s";
  alerter.stop();

  std::ifstream in(out);
  const auto received = nlohmann::json::parse(in);
  ASSERT_EQ(received.size(), 1u);
  const auto& mail = received[0];
  EXPECT_EQ(mail["from"], "hookd@example.test");
  EXPECT_EQ(mail["to"], (nlohmann::json{"ops@example.test", "dev@example.test"}));
  const std::string data = mail["data"];
  EXPECT_TRUE(
      contains(data, "\r\nSubject: [hookd] Endpoint disabled: https://example.test/hook\r\n"))
      << data;
  EXPECT_TRUE(contains(data, "From: hookd@example.test\r\n")) << data;
  EXPECT_TRUE(contains(data, "To: ops@example.test,\r\n dev@example.test\r\n")) << data;
  EXPECT_TRUE(contains(data, "\r\nMessage-ID: <")) << data;
  EXPECT_TRUE(contains(data, "\r\nDate: ") || data.starts_with("Date: ")) << data;
  EXPECT_TRUE(contains(data, "\r\nContent-Type: text/plain; charset=utf-8\r\n")) << data;
  EXPECT_TRUE(contains(data, "\r\n\r\nThis endpoint was disabled.\r\n")) << data;
  EXPECT_TRUE(contains(data, "Reason: gone (the receiver answered 410 Gone)\r\n")) << data;
}

TEST(AlertsSmtp, AHungServerBlocksNeitherNotifyNorStop) {
  // A listening socket that never accepts: the kernel completes the connection and libcurl
  // waits for a greeting that never comes.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  {
    Alerter alerter(SmtpSettings{.url = "smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                                 .timeout_ms = 500},
                    {});
    alerter.start();
    alerter.notify(disabled(now_unix_ms()), ops());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the send is under way
    const auto notify_start = std::chrono::steady_clock::now();
    alerter.notify(failure(now_unix_ms(), 500, "http_status", "ep_2"), ops());
    EXPECT_LT(std::chrono::steady_clock::now() - notify_start, std::chrono::milliseconds(100));
    const auto stop_start = std::chrono::steady_clock::now();
    alerter.stop();  // one last try for what is queued, within the 500 ms timeout in all
    EXPECT_LT(std::chrono::steady_clock::now() - stop_start, std::chrono::milliseconds(1'500));
  }
  close(fd);
}

}  // namespace
}  // namespace hookd::alerts
