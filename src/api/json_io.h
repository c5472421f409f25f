#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"
#include "catalog/catalog_endpoint.h"
#include "common/json_text.h"
#include "model/application.h"
#include "model/endpoint.h"
#include "model/inbound.h"
#include "model/message.h"
#include "store/store.h"

// JSON in and out of the cold-path handlers: reading request bodies field by field with
// errors that name the field, and rendering stored objects in Svix's shapes.
namespace hookd::api {

using nlohmann::json;

// The request body as a JSON object; 400 when malformed, 422 when not an object or nested
// deeper than max_json_depth.
json parse_body(const HttpRequest& req);

// A 422 naming the first member of `body` that is not in `known` (a misspelt field must not be
// silently ignored), and the first non-null member of `unsupported` (fields of the Svix
// contract that hookd does not implement).
void reject_unknown_fields(const json& body, std::initializer_list<std::string_view> known,
                           std::initializer_list<std::string_view> unsupported = {});

std::optional<std::string> read_string(const json& body, const char* field, size_t max_len);
std::optional<bool> read_bool(const json& body, const char* field);
std::optional<int64_t> read_int(const json& body, const char* field, int64_t min, int64_t max);
// An object, returned serialised; `null` reads as absent.
std::optional<std::string> read_object(const json& body, const char* field);
std::optional<std::vector<std::string>> read_names(const json& body, const char* field,
                                                   size_t max_items);

// The fields applications and endpoints share: `metadata` (an object) and `throttleRate` (alias
// `rateLimit`). With `full` (create, PUT) absent fields are reset.
void read_metadata_and_rate(const json& body, bool full, std::string& metadata_json,
                            std::optional<int64_t>& throttle_rate);

// `alertEmails` and `alertFrequency` (docs/failures.md).
void read_alert_settings(const json& body, bool full, AlertSettings& alerts);

// limit (1..250, default 50) and iterator from the query string.
Page read_page(const HttpRequest& req);

// A boolean query parameter: `true` or `false`, `fallback` when absent. Any other value is an
// ApiError 422 naming the parameter.
bool read_query_bool(const HttpRequest& req, std::string_view name, bool fallback);

std::string dump(const json& value);

json render(const Application& app);
json render(const EventType& event_type);
json render(const CatalogEndpoint& endpoint);  // with its public key, when it has one
// The endpoint's custom headers as an object.
json render_headers(const Endpoint& endpoint);
json render(const Attempt& attempt);
// The message with its payload inserted verbatim (never re-serialised); without content
// (`with_content=false`) the payload is `{}`, as the Svix API answers.
std::string render(const Message& message, bool with_content = true);
// Secrets, passwords and keys shown as "********"; `server_max_body` stands for an unset limit.
json render(const InboundSource& source, int64_t server_max_body);
// The event with its payload inserted verbatim.
std::string render(const InboundEvent& event);
json render(const CustomerSummary& summary);
json render(const InboundRejection& rejection);

// {"data": [...], "iterator": ..., "prevIterator": null, "done": ...} from rendered items;
// `more` says whether a further page exists, `last_id` is the iterator for it.
std::string render_list(const std::vector<std::string>& items, bool more,
                        const std::string& last_id);

std::string status_text(DeliveryStatus status);

}  // namespace hookd::api

namespace hookd::api {

// One page of an in-memory list sorted by ascending key: the items after page.iterator, or with
// `descending` the list walked backwards from the item before page.iterator.
template <typename T, typename KeyFn, typename RenderFn>
std::string render_page(const std::vector<T>& sorted, const Page& page, KeyFn key,
                        RenderFn render_item, bool descending = false) {
  std::vector<std::string> items;
  std::string last;
  bool more = false;
  const auto take = [&](const T& item) {
    if (!page.iterator.empty() &&
        !(descending ? key(item) < page.iterator : key(item) > page.iterator)) {
      return true;
    }
    if (static_cast<int>(items.size()) == page.limit) {
      more = true;
      return false;
    }
    items.push_back(render_item(item));
    last = key(item);
    return true;
  };
  const auto walk = [&](auto first, auto end) {
    while (first != end && take(*first)) ++first;
  };
  if (descending) {
    walk(sorted.rbegin(), sorted.rend());
  } else {
    walk(sorted.begin(), sorted.end());
  }
  return render_list(items, more, last);
}

// One page from a store query that returned up to limit + 1 rows.
template <typename T, typename RenderFn>
std::string render_store_page(std::vector<T>& rows, const Page& page, RenderFn render_item) {
  const bool more = static_cast<int>(rows.size()) > page.limit;
  if (more) rows.resize(static_cast<size_t>(page.limit));
  std::vector<std::string> items;
  items.reserve(rows.size());
  for (const auto& row : rows) items.push_back(render_item(row));
  return render_list(items, more, rows.empty() ? std::string() : rows.back().id);
}

}  // namespace hookd::api
