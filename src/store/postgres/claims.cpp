// Claiming due deliveries for this node (Store::claim_due, docs/cluster.md "Sharing the work").
#include <cstring>

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

}  // namespace hookd::pg
