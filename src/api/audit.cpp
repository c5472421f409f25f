#include "api/audit.h"

#include <algorithm>
#include <cctype>

#include "api/json_io.h"
#include "common/ids.h"
#include "common/time.h"

namespace hookd::api {

namespace {

constexpr const char* kMask = "********";

bool secret_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"secret", "password", "token", "key", "authorization"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

void mask(json& value, bool all) {
  if (value.is_object()) {
    for (auto& [name, member] : value.items()) {
      if (!member.is_null() && (all || secret_name(name))) {
        member = kMask;
      } else {
        mask(member, name == "headers");
      }
    }
  } else if (value.is_array()) {
    for (auto& item : value) mask(item, all);
  } else if (all && !value.is_null()) {
    value = kMask;
  }
}

// The first wildcard names an application: app/{app}/..., auth/app-portal-access/{app},
// auth/app/{app}/expire-all.
bool first_param_is_app(const Route& route) {
  const auto& p = route.pattern;
  return route.names_app() ||
         (p.size() >= 3 && p[0] == "auth" && (p[1] == "app-portal-access" || p[1] == "app"));
}

std::string string_member(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string audit_changes(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return "{}";
  mask(parsed, false);
  return dump(parsed);
}

AuditTarget audit_target(const Route& route, const Params& params, const Catalog& catalog) {
  AuditTarget t;
  if (params.empty()) return t;
  const auto& p = route.pattern;
  if (first_param_is_app(route)) t.app_id = catalog.app_id_of(params[0]).value_or(params[0]);
  // A POST to a collection (.../endpoint, .../source, .../journey) or for a portal token makes an
  // object the answer names; every other change is to the object of the last wildcard.
  const bool creates = std::string_view(route.method) == "POST" &&
                       (p.back() == "endpoint" || p.back() == "source" || p.back() == "journey" ||
                        (p.size() > 1 && p[1] == "app-portal-access"));
  if (!creates) t.object_id = params.size() == 1 && !t.app_id.empty() ? t.app_id : params.back();
  if (!creates && route.names_app() && params.size() >= 2 && p.size() >= 4) {
    // app/{app}/endpoint/{id}/..., .../source/{id}/..., .../journey/{id}/...: the object by its
    // id.
    if (p[2] == "endpoint") {
      if (auto ep = catalog.find_endpoint(t.app_id, params[1])) t.object_id = ep->id;
    } else if (p[2] == "source") {
      if (auto src = catalog.find_source(t.app_id, params[1])) t.object_id = src->id;
    } else if (p[2] == "journey") {
      if (auto j = catalog.journeys().find(t.app_id, params[1])) t.object_id = j->id;
    }
  } else if (p.size() == 2 && p[0] == "app") {
    t.object_id = t.app_id;
  } else if (p[0] == "auth" && p[1] == "token") {
    if (auto token = catalog.tokens().find(params[0])) t.app_id = token->app_id;
  }
  return t;
}

AuditEntry audit_entry(const Route& route, const HttpRequest& req, const AuditTarget& target,
                       const HttpResponse& response) {
  AuditEntry e;
  e.id = new_id("aud_");
  e.at = now_unix_ms();
  e.token_id = req.caller.token_id;
  e.token_kind = req.caller.kind();
  e.method = req.method;
  e.route = route.path_template();
  e.path = req.path;
  e.status = response.status;
  e.changes_json = audit_changes(req.body);
  json answer = json::parse(response.body, nullptr, false);
  if (!answer.is_object()) answer = json::object();
  e.app_id = target.app_id.empty() ? string_member(answer, "appId") : target.app_id;
  e.object_id = target.object_id;
  // A create: the object the answer carries (an event type is named by its name).
  if (e.object_id.empty()) e.object_id = string_member(answer, "id");
  if (e.object_id.empty()) e.object_id = string_member(answer, "name");
  if (route.pattern == std::vector<std::string>{"app"}) e.app_id = e.object_id;
  if (route.pattern == std::vector<std::string>{"auth", "logout"}) {
    e.object_id = e.token_id;
    e.app_id = req.caller.app_id;
  }
  return e;
}

}  // namespace hookd::api
