// Claiming due deliveries for this node (Store::claim_due, docs/cluster.md "Sharing the work").
#include <cstring>
#include <optional>

#include "common/random.h"
#include "store/documents.h"
#include "store/postgres/readers.h"
#include "store/postgres/store_impl.h"

namespace hookd::pg {

uint64_t new_claim_token() {
  uint64_t token = 0;
  while (token == 0) {
    uint8_t bytes[sizeof token];
    fill_random_fast(bytes, sizeof bytes);
    std::memcpy(&token, bytes, sizeof token);
    token &= INT64_MAX;
  }
  return token;
}

namespace {

std::vector<std::optional<std::string>> as_optionals(const std::vector<std::string>& values) {
  return {values.begin(), values.end()};
}

}  // namespace

ClaimedPage PostgresStore::claim_due(int64_t now, int limit,
                                     const std::vector<std::string>& skip_endpoints) {
  ClaimedPage page;
  page.claim = new_claim_token();
  page.lease_until = now + options_.claim_lease_ms;
  // The rows are chosen and locked in a materialized CTE and then updated: SKIP LOCKED makes
  // concurrent claimers pass over each other's rows, and the CTE is evaluated once, so the
  // update takes exactly the rows chosen (an `IN (SELECT ... LIMIT)` may be re-evaluated and
  // claim more). The statement commits on its own: no transaction stays open while the
  // deliveries are sent.
  Sql sql(
      "WITH chosen AS MATERIALIZED (SELECT msg_id, endpoint_id, next_attempt_at FROM deliveries "
      "WHERE status = 1 AND next_attempt_at <= ");
  sql.param(now);
  if (!skip_endpoints.empty()) {
    sql.add(" AND NOT (endpoint_id = ANY (SELECT jsonb_array_elements_text(");
    sql.param(documents::strings_to_json(skip_endpoints)).add("::jsonb)))");
  }
  const auto view = live_view();
  if (view->size() > 1) {
    // Only the endpoints this node owns among the live ones (owner_of, the same ranking).
    sql.add(" AND ").param(options_.node_id);
    sql.add(" = (SELECT n FROM unnest(").param(array_literal(as_optionals(*view)));
    sql.add(
        "::text[]) AS n ORDER BY sha256(convert_to(n || ' ' || endpoint_id, 'UTF8')) DESC LIMIT "
        "1)");
  }
  sql.add(" ORDER BY next_attempt_at LIMIT ").param(limit);
  sql.add(" FOR UPDATE SKIP LOCKED), d AS (UPDATE deliveries t SET next_attempt_at = ");
  sql.param(page.lease_until).add(", owner = ").param(options_.node_id);
  sql.add(", claim = ").param(static_cast<int64_t>(page.claim));
  sql.add(
      " FROM chosen WHERE t.msg_id = chosen.msg_id AND t.endpoint_id = chosen.endpoint_id "
      "RETURNING t.msg_id, t.endpoint_id, t.app_id, t.attempts, chosen.next_attempt_at) SELECT ");
  sql.add(kPendingColumns);
  sql.add(
      " FROM d JOIN messages m ON m.id = d.msg_id ORDER BY d.next_attempt_at, d.msg_id, "
      "d.endpoint_id");
  page.deliveries = read_pending(read(sql));
  return page;
}

void PostgresStore::apply(const write::ReleaseClaims& w, WriteResult&) {
  left_for_others_ = true;
  std::vector<std::optional<std::string>> msgs, endpoints, claims, dues;
  for (const auto& d : w.deliveries) {
    msgs.emplace_back(d.msg_id);
    endpoints.emplace_back(d.endpoint_id);
    claims.emplace_back(std::to_string(d.claim));
    dues.emplace_back(std::to_string(d.due));
  }
  writer_db_->exec(
      "UPDATE deliveries d SET next_attempt_at = x.due, owner = NULL, claim = 0 FROM "
      "unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS x(m, e, c, due) WHERE "
      "d.msg_id = x.m AND d.endpoint_id = x.e AND d.claim = x.c AND d.status = 1",
      Params()
          .add(array_literal(msgs))
          .add(array_literal(endpoints))
          .add(array_literal(claims))
          .add(array_literal(dues)));
}

uint64_t PostgresStore::catalog_version() {
  return static_cast<uint64_t>(read(Sql("SELECT version FROM hookd_catalog")).int64(0, 0));
}

}  // namespace hookd::pg
