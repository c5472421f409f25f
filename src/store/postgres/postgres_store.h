#pragma once

// The PostgreSQL store: the Store (store/store.h) of cluster mode, selected by a database_url of
// postgres://... Several hookd nodes may share the database. open_postgres_store may be called
// from any thread; the Store it returns is thread-safe, as store.h says.
//
// How it keeps the durability contract of store.h: every connection runs with
// synchronous_commit=on, so a commit returns once PostgreSQL has flushed its WAL, and a write's
// callback runs only after the commit that carried it. Writes are grouped as on SQLite: the
// writer thread takes everything queued and applies it in one transaction. A lost connection
// refuses the writes of that commit (503: they were not acknowledged) and every write after
// it until the writer has reconnected, which it retries by itself. docs/cluster.md.
//
// Nodes share the work by claiming due deliveries (Store::claim_due): a claim is one statement
// that locks due rows with FOR UPDATE SKIP LOCKED and moves their next_attempt_at to the end of
// a lease, so concurrent claimers never take the same row and a claim held by a dead node
// returns to the pool once its lease passes.

#include <cstddef>
#include <memory>
#include <string>

#include "common/secret_box.h"
#include "store/store.h"

namespace hookd {

struct PostgresOptions {
  std::string url;    // postgres://user@host:port/database or libpq's key=value form
  SecretBox secrets;  // seals the secrets of endpoint and source documents (store/documents.h)
  int reader_connections = 4;
  size_t max_queued_writes = 200'000;  // beyond this, writes complete with kUnavailable
  int rejection_sample = 1'000;        // rejected inbound requests kept per source
  int reconnect_interval_ms = 500;     // between attempts while the database is unreachable
  // Cluster mode (docs/cluster.md): this node's name in the owner column of the deliveries it
  // claims, how long a claim holds, and whether the deliveries of the messages this node
  // accepts are inserted already claimed by it (a delivering node; an API-only node inserts
  // them for any node to claim).
  std::string node_id;
  int64_t claim_lease_ms = 60'000;
  bool claim_new_deliveries = false;
  // A delivering node beats this often in hookd_nodes; one that missed three beats is gone, and
  // the leader (the node that runs retention) renews its lease with every beat.
  int64_t heartbeat_ms = 2'000;
};

// Connects, migrates the schema (store/postgres/pg_schema.h) and starts the writer. Throws
// std::runtime_error naming the problem when the database cannot be reached or migrated.
std::unique_ptr<Store> open_postgres_store(const PostgresOptions& options);

// True for the URLs open_postgres_store takes: postgres:// or postgresql://.
bool is_postgres_url(const std::string& url);

}  // namespace hookd
