// /api/v1/app/{app}/contact and /activity: the contacts journeys follow and what they do
// (docs/journeys.md). Writes are answered once durable, like messages.
#include <charconv>
#include <map>
#include <set>

#include "api/api.h"
#include "api/json_io.h"
#include "api/message_input.h"
#include "common/ids.h"
#include "common/time.h"

namespace hookd::api {

namespace {

constexpr size_t kMaxBatch = 1'000;
constexpr size_t kMaxAttributes = 100;

bool is_attribute_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// body[name], a contact's key: 1 to 256 characters, no control characters. `where` prefixes the
// field in errors.
std::string read_key(const json& body, const char* name, const std::string& where) {
  const std::string field = where + name;
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) throw validation_error(field + ": required");
  if (!it->is_string()) throw validation_error(field + ": must be a string");
  const auto key = it->get<std::string>();
  if (key.empty() || key.size() > 256) throw validation_error(field + ": 1 to 256 characters");
  for (const unsigned char c : key) {
    if (c < 0x20 || c == 0x7f) throw validation_error(field + ": no control characters");
  }
  return key;
}

// `attributes`: an object of up to 100 names of A-Z a-z 0-9 _ . - with any JSON values (`null`
// removes the attribute).
std::map<std::string, std::string> read_attributes(const json& body, const std::string& where) {
  std::map<std::string, std::string> out;
  const auto it = body.find("attributes");
  if (it == body.end() || it->is_null()) return out;
  const std::string field = where + "attributes";
  if (!it->is_object()) throw validation_error(field + ": must be an object");
  if (it->size() > kMaxAttributes) throw validation_error(field + ": at most 100 attributes");
  for (const auto& [name, value] : it->items()) {
    if (!is_attribute_name(name)) {
      throw validation_error(field + "." + name +
                             ": attribute names are 1 to 128 characters of A-Z a-z 0-9 _ . -");
    }
    out[name] = value.dump();
  }
  return out;
}

ContactUpdate read_contact(const json& item, const std::string& where) {
  if (!item.is_object()) throw validation_error(where + ": must be an object");
  for (const auto& [name, value] : item.items()) {
    if (name != "key" && name != "attributes") {
      throw validation_error(where + name + ": unknown field");
    }
  }
  return {read_key(item, "key", where), read_attributes(item, where)};
}

Activity read_activity(const json& item, const std::string& where, const std::string& app_id,
                       int64_t now, ContactUpdate& carried) {
  if (!item.is_object()) throw validation_error(where + ": must be an object");
  static const std::set<std::string> kKnown = {"id",     "name",       "contact",
                                               "params", "attributes", "timestamp"};
  for (const auto& [name, value] : item.items()) {
    if (!kKnown.contains(name)) throw validation_error(where + name + ": unknown field");
  }
  Activity a;
  a.app_id = app_id;
  a.contact_key = read_key(item, "contact", where);
  const auto name = read_string(item, "name", 256);
  if (!name || !is_valid_name(*name)) {
    throw validation_error(where + "name: required, 1 to 256 characters of A-Z a-z 0-9 _ . - :");
  }
  a.name = *name;
  const auto id = read_string(item, "id", 256);
  if (id && !is_valid_name(*id)) {
    throw validation_error(where + "id: 1 to 256 characters of A-Z a-z 0-9 _ . - :");
  }
  a.id = id ? *id : new_id("act_");
  const auto params = item.find("params");
  if (params != item.end() && !params->is_null() && !params->is_object()) {
    throw validation_error(where + "params: must be an object");
  }
  a.params = params == item.end() || params->is_null() ? "{}" : params->dump();
  a.received_at = a.occurred_at = now;
  if (const auto ts = read_string(item, "timestamp", 64)) {
    const auto at = parse_rfc3339(*ts);
    if (!at) throw validation_error(where + "timestamp: must be an RFC 3339 time");
    a.occurred_at = *at;
  }
  carried = {a.contact_key, read_attributes(item, where)};
  return a;
}

// The items of body[field]: 1 to 1,000.
const json& read_batch(const json& body, const char* field) {
  reject_unknown_fields(body, {field});
  const auto it = body.find(field);
  if (it == body.end() || !it->is_array() || it->empty() || it->size() > kMaxBatch) {
    throw validation_error(std::string(field) + ": an array of 1 to 1000 items");
  }
  return *it;
}

json render(const Contact& c) {
  json attributes = json::object();
  for (const auto& [name, value] : c.attributes) attributes[name] = json::parse(value);
  return json{{"key", c.key},
              {"attributes", attributes},
              {"createdAt", format_rfc3339(c.created_at)},
              {"updatedAt", format_rfc3339(c.updated_at)}};
}

json render(const Activity& a) {
  return json{{"id", a.id},
              {"name", a.name},
              {"contact", a.contact_key},
              {"params", json::parse(a.params)},
              {"timestamp", format_rfc3339(a.occurred_at)},
              {"receivedAt", format_rfc3339(a.received_at)}};
}

void activities_stored(ApiContext& ctx) {
  if (ctx.options.activities_stored) ctx.options.activities_stored();
}

// Stores `activities` (and their contacts, created when new, with the attributes the activities
// carried) and answers 202, once durable, with each one's id and whether it was a repeat: the
// body is `{"id", "duplicate"}` for one activity, `{"data": [...]}` for a batch. Returns at once;
// the answer comes from the writer thread.
void store_activities(ApiContext& ctx, write::InsertActivities w, bool batch, Responder respond) {
  std::vector<std::string> ids;
  ids.reserve(w.activities.size());
  for (const auto& a : w.activities) ids.push_back(a.id);
  ctx.store.write(std::move(w), [&ctx, ids = std::move(ids), batch,
                                 respond = std::move(respond)](const WriteResult& result) {
    if (result.status != WriteStatus::kOk) {
      const bool busy = result.status == WriteStatus::kUnavailable;
      return respond(
          error_response(busy ? 503 : 409, busy ? "store_unavailable" : "conflict", result.detail));
    }
    activities_stored(ctx);
    json data = json::array();
    for (size_t i = 0; i < ids.size(); ++i) {
      data.push_back(
          {{"id", ids[i]}, {"duplicate", i < result.repeated.size() && result.repeated[i]}});
    }
    respond(json_response(202, dump(batch ? json{{"data", std::move(data)}} : data.at(0))));
  });
}

}  // namespace

