#pragma once

// A SQLite VFS that gathers a connection's writes to its WAL file into one write per commit.
//
// SQLite writes each WAL frame with two pwrite calls (the 24-byte frame header, then the page),
// so a commit of 30 pages costs 60 system calls. The frames of a commit are contiguous, so this
// VFS appends them to a buffer and hands the buffer to the file in one write, before anything
// that needs it on the file: a sync (the commit's fsync, with synchronous=FULL), a read of the
// buffered range, a size query, a truncation, a non-contiguous write, or closing the file.
//
// Other connections read only frames that a commit has published in the WAL index, and with
// synchronous=FULL that happens after the sync, so they never miss a buffered byte. Use it only
// for a connection with synchronous=FULL (hookd's writer connection). Every other file (the
// database, journals) passes through untouched.

namespace hookd::sqlite {

// Registers the VFS with SQLite on the first call (not as the default); returns its name for
// sqlite3_open_v2.
const char* wal_buffer_vfs();

}  // namespace hookd::sqlite
