#include <utility>  // before Asio: Boost 1.74 misses it

#include "api/http_server.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "common/time.h"
#include "common/version.h"
#include "dashboard/sessions.h"

namespace hookd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {

HttpRequest to_request(http::request<http::string_body>&& req) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  const std::string_view target = req.target();
  const auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = parse_query(target.substr(q + 1));
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    out.authorization = std::string(it->value());
  }
  if (auto it = req.find(http::field::cookie); it != req.end()) {
    out.session_id = std::string(dashboard::session_in_cookies(it->value()));
    if (auto csrf = req.find("x-csrf-token"); csrf != req.end()) {
      out.csrf_token = std::string(csrf->value());
    }
  }
  if (out.method == "POST") {
    if (auto it = req.find("idempotency-key"); it != req.end()) {
      out.idempotency_key = std::string(it->value());
    }
  }
  if (out.path.starts_with("/webhook/") || out.path == "/ui/session") {
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(field.value()));
    }
  }
  out.body = std::move(req.body());
  out.body.reserve(out.body.size() + simdjson::SIMDJSON_PADDING);
  return out;
}

const std::string kServer = std::string("hookd/") + kVersion;

// Writes the head and the body in one gathered write. Formatting the head directly costs a
// fraction of Beast's generic serializer on this path, which every request takes. The answer to
// a HEAD has the head a GET would have and no body (RFC 9110, section 9.3.2).
asio::awaitable<void> write_response(beast::tcp_stream& stream, const HttpResponse& response,
                                     unsigned version, bool keep_alive, beast::error_code& ec,
                                     bool head_only = false) {
  const std::string head = response_head(response, version, keep_alive, kServer);
  const bool body = status_has_body(response.status) && !head_only;
  const std::array<asio::const_buffer, 2> out{
      asio::buffer(head), asio::buffer(response.body.data(), body ? response.body.size() : 0)};
  co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
}

// The rest of a Server-Sent Events answer: the stream's bytes as they come, and a comment line
// every 15 s without any, so that proxies and browsers keep the connection open. Ends when the
// client closes the connection (or sends anything: nothing may follow a stream), a write fails,
// or the server stops.
asio::awaitable<void> write_events(beast::tcp_stream& stream, EventStream& events,
                                   beast::error_code& ec) {
  constexpr auto kKeepAlive = std::chrono::seconds(15);
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor);
  auto gone = std::make_shared<bool>(false);
  auto byte = std::make_shared<char>();
  // The handlers touch only what they share: they may run after this frame is gone.
  stream.socket().async_read_some(asio::buffer(byte.get(), 1),
                                  [timer, gone, byte](beast::error_code, size_t) {
                                    *gone = true;
                                    timer->cancel();
                                  });
  // A wake posted while this coroutine runs is handled when it next waits: nothing is missed,
  // since take() always runs before the wait.
  events.on_ready([timer, executor] { asio::post(executor, [timer] { timer->cancel(); }); });
  while (!ec && !*gone) {
    std::string bytes = events.take();
    if (bytes.empty()) {
      timer->expires_after(kKeepAlive);
      beast::error_code waited;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, waited));
      if (*gone) break;
      bytes = events.take();
      if (bytes.empty() && waited == asio::error::operation_aborted) continue;
      if (bytes.empty()) bytes = ": keep-alive\n\n";
    }
    stream.expires_after(kKeepAlive * 2);
    co_await asio::async_write(stream, asio::buffer(bytes),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  events.on_ready(nullptr);
  beast::error_code ignored;
  stream.socket().cancel(ignored);  // the read, when the write ended the stream
}

// Waits for the Api's answer, resuming on this connection's executor whichever thread answers.
asio::awaitable<HttpResponse> dispatch(Api& api, HttpRequest&& request) {
  auto executor = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(HttpResponse)>(
      [&api, &request, executor](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        api.handle(std::move(request), [shared, executor](HttpResponse response) {
          asio::post(executor, [shared, response = std::move(response)]() mutable {
            (*shared)(std::move(response));
          });
        });
      },
      asio::use_awaitable);
}

// What the acceptors of all I/O threads share.
struct Shared {
  const HttpServerOptions& options;
  Api& api;
  std::atomic<int> open{0};
  std::atomic<int64_t> last_warning_ms{0};

