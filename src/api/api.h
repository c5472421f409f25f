#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/http.h"
#include "api/idempotency.h"
#include "api/worker_pool.h"
#include "catalog/catalog.h"
#include "catalog/catalog_writer.h"
#include "dashboard/assets.h"
#include "dashboard/sessions.h"
#include "delivery/dispatcher.h"
#include "delivery/ssrf.h"
#include "health/monitor.h"
#include "health/service_health.h"
#include "metrics/metrics.h"
#include "store/store.h"

namespace hookd::api {

struct ApiOptions {
  std::string admin_token;
  AddressPolicy address_policy;
  int worker_threads = 4;
  int64_t default_secret_grace_s = 86'400;
  int64_t max_body_bytes = 1 << 20;        // the HTTP server's limit; inbound sources may set less
  bool https_only = false;                 // endpoint URLs must be https
  int64_t portal_token_ttl_s = 4 * 3'600;  // app portal tokens without an `expiry`
  std::string public_url = "http://127.0.0.1:8071";  // portal links: <public_url>/ui/#...
  std::string web_root;  // the dashboard's files from this folder; empty: the built-in ones
  // Called on the store's writer thread once activities are durable (must not block): the
  // journey engine looks now.
  std::function<void()> activities_stored;
};

// What handlers work with. Shared across threads; each member says how it may be used.
struct ApiContext {
  const ApiOptions& options;
  Catalog& catalog;                     // thread-safe
  Store& store;                         // thread-safe; reads block (worker threads only)
  CatalogWriter& writer;                // thread-safe; catalog changes (worker threads only)
  Dispatcher* dispatcher;               // thread-safe; null when this node does not deliver
  Metrics& metrics;                     // thread-safe
  HealthMonitor* health;                // thread-safe; null when this node does not deliver
  const ServiceHealth* service_health;  // thread-safe; may be null
  WorkerPool& test_pool;                // endpoint tests: their sends wait for a receiver
  std::atomic<int>& tests_running;
};

// Endpoint tests run at most this many at once (more get 429), each at most this long.
inline constexpr int kMaxEndpointTests = 32;
inline constexpr int64_t kEndpointTestTimeoutMs = 10'000;

using Params = std::vector<std::string>;  // the wildcard segments of the matched route
using SyncHandler = HttpResponse (*)(ApiContext&, const HttpRequest&, const Params&);
using AsyncHandler = void (*)(ApiContext&, HttpRequest&&, const Params&, Responder);

struct AuditTarget;  // api/audit.h

// One route of /api/v1/.
struct Route {
  const char* method;
  std::vector<std::string> pattern;  // "*" matches one segment
  Scope scope;                       // which tokens it serves (api/auth.h)
  SyncHandler sync = nullptr;
  AsyncHandler async = nullptr;
  bool audited = false;  // a change of configuration: recorded in the audit log (api/audit.h)

  // Whether the first wildcard names an application (app/{app}/...).
  bool names_app() const { return pattern.size() >= 2 && pattern[0] == "app" && pattern[1] == "*"; }
  // "/api/v1/app/{app_id}/endpoint/{endpoint_id}": the pattern as the docs and the audit log
  // write it.
  std::string path_template() const;
};

// Every route of /api/v1/ (routes.cpp). Api matches the hot POST .../msg by hand before the
// table; its entry there gives its scope like any other's.
std::vector<Route> route_table();

// Routes a request to its handler. Hot-path handlers (message ingest, health, metrics) run on the
// calling I/O thread and never block; every other handler runs on the API worker pool.
class Api final {
 public:
  Api(ApiOptions options, Catalog& catalog, Store& store, CatalogWriter& writer,
      Dispatcher* dispatcher, Metrics& metrics, HealthMonitor* health = nullptr,
      const ServiceHealth* service_health = nullptr);
  ~Api();

  void handle(HttpRequest&& request, Responder respond);

