// The PostgreSQL store's attempt records (write::RecordAttempt): attempts queued one after
// another share one statement that updates all their deliveries and inserts all the attempts,
// as arrays; under a claim, only while the claim is still the delivery's.
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "store/postgres/store_impl.h"

namespace hookd::pg {
namespace {

using Column = std::vector<std::optional<std::string>>;

std::string num(int64_t v) { return std::to_string(v); }

// The deliveries' new state: UPDATE ... FROM unnest($1 ... $8).
struct DeliveryUpdates {
  Column msg, endpoint, status, attempts, next, updated, claim, keep;

  void add(const write::RecordAttempt& w) {
    const Delivery& d = w.delivery;
    msg.emplace_back(d.msg_id);
    endpoint.emplace_back(d.endpoint_id);
    status.emplace_back(num(static_cast<int>(d.status)));
    attempts.emplace_back(num(d.attempts));
    next.emplace_back(num(d.next_attempt_at));
    updated.emplace_back(num(d.updated_at));
    claim.emplace_back(num(static_cast<int64_t>(w.claim)));
    keep.emplace_back(w.keep_claim ? "t" : "f");
  }
  Params params() const {
    Params p;
    for (const Column* c : {&msg, &endpoint, &status, &attempts, &next, &updated, &claim, &keep}) {
      p.add(array_literal(*c));
    }
    return p;
  }
};

// The attempts: INSERT ... SELECT FROM unnest($9 ... $21); `checked`: recorded only when the
// update of its delivery, under its claim, went through.
struct AttemptRows {
  Column id, msg, endpoint, app, url, status, code, response, duration, trigger, error, created,
      checked;

  void add(const Attempt& a, bool check) {
    checked.emplace_back(check ? "t" : "f");
    id.emplace_back(a.id);
    msg.emplace_back(a.msg_id);
    endpoint.emplace_back(a.endpoint_id);
    app.emplace_back(a.app_id);
    url.emplace_back(a.url);
    status.emplace_back(num(static_cast<int>(a.status)));
    code.emplace_back(num(a.status_code));
    response.emplace_back(a.response);
    duration.emplace_back(num(a.duration_ms));
    trigger.emplace_back(num(static_cast<int>(a.trigger)));
    error.emplace_back(a.error_class);
    created.emplace_back(num(a.created_at));
  }
  void add_to(Params& p) const {
    for (const Column* c : {&id, &msg, &endpoint, &app, &url, &status, &code, &response, &duration,
                            &trigger, &error, &created, &checked}) {
      p.add(array_literal(*c));
    }
  }
};

}  // namespace

void PostgresStore::apply(const write::RecordAttempt& w, WriteResult& result) {
  apply_attempts({&w}, {&result});
}

void PostgresStore::apply_attempts(const std::vector<const write::RecordAttempt*>& ops,
                                   const std::vector<WriteResult*>& results) {
  DeliveryUpdates updates;
  AttemptRows attempts;
  for (const auto* op : ops) {
    if (op->update_delivery) updates.add(*op);
    attempts.add(op->attempt, op->update_delivery && op->claim != 0);
  }
  Params params = updates.params();
  attempts.add_to(params);
  // Under a claim a delivery is updated only while the claim is still its own: a node paused
  // past its lease records nothing once another claim took the delivery. The rows updated
  // come back; a claimed op whose row did not is refused, and its attempt is not recorded.
  writer_db_->send(
      "WITH u AS (UPDATE deliveries d SET status = x.s, attempts = x.a, next_attempt_at = x.n, "
      "updated_at = x.u, owner = CASE WHEN x.c <> 0 AND NOT x.k THEN NULL ELSE d.owner END, "
      "claim = CASE WHEN x.c <> 0 AND NOT x.k THEN 0 ELSE d.claim END FROM unnest($1::text[], "
      "$2::text[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::bigint[], "
      "$8::bool[]) AS x(m, e, s, a, n, u, c, k) WHERE d.msg_id = x.m AND d.endpoint_id = x.e "
      "AND (x.c = 0 OR d.claim = x.c) RETURNING d.msg_id, d.endpoint_id), "
      "i AS (INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, status_code, "
      "response, duration_ms, trigger_type, error_class, created_at) SELECT y.id, y.m, y.e, "
      "y.app, y.url, y.s, y.code, y.r, y.d, y.t, y.err, y.at FROM unnest($9::text[], "
      "$10::text[], $11::text[], $12::text[], $13::text[], $14::int[], $15::int[], $16::text[], "
      "$17::bigint[], $18::int[], $19::text[], $20::bigint[], $21::bool[]) AS y(id, m, e, app, "
      "url, s, code, r, d, t, err, at, checked) WHERE NOT y.checked OR EXISTS (SELECT 1 FROM u "
      "WHERE u.msg_id = y.m AND u.endpoint_id = y.e)) SELECT msg_id, endpoint_id FROM u",
      params, [ops, results](const Result& r) {
        std::set<std::pair<std::string, std::string>> updated;
        for (int i = 0; i < r.rows(); ++i) updated.emplace(r.text(i, 0), r.text(i, 1));
        for (size_t i = 0; i < ops.size(); ++i) {
          const write::RecordAttempt& w = *ops[i];
          if (w.update_delivery && w.claim != 0 &&
              !updated.contains({w.delivery.msg_id, w.delivery.endpoint_id})) {
            *results[i] = {WriteStatus::kConflict, "the delivery's claim was taken over"};
          }
        }
      });
}

}  // namespace hookd::pg
