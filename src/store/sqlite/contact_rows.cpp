// The SQLite store's contacts and activities (model/contact.h): writes on the writer thread,
// reads on a reader connection.
#include "store/sqlite/query.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {

void SqliteStore::merge_contacts(const std::string& app_id,
                                 const std::vector<ContactUpdate>& contacts, int64_t at) {
  sqlite3* db = writer_db_->handle();
  Statement contact(
      db,
      "INSERT INTO contacts (app_id, key, created_at, updated_at) VALUES (?1, ?2, "
      "?3, ?3) ON CONFLICT (app_id, key) DO UPDATE SET updated_at = excluded.updated_at");
  Statement set(db,
                "INSERT OR REPLACE INTO contact_attributes (app_id, key, name, value) VALUES (?1, "
                "?2, ?3, ?4)");
  Statement unset(db,
                  "DELETE FROM contact_attributes WHERE app_id = ?1 AND key = ?2 AND name = ?3");
  for (const ContactUpdate& c : contacts) {
    contact.bind(1, app_id).bind(2, c.key).bind(3, at).run();
    for (const auto& [name, value] : c.attributes) {
      if (value == "null") {
        unset.bind(1, app_id).bind(2, c.key).bind(3, name).run();
      } else {
        set.bind(1, app_id).bind(2, c.key).bind(3, name).bind(4, value).run();
      }
    }
  }
}

void SqliteStore::apply(const write::PutContacts& w, WriteResult&) {
  merge_contacts(w.app_id, w.contacts, w.at);
}

void SqliteStore::apply(const write::InsertActivities& w, WriteResult& result) {
  Statement insert(writer_db_->handle(),
                   "INSERT OR IGNORE INTO activities (app_id, id, contact_key, name, params, "
                   "occurred_at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  result.repeated.reserve(w.activities.size());
  for (const Activity& a : w.activities) {
    insert.bind(1, w.app_id).bind(2, a.id).bind(3, a.contact_key).bind(4, a.name);
    insert.bind(5, a.params).bind(6, a.occurred_at).bind(7, a.received_at).run();
    result.repeated.push_back(writer_db_->changes() == 0);
  }
  merge_contacts(w.app_id, w.contacts, w.at);
}

std::optional<Contact> SqliteStore::get_contact(const std::string& app_id, const std::string& key) {
  ReaderLease db(*this);
  Query head("SELECT created_at, updated_at FROM contacts WHERE app_id = ?1 AND key = ?2");
  head.bind(1, app_id).bind(2, key);
  auto times = head.rows(db.connection(), [](const Statement& st) {
    return std::pair(st.column_int(0), st.column_int(1));
  });
  if (times.empty()) return std::nullopt;
  Contact c{app_id, key, {}, times[0].first, times[0].second};
  Query attributes("SELECT name, value FROM contact_attributes WHERE app_id = ?1 AND key = ?2");
  attributes.bind(1, app_id).bind(2, key);
  for (auto& [name, value] : attributes.rows(db.connection(), [](const Statement& st) {
         return std::pair(st.column_text(0), st.column_text(1));
       })) {
    c.attributes.emplace(std::move(name), std::move(value));
  }
  return c;
}

std::vector<Activity> SqliteStore::list_contact_activities(const std::string& app_id,
                                                           const std::string& key,
                                                           const Page& page) {
  Query query(
      "SELECT seq, id, name, params, occurred_at, received_at FROM activities WHERE app_id = ?1 "
      "AND contact_key = ?2");
  query.bind(1, app_id).bind(2, key);
  if (!page.iterator.empty()) {
    query.add(" AND seq < ?3").bind(3, static_cast<int64_t>(std::stoll(page.iterator)));
  }
  query.add(" ORDER BY seq DESC LIMIT ?4").bind(4, int64_t{page.limit + 1});
  ReaderLease db(*this);
  return query.rows(*db, [&](const Statement& st) {
    Activity a;
    a.seq = st.column_int(0);
    a.id = st.column_text(1);
    a.app_id = app_id;
    a.contact_key = key;
    a.name = st.column_text(2);
    a.params = st.column_text(3);
    a.occurred_at = st.column_int(4);
    a.received_at = st.column_int(5);
    return a;
  });
}

}  // namespace hookd::sqlite