  // At most one warning a second across all threads: a full descriptor table or a flood past
  // the cap must not turn into a flood of log lines.
  bool may_warn() {
    const int64_t now = now_steady_ms();
    int64_t last = last_warning_ms.load(std::memory_order_relaxed);
    return now - last >= 1000 && last_warning_ms.compare_exchange_strong(last, now);
  }
  void count_open(int delta) {
    open.fetch_add(delta, std::memory_order_relaxed);
    if (options.metrics) options.metrics->connections_open.fetch_add(delta);
  }
};

// Counts a connection open for as long as its session runs.
struct OpenConnection {
  Shared& shared;
  explicit OpenConnection(Shared& s) : shared(s) { shared.count_open(1); }
  ~OpenConnection() { shared.count_open(-1); }
  OpenConnection(const OpenConnection&) = delete;
  OpenConnection& operator=(const OpenConnection&) = delete;
};

asio::awaitable<void> session(tcp::socket socket, Shared& shared) {
  const OpenConnection counted(shared);
  Api& api = shared.api;
  const HttpServerOptions& options = shared.options;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  // Beast reads as much as the buffer's free capacity (at least 512 bytes): with room for a
  // whole typical request, one recvmsg reads it instead of three or four.
  buffer.reserve(16 * 1024);
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    stream.expires_after(std::chrono::seconds(options.idle_timeout_s));
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::body_limit) {
      co_await write_response(
          stream,
          error_response(413, "payload_too_large",
                         "body: larger than " + std::to_string(options.max_body_bytes) + " bytes"),
          11, false, ec);
      break;
    }
    if (ec) break;
    auto req = parser.release();
    if (req.version() >= 11 && req.find(http::field::host) == req.end()) {
      co_await write_response(stream,
                              error_response(400, "bad_request", "Host: header missing (HTTP/1.1)"),
                              req.version(), false, ec);
      break;
    }
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    const bool head_only = req.method() == http::verb::head;
    const HttpResponse response = co_await dispatch(api, to_request(std::move(req)));
    stream.expires_after(std::chrono::seconds(options.idle_timeout_s));
    co_await write_response(stream, response, version, keep_alive, ec, head_only);
    if (response.stream) {
      if (!ec && !head_only) co_await write_events(stream, *response.stream, ec);
      break;
    }
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// After a failed accept: out of descriptors (EMFILE, ENFILE, or no buffers) pauses this
// acceptor 100 ms, as retrying at once would spin on the same error.
asio::awaitable<void> back_off(tcp::acceptor& acceptor, Shared& shared,
                               const beast::error_code& ec) {
  if (shared.may_warn()) spdlog::warn("accept: {} (pausing the acceptor 100 ms)", ec.message());
  asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
  beast::error_code ignored;
  co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Shared& shared) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      co_await back_off(acceptor, shared, ec);
      continue;
    }
    if (shared.open.load(std::memory_order_relaxed) >= shared.options.max_connections) {
      if (shared.options.metrics) shared.options.metrics->connections_refused.fetch_add(1);
      if (shared.may_warn()) {
        spdlog::warn("accept: {} connections open (max_connections): closing new ones",
                     shared.options.max_connections);
      }
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), session(std::move(socket), shared), asio::detached);
  }
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Api& api;
  Shared shared{options, api};
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::thread> threads;
};

HttpServer::HttpServer(HttpServerOptions options, Api& api)
    : impl_(new Impl{std::move(options), api}) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  const tcp::endpoint endpoint(asio::ip::make_address(impl_->options.host), impl_->options.port);
  for (int i = 0; i < std::max(1, impl_->options.threads); ++i) {
    auto ctx = std::make_unique<asio::io_context>(1);
    auto acceptor = std::make_unique<tcp::acceptor>(*ctx);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->set_option(ReusePort(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(*ctx, accept_loop(*acceptor, impl_->shared), asio::detached);
    impl_->contexts.push_back(std::move(ctx));
    impl_->acceptors.push_back(std::move(acceptor));
  }
  for (auto& ctx : impl_->contexts) {
    impl_->threads.emplace_back([c = ctx.get()] {
      pthread_setname_np(pthread_self(), "hookd-io");
      c->run();
    });
  }
}

void HttpServer::stop() {
  if (!impl_) return;
  for (auto& ctx : impl_->contexts) ctx->stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  // The contexts stay until destruction: answers still on their way (store callbacks) may post
  // to them after the threads stopped.
  impl_->acceptors.clear();
}

}  // namespace hookd::api
