// The PostgreSQL store's contacts and activities (model/contact.h): writes on the writer thread,
// as arrays (one statement per table for a whole batch), reads on a reader connection.
#include <array>
#include <map>
#include <optional>
#include <utility>

#include "store/postgres/store_impl.h"

namespace hookd::pg {
namespace {

using Column = std::vector<std::optional<std::string>>;

// The contacts and attribute changes of a batch, each (contact, attribute) once, the last
// value winning: one ON CONFLICT DO UPDATE statement may not touch a row twice.
struct ContactRows {
  std::map<std::string, std::map<std::string, std::string>> by_key;

  explicit ContactRows(const std::vector<ContactUpdate>& contacts) {
    for (const auto& c : contacts) {
      auto& attributes = by_key[c.key];
      for (const auto& [name, value] : c.attributes) attributes[name] = value;
    }
  }
  Column keys() const {
    Column out;
    for (const auto& [key, attributes] : by_key) out.emplace_back(key);
    return out;
  }
  // (key, name, value) of the attributes set (`removed` false) or removed (true).
  std::array<Column, 3> attributes(bool removed) const {
    std::array<Column, 3> out;
    for (const auto& [key, attributes] : by_key) {
      for (const auto& [name, value] : attributes) {
        if ((value == "null") != removed) continue;
        out[0].emplace_back(key);
        out[1].emplace_back(name);
        out[2].emplace_back(value);
      }
    }
    return out;
  }
};

}  // namespace

void PostgresStore::merge_contacts(const std::string& app_id,
                                   const std::vector<ContactUpdate>& contacts, int64_t at) {
  if (contacts.empty()) return;
  const ContactRows rows(contacts);
  writer_db_->send(
      "INSERT INTO contacts (app_id, key, created_at, updated_at) SELECT $1, k, $3, $3 FROM "
      "unnest($2::text[]) AS k ON CONFLICT (app_id, key) DO UPDATE SET updated_at = "
      "excluded.updated_at",
      Params().add(app_id).add(array_literal(rows.keys())).add(at));
  const auto set = rows.attributes(false);
  if (!set[0].empty()) {
    writer_db_->send(
        "INSERT INTO contact_attributes (app_id, key, name, value) SELECT $1, k, n, v FROM "
        "unnest($2::text[], $3::text[], $4::text[]) AS x(k, n, v) ON CONFLICT (app_id, key, "
        "name) DO UPDATE SET value = excluded.value",
        Params()
            .add(app_id)
            .add(array_literal(set[0]))
            .add(array_literal(set[1]))
            .add(array_literal(set[2])));
  }
  const auto removed = rows.attributes(true);
  if (!removed[0].empty()) {
    writer_db_->send(
        "DELETE FROM contact_attributes c USING unnest($2::text[], $3::text[]) AS x(k, n) WHERE "
        "c.app_id = $1 AND c.key = x.k AND c.name = x.n",
        Params().add(app_id).add(array_literal(removed[0])).add(array_literal(removed[1])));
  }
}

void PostgresStore::apply(const write::PutContacts& w, WriteResult&) {
  merge_contacts(w.app_id, w.contacts, w.at);
}

void PostgresStore::apply(const write::InsertActivities& w, WriteResult& result) {
  std::array<Column, 6> c;
  for (const Activity& a : w.activities) {
    c[0].emplace_back(a.id);
    c[1].emplace_back(a.contact_key);
    c[2].emplace_back(a.name);
    c[3].emplace_back(a.params);
    c[4].emplace_back(std::to_string(a.occurred_at));
    c[5].emplace_back(std::to_string(a.received_at));
  }
  Params params;
  params.add(w.app_id);
  for (const auto& column : c) params.add(array_literal(column));
  // WITH ORDINALITY keeps the batch's order in seq; a repeated id (also within the batch)
  // inserts nothing, and RETURNING names the ids that went in.
  writer_db_->send(
      "INSERT INTO activities (app_id, id, contact_key, name, params, occurred_at, received_at) "
      "SELECT $1, i, k, n, p, o, r FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], "
      "$6::bigint[], $7::bigint[]) WITH ORDINALITY AS x(i, k, n, p, o, r, ord) ORDER BY ord ON "
      "CONFLICT (app_id, id) DO NOTHING RETURNING id",
      params, [&w, &result](const Result& inserted) {
        std::map<std::string, int> landed;
        for (int i = 0; i < inserted.rows(); ++i) ++landed[inserted.text(i, 0)];
        result.repeated.clear();
        for (const Activity& a : w.activities) {
          auto it = landed.find(a.id);
          const bool stored = it != landed.end() && it->second-- > 0;
          result.repeated.push_back(!stored);
        }
      });
  merge_contacts(w.app_id, w.contacts, w.at);
}

std::optional<Contact> PostgresStore::get_contact(const std::string& app_id,
                                                  const std::string& key) {
  Sql head("SELECT created_at, updated_at FROM contacts WHERE app_id = ");
  head.param(app_id).add(" AND key = ").param(key);
  const Result times = read(head);
  if (times.rows() == 0) return std::nullopt;
  Contact c{app_id, key, {}, times.int64(0, 0), times.int64(0, 1)};
  Sql attributes("SELECT name, value FROM contact_attributes WHERE app_id = ");
  attributes.param(app_id).add(" AND key = ").param(key);
  const Result r = read(attributes);
  for (int i = 0; i < r.rows(); ++i) c.attributes.emplace(r.text(i, 0), r.text(i, 1));
  return c;
}

std::vector<Activity> PostgresStore::list_contact_activities(const std::string& app_id,
                                                             const std::string& key,
                                                             const Page& page) {
  Sql sql("SELECT seq, id, name, params, occurred_at, received_at FROM activities WHERE app_id = ");
  sql.param(app_id).add(" AND contact_key = ").param(key);
  if (!page.iterator.empty())
    sql.add(" AND seq < ").param(static_cast<int64_t>(std::stoll(page.iterator)));
  sql.add(" ORDER BY seq DESC LIMIT ").param(int64_t{page.limit + 1});
  const Result r = read(sql);
  std::vector<Activity> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 1), app_id, key, r.text(i, 2), r.text(i, 3), r.int64(i, 4),
                   r.int64(i, 5), r.int64(i, 0)});
  }
  return out;
}

}  // namespace hookd::pg
