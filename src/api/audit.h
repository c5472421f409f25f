#pragma once

#include <string>
#include <string_view>

#include "api/api.h"
#include "model/audit.h"

// The audit log's entries (docs/auth.md): what a change of configuration records. Pure
// functions; any thread.
namespace hookd::api {

// The request body's fields as a JSON object, every secret value masked: members whose name
// holds "secret", "password", "token", "key" or "authorization" (any case, at any depth), and
// every value of a `headers` object. Not an object: "{}".
std::string audit_changes(std::string_view body);

// What a change is about, read from the Catalog before the change is made (a deleted object
// cannot be looked up after): the application's id and the changed object's id, whatever ids
// or uids the path gave. Empty where the path names neither.
struct AuditTarget {
  std::string app_id;
  std::string object_id;
};
AuditTarget audit_target(const Route& route, const Params& params, const Catalog& catalog);

// The entry for a change `request` made through `route` on `target` and answered with
// `response`; a create names the object the answer carries.
AuditEntry audit_entry(const Route& route, const HttpRequest& request, const AuditTarget& target,
                       const HttpResponse& response);

}  // namespace hookd::api
