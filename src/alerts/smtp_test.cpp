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

#include "alerts/test_events.h"
#include "common/time.h"

namespace hookd::alerts {
namespace {

using namespace test;

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
