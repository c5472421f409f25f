#pragma once

#include "store/postgres/pg.h"

// The PostgreSQL store's schema: versioned migrations, each run once per database. Several nodes
// starting together take turns under an advisory lock; each applies what is missing in one
// transaction with its row in hookd_migrations. Any thread, on a connection of its own.
namespace hookd::pg {

// Applies the migrations the database lacks; returns the schema version it is at.
int migrate(Connection& db);

// The newest version this binary knows.
int latest_schema_version();

}  // namespace hookd::pg
