#pragma once

#include <cstdint>
#include <string>

#include "common/problem.h"
#include "model/application.h"

// Which payload POST .../endpoint/{id}/send-example sends. An event type's examples are its
// `example` (hookd's field) when set, then the `examples` array of its newest schema version
// (Svix's `schemas`: {"1": {..., "examples": [...]}}). Pure functions: any thread.
namespace hookd::api {

// The example at `index` (0: the first), as JSON text; a Problem naming `exampleIndex` or
// `eventType` when there is no such example.
Checked<std::string> pick_example(const EventType& type, int64_t index);

}  // namespace hookd::api