 private:
  bool handle_open_route(HttpRequest& request, Responder& respond);
  // The dashboard's sign-in at /ui/session (session_routes.cpp); false for any other path.
  bool handle_session(HttpRequest& request, Responder& respond);
  HttpResponse session_route(const HttpRequest& request);
  // Authenticates a request by its session cookie; the 401 or 403 answer when it cannot.
  std::optional<HttpResponse> use_session(HttpRequest& request);
  std::optional<HttpResponse> refuse_unauthorized(HttpRequest& request) const;
  bool handle_ingest(HttpRequest& request, Responder& respond);
  void dispatch(HttpRequest&& request, Responder respond);
  void record_audit(const Route& route, const HttpRequest& request, const AuditTarget& target,
                    const HttpResponse& response);

  const ApiOptions options_;
  std::atomic<int> tests_running_{0};
  IdempotencyCache idempotency_;  // outlives the pools, whose tasks answer through it
  WorkerPool test_pool_;
  ApiContext context_;
  std::vector<Route> routes_;
  const dashboard::Assets assets_;
  dashboard::Sessions sessions_;
  WorkerPool pool_;
};

// Shared by handlers: lookups that throw 404, and the check of a write's result that throws 503
// (store unavailable) or 409 (conflict).
Application require_app(ApiContext& ctx, const std::string& id_or_uid);
// The application's journey with this id or uid; ApiError 404 otherwise.
JourneyPtr require_journey(ApiContext& ctx, const Application& app, const std::string& id_or_uid);
EndpointPtr require_endpoint(ApiContext& ctx, const Application& app, const std::string& id_or_uid);
void check_write(const WriteResult& result);
// Creates an application from ApplicationIn fields (create_app, app portal access); the caller
// holds ctx.writer.mutex().
Application create_application(ApiContext& ctx, const nlohmann::json& body);
// Hands a committed message's first attempts to the dispatcher (when this node delivers);
// `result`: the commit's, which names the deliveries this node sends in cluster mode.
void dispatch_new_message(ApiContext& ctx, const MessagePtr& message,
                          const std::vector<std::string>& endpoint_ids, const WriteResult& result);

// Handlers, one file per resource.
HttpResponse list_apps(ApiContext&, const HttpRequest&, const Params&);
HttpResponse create_app(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_app(ApiContext&, const HttpRequest&, const Params&);
HttpResponse update_app(ApiContext&, const HttpRequest&, const Params&);
HttpResponse delete_app(ApiContext&, const HttpRequest&, const Params&);

HttpResponse list_event_types(ApiContext&, const HttpRequest&, const Params&);
HttpResponse create_event_type(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_event_type(ApiContext&, const HttpRequest&, const Params&);
HttpResponse update_event_type(ApiContext&, const HttpRequest&, const Params&);
HttpResponse archive_event_type(ApiContext&, const HttpRequest&, const Params&);
// Ready catalogues of event types (event_templates/event_templates.h): list them, load one.
HttpResponse list_catalogues(ApiContext&, const HttpRequest&, const Params&);
HttpResponse load_catalogue(ApiContext&, const HttpRequest&, const Params&);

HttpResponse list_endpoints(ApiContext&, const HttpRequest&, const Params&);
HttpResponse create_endpoint(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_endpoint(ApiContext&, const HttpRequest&, const Params&);
HttpResponse update_endpoint(ApiContext&, const HttpRequest&, const Params&);
HttpResponse delete_endpoint(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_endpoint_secret(ApiContext&, const HttpRequest&, const Params&);
HttpResponse rotate_endpoint_secret(ApiContext&, const HttpRequest&, const Params&);

void create_message(ApiContext&, HttpRequest&&, const Params&, Responder);
HttpResponse list_messages(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_message(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_message_endpoints(ApiContext&, const HttpRequest&, const Params&);
HttpResponse resend_message(ApiContext&, const HttpRequest&, const Params&);
HttpResponse recover_endpoint(ApiContext&, const HttpRequest&, const Params&);
HttpResponse retry_failed(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_endpoint_health(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_endpoint_headers(ApiContext&, const HttpRequest&, const Params&);
// Validates on the calling thread, sends on the test pool, answers when the receiver has.
void test_endpoint(ApiContext&, HttpRequest&&, const Params&, Responder);
HttpResponse get_endpoint_public_key(ApiContext&, const HttpRequest&, const Params&);
HttpResponse verify_signature(ApiContext&, const HttpRequest&, const Params&);
void live_attempts(ApiContext&, HttpRequest&&, const Params&, Responder);
HttpResponse update_endpoint_headers(ApiContext&, const HttpRequest&, const Params&);

// An endpoint's activity and contents (routes_endpoint_activity.cpp).
HttpResponse get_endpoint_stats(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_endpoint_messages(ApiContext&, const HttpRequest&, const Params&);
HttpResponse send_example(ApiContext&, const HttpRequest&, const Params&);
HttpResponse expunge_message_content(ApiContext&, const HttpRequest&, const Params&);
HttpResponse expunge_attempt_content(ApiContext&, const HttpRequest&, const Params&);

HttpResponse list_attempts_by_endpoint(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_attempts_by_message(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_attempt(ApiContext&, const HttpRequest&, const Params&);

HttpResponse upsert_contact(ApiContext&, const HttpRequest&, const Params&);
HttpResponse upsert_contacts(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_contact(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_contact_activities(ApiContext&, const HttpRequest&, const Params&);
void post_activity(ApiContext&, HttpRequest&&, const Params&, Responder);
void post_activities(ApiContext&, HttpRequest&&, const Params&, Responder);
HttpResponse list_journeys(ApiContext&, const HttpRequest&, const Params&);
HttpResponse create_journey(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_journey(ApiContext&, const HttpRequest&, const Params&);
HttpResponse update_journey(ApiContext&, const HttpRequest&, const Params&);
HttpResponse delete_journey(ApiContext&, const HttpRequest&, const Params&);
HttpResponse pause_journey(ApiContext&, const HttpRequest&, const Params&);
HttpResponse resume_journey(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_journey_versions(ApiContext&, const HttpRequest&, const Params&);
// Queues one activity of an application (its contact created when new) without waiting for the
// commit; the journey engine is poked once it is durable. For the flows that feed activities:
// outbound messages that name a contact, Skalin sources with `activities`. Any thread.
void queue_activity(ApiContext& ctx, Activity activity);
HttpResponse get_journey_stats(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_journey_contact_runs(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_journey_waiting_runs(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_sources(ApiContext&, const HttpRequest&, const Params&);
HttpResponse create_source(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_source(ApiContext&, const HttpRequest&, const Params&);
HttpResponse update_source(ApiContext&, const HttpRequest&, const Params&);
HttpResponse delete_source(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_inbound_events(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_inbound_event(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_customers(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_customer(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_rejections(ApiContext&, const HttpRequest&, const Params&);

// Tokens and the app portal (routes_auth.cpp, docs/auth.md).
HttpResponse create_token(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_tokens(ApiContext&, const HttpRequest&, const Params&);
HttpResponse get_token(ApiContext&, const HttpRequest&, const Params&);
HttpResponse revoke_token(ApiContext&, const HttpRequest&, const Params&);
HttpResponse logout(ApiContext&, const HttpRequest&, const Params&);
HttpResponse app_portal_access(ApiContext&, const HttpRequest&, const Params&);
HttpResponse expire_all(ApiContext&, const HttpRequest&, const Params&);
HttpResponse list_audit(ApiContext&, const HttpRequest&, const Params&);

// POST /webhook/{webhookId}: an event from a third party. Runs on the I/O thread and answers
// once the event is durable.
void receive_webhook(ApiContext&, HttpRequest&&, const std::string& webhook_id, Responder);

}  // namespace hookd::api