void queue_activity(ApiContext& ctx, Activity a) {
  const std::string app_id = a.app_id;
  const int64_t at = a.received_at;
  ContactUpdate contact{a.contact_key, {}};
  write::InsertActivities w{app_id, {std::move(a)}, {std::move(contact)}, at};
  ctx.store.write(std::move(w), [&ctx](const WriteResult& result) {
    if (result.status == WriteStatus::kOk) activities_stored(ctx);
  });
}

HttpResponse upsert_contact(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  const Application app = require_app(ctx, p[0]);
  ContactUpdate update = read_contact(body, "");
  check_write(ctx.store.write_sync(write::PutContacts{app.id, {update}, now_unix_ms()}));
  return json_response(200, dump(render(ctx.store.get_contact(app.id, update.key).value())));
}

HttpResponse upsert_contacts(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  const Application app = require_app(ctx, p[0]);
  const json& items = read_batch(body, "contacts");
  write::PutContacts w{app.id, {}, now_unix_ms()};
  for (size_t i = 0; i < items.size(); ++i) {
    w.contacts.push_back(read_contact(items[i], "contacts[" + std::to_string(i) + "]."));
  }
  check_write(ctx.store.write_sync(w));
  return json_response(200, dump(json{{"count", w.contacts.size()}}));
}

HttpResponse get_contact(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  auto contact = ctx.store.get_contact(app.id, p[1]);
  if (!contact) throw not_found("contact " + p[1]);
  return json_response(200, dump(render(*contact)));
}

HttpResponse list_contact_activities(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const Page page = read_page(req);
  int64_t seq = 0;
  const auto& it = page.iterator;
  if (!it.empty() &&
      (std::from_chars(it.data(), it.data() + it.size(), seq).ptr != it.data() + it.size() ||
       seq <= 0)) {
    throw validation_error("iterator: not an iterator this list returned");
  }
  if (!ctx.store.get_contact(app.id, p[1])) throw not_found("contact " + p[1]);
  auto rows = ctx.store.list_contact_activities(app.id, p[1], page);
  const bool more = static_cast<int>(rows.size()) > page.limit;
  if (more) rows.resize(static_cast<size_t>(page.limit));
  std::vector<std::string> items;
  for (const auto& a : rows) items.push_back(dump(render(a)));
  return json_response(
      200, render_list(items, more, rows.empty() ? "" : std::to_string(rows.back().seq)));
}

// Both run on the I/O thread (the body is parsed there, the catalog is in memory) and answer
// from the writer thread once the commit is durable, as messages do.
void post_activity(ApiContext& ctx, HttpRequest&& req, const Params& p, Responder respond) {
  const json body = parse_body(req);
  const Application app = require_app(ctx, p[0]);
  write::InsertActivities w{app.id, {}, {}, now_unix_ms()};
  w.activities.push_back(read_activity(body, "", app.id, w.at, w.contacts.emplace_back()));
  store_activities(ctx, std::move(w), false, std::move(respond));
}

void post_activities(ApiContext& ctx, HttpRequest&& req, const Params& p, Responder respond) {
  const json body = parse_body(req);
  const Application app = require_app(ctx, p[0]);
  const json& items = read_batch(body, "activities");
  write::InsertActivities w{app.id, {}, {}, now_unix_ms()};
  for (size_t i = 0; i < items.size(); ++i) {
    ContactUpdate carried;
    w.activities.push_back(
        read_activity(items[i], "activities[" + std::to_string(i) + "].", app.id, w.at, carried));
    w.contacts.push_back(std::move(carried));
  }
  store_activities(ctx, std::move(w), true, std::move(respond));
}

}  // namespace hookd::api
