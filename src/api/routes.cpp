// The route table of /api/v1/: each route's handler, the tokens it serves and whether it
// changes configuration (the audit log records those).
#include <string>
#include <unordered_map>

#include "api/api.h"

namespace hookd::api {

std::string Route::path_template() const {
  // A wildcard is named after the segment before it.
  static const std::unordered_map<std::string, std::string> kNames = {
      {"app", "app_id"},           {"endpoint", "endpoint_id"},       {"msg", "msg_id"},
      {"attempt", "attempt_id"},   {"source", "source_id"},           {"event", "event_id"},
      {"customer", "customer_id"}, {"event-type", "event_type_name"}, {"catalogue", "name"},
      {"token", "token_id"},       {"app-portal-access", "app_id"},   {"journey", "journey_id"},
      {"contact", "contact_key"}};
  std::string out = "/api/v1";
  for (size_t i = 0; i < pattern.size(); ++i) {
    out += '/';
    if (pattern[i] != "*") {
      out += pattern[i];
      continue;
    }
    const auto name = i > 0 ? kNames.find(pattern[i - 1]) : kNames.end();
    out += "{" + (name == kNames.end() ? std::string("id") : name->second) + "}";
  }
  return out;
}

std::vector<Route> route_table() {
  constexpr Scope kGlobal = Scope::kGlobal, kAnyRead = Scope::kAnyRead, kAppRead = Scope::kAppRead,
                  kApp = Scope::kApp, kCaller = Scope::kCaller;
  constexpr bool kAudited = true;
  // Before {"event-type", "*"}: "catalogue" is not an event type name here.
  return {
      {"POST", {"auth", "token"}, kGlobal, create_token, nullptr, kAudited},
      {"GET", {"auth", "token"}, kGlobal, list_tokens},
      {"GET", {"auth", "token", "*"}, kGlobal, get_token},
      {"DELETE", {"auth", "token", "*"}, kGlobal, revoke_token, nullptr, kAudited},
      {"POST", {"auth", "logout"}, kCaller, logout, nullptr, kAudited},
      {"POST", {"auth", "app-portal-access", "*"}, kGlobal, app_portal_access, nullptr, kAudited},
      {"POST", {"auth", "app", "*", "expire-all"}, kGlobal, expire_all, nullptr, kAudited},
      {"GET", {"audit"}, kCaller, list_audit},
      {"GET", {"app"}, kGlobal, list_apps},
      {"POST", {"app"}, kGlobal, create_app, nullptr, kAudited},
      {"GET", {"app", "*"}, kAppRead, get_app},
      {"PUT", {"app", "*"}, kAppRead, update_app, nullptr, kAudited},
      {"PATCH", {"app", "*"}, kAppRead, update_app, nullptr, kAudited},
      {"DELETE", {"app", "*"}, kAppRead, delete_app, nullptr, kAudited},
      {"GET", {"event-type"}, kAnyRead, list_event_types},
      {"POST", {"event-type"}, kAnyRead, create_event_type, nullptr, kAudited},
      {"GET", {"event-type", "catalogue"}, kAnyRead, list_catalogues},
      {"POST", {"event-type", "catalogue", "*"}, kAnyRead, load_catalogue, nullptr, kAudited},
      {"GET", {"event-type", "*"}, kAnyRead, get_event_type},
      {"PUT", {"event-type", "*"}, kAnyRead, update_event_type, nullptr, kAudited},
      {"PATCH", {"event-type", "*"}, kAnyRead, update_event_type, nullptr, kAudited},
      {"DELETE", {"event-type", "*"}, kAnyRead, archive_event_type, nullptr, kAudited},
      {"GET", {"app", "*", "endpoint"}, kApp, list_endpoints},
      {"POST", {"app", "*", "endpoint"}, kApp, create_endpoint, nullptr, kAudited},
      {"GET", {"app", "*", "endpoint", "*"}, kApp, get_endpoint},
      {"PUT", {"app", "*", "endpoint", "*"}, kApp, update_endpoint, nullptr, kAudited},
      {"PATCH", {"app", "*", "endpoint", "*"}, kApp, update_endpoint, nullptr, kAudited},
      {"DELETE", {"app", "*", "endpoint", "*"}, kApp, delete_endpoint, nullptr, kAudited},
      {"GET", {"app", "*", "endpoint", "*", "secret"}, kApp, get_endpoint_secret},
      {"POST",
       {"app", "*", "endpoint", "*", "secret", "rotate"},
       kApp,
       rotate_endpoint_secret,
       nullptr,
       kAudited},
      {"POST", {"app", "*", "endpoint", "*", "recover"}, kApp, recover_endpoint},
      {"GET", {"app", "*", "endpoint", "*", "health"}, kApp, get_endpoint_health},
      {"GET", {"app", "*", "endpoint", "*", "headers"}, kApp, get_endpoint_headers},
      {"POST", {"app", "*", "endpoint", "*", "test"}, kApp, nullptr, test_endpoint},
      {"GET", {"app", "*", "endpoint", "*", "public-key"}, kApp, get_endpoint_public_key},
      {"POST", {"app", "*", "endpoint", "*", "verify-signature"}, kApp, verify_signature},
      {"PUT",
       {"app", "*", "endpoint", "*", "headers"},
       kApp,
       update_endpoint_headers,
       nullptr,
       kAudited},
      {"PATCH",
       {"app", "*", "endpoint", "*", "headers"},
       kApp,
       update_endpoint_headers,
       nullptr,
       kAudited},
      {"GET", {"app", "*", "endpoint", "*", "stats"}, kApp, get_endpoint_stats},
      {"GET", {"app", "*", "endpoint", "*", "msg"}, kApp, list_endpoint_messages},
      {"POST", {"app", "*", "endpoint", "*", "send-example"}, kApp, send_example},
      {"POST", {"app", "*", "retry"}, kApp, retry_failed},
      {"POST", {"app", "*", "msg"}, kApp, nullptr, create_message},
      {"GET", {"app", "*", "msg"}, kApp, list_messages},
      {"GET", {"app", "*", "msg", "*"}, kApp, get_message},
      {"GET", {"app", "*", "msg", "*", "endpoint"}, kApp, list_message_endpoints},
      {"DELETE",
       {"app", "*", "msg", "*", "content"},
       kApp,
       expunge_message_content,
       nullptr,
       kAudited},
      {"DELETE",
       {"app", "*", "msg", "*", "attempt", "*", "content"},
       kApp,
       expunge_attempt_content,
       nullptr,
       kAudited},
      {"POST", {"app", "*", "msg", "*", "endpoint", "*", "resend"}, kApp, resend_message},
      {"GET", {"app", "*", "msg", "*", "attempt", "*"}, kApp, get_attempt},
      {"GET", {"app", "*", "attempt", "endpoint", "*"}, kApp, list_attempts_by_endpoint},
      {"GET", {"app", "*", "attempt", "live"}, kApp, nullptr, live_attempts},
      {"GET", {"app", "*", "attempt", "msg", "*"}, kApp, list_attempts_by_message},
      {"POST", {"app", "*", "contact"}, kApp, upsert_contact},
      {"POST", {"app", "*", "contact", "batch"}, kApp, upsert_contacts},
      {"GET", {"app", "*", "contact", "*"}, kApp, get_contact},
      {"GET", {"app", "*", "contact", "*", "activity"}, kApp, list_contact_activities},
      {"POST", {"app", "*", "activity"}, kApp, nullptr, post_activity},
      {"POST", {"app", "*", "activity", "batch"}, kApp, nullptr, post_activities},
      {"GET", {"app", "*", "journey"}, kApp, list_journeys},
      {"POST", {"app", "*", "journey"}, kApp, create_journey, nullptr, kAudited},
      {"GET", {"app", "*", "journey", "*"}, kApp, get_journey},
      {"PUT", {"app", "*", "journey", "*"}, kApp, update_journey, nullptr, kAudited},
      {"DELETE", {"app", "*", "journey", "*"}, kApp, delete_journey, nullptr, kAudited},
      {"POST", {"app", "*", "journey", "*", "pause"}, kApp, pause_journey, nullptr, kAudited},
      {"POST", {"app", "*", "journey", "*", "resume"}, kApp, resume_journey, nullptr, kAudited},
      {"GET", {"app", "*", "journey", "*", "version"}, kApp, list_journey_versions},
      {"GET", {"app", "*", "journey", "*", "stats"}, kApp, get_journey_stats},
      {"GET", {"app", "*", "journey", "*", "contact", "*"}, kApp, list_journey_contact_runs},
      {"GET", {"app", "*", "journey", "*", "waiting"}, kApp, list_journey_waiting_runs},
      {"GET", {"app", "*", "source"}, kApp, list_sources},
      {"POST", {"app", "*", "source"}, kApp, create_source, nullptr, kAudited},
      {"GET", {"app", "*", "source", "*"}, kApp, get_source},
      {"PUT", {"app", "*", "source", "*"}, kApp, update_source, nullptr, kAudited},
      {"PATCH", {"app", "*", "source", "*"}, kApp, update_source, nullptr, kAudited},
      {"DELETE", {"app", "*", "source", "*"}, kApp, delete_source, nullptr, kAudited},
      {"GET", {"app", "*", "source", "*", "event"}, kApp, list_inbound_events},
      {"GET", {"app", "*", "source", "*", "event", "*"}, kApp, get_inbound_event},
      {"GET", {"app", "*", "source", "*", "customer"}, kApp, list_customers},
      {"GET", {"app", "*", "source", "*", "customer", "*"}, kApp, get_customer},
      {"GET", {"app", "*", "source", "*", "rejection"}, kApp, list_rejections},
  };
}

}  // namespace hookd::api
