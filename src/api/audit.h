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

// The entry for a change `request` made through `route` and answered with `response`.
AuditEntry audit_entry(const Route& route, const HttpRequest& request, const Params& params,
                       const HttpResponse& response, const Catalog& catalog);

}  // namespace hookd::api
