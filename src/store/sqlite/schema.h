#pragma once

// The SQLite store's tables and indexes, the pragmas of its writer connection, and the
// migrations of stores written by earlier versions. Called on the thread that opens the store,
// before its writer thread starts.

#include "store/sqlite_db.h"

namespace hookd::sqlite {

// The messages not yet in message_apps: those above the mark (store_meta's message_apps_rowid),
// read by rowid range (NOT INDEXED: otherwise SQLite may walk the whole id index to avoid a
// sort). Ends in a WHERE clause, so conditions follow with " AND ...".
constexpr const char* kUnmergedMessages =
    "messages NOT INDEXED WHERE rowid > (SELECT value FROM store_meta WHERE key = "
    "'message_apps_rowid')";

// WAL with synchronous=FULL (the durability contract of store/store.h rests on it), and the
// writer's 64 MB page cache.
void configure_writer(Connection& db);

// Creates what is missing of the schema, then migrates what an earlier version left.
void create_schema(Connection& db);

}  // namespace hookd::sqlite
