#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hookd {

// Time-sortable, prefixed identifiers such as "msg_0ujsswThIGTUYm2K8FjOOfXtY1K".
//
// The part after the prefix is 22 base62 characters encoding 128 bits: 48 bits of Unix time in
// milliseconds followed by 80 bits that are random for the first id of a millisecond and
// incremented for the next ones made by the same thread. Fixed width and an alphabet in ASCII
// order make string order equal to creation order, which list pagination relies on.
std::string new_id(std::string_view prefix);

// The same encoding for a given time and 80-bit tail; exposed for tests and for range bounds
// ("every id created before t").
std::string make_id(std::string_view prefix, int64_t unix_ms, uint64_t tail_hi16,
                    uint64_t tail_lo64);

// The creation time encoded in an id made by new_id, or -1 when `id` is not one.
int64_t id_time_ms(std::string_view id);

}  // namespace hookd
