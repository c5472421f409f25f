#pragma once

#include <sqlite3.h>

#include <cstdint>

// SQLite's page cache, wrapped so that a commit does not walk the whole cache.
//
// When SQLite splits or merges B-tree pages it renumbers the new pages so that they come in
// ascending order, and swaps two pages through a temporary number: the database's lock page
// (the page holding byte 2^30, 262,145 with 4 KB pages), which never holds data. The default
// page cache remembers the highest page number it ever held, and every commit cuts the cache
// back to the database's size: once a swap has passed through page 262,145, that cut looks
// at every page in the cache instead of the few past the end. With the writer's 64 MB cache
// full (16,384 pages) that was a fifth of the writer's time while delivering a large backlog.
//
// The wrapper keeps SQLite's own page cache and files the lock page under number 0, which no
// page has (pages are numbered from 1): the cache's highest number then stays the database's
// size, and a commit's cut looks at nothing. This follows SQLite 3.40's B-tree (Debian 12's);
// a SQLite that swaps through another number would simply not benefit.
namespace hookd::sqlite {

// Installs the wrapper around the default page cache. Must run before SQLite is initialized
// (initialize_library does it); returns false, changing nothing, when SQLite already was.
bool install_page_cache();

// Whether this process's SQLite uses the wrapper.
bool page_cache_installed();

// How many times SQLite renamed a cached page to the lock page, in this process.
uint64_t lock_page_renames();

// For tests: the wrapper's methods around `inner` (another set of functions than the installed
// one's; one such set at a time).
sqlite3_pcache_methods2 wrap_page_cache_for_test(const sqlite3_pcache_methods2& inner);

}  // namespace hookd::sqlite
