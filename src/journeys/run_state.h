#pragma once

#include <string>

#include "journeys/runner.h"

// A run's state (journeys/runner.h) as the JSON the store keeps in JourneyRun::state, and back.
// Pure functions: any thread.
namespace hookd {

std::string run_state_json(const RunState& state);
// The state run_state_json rendered; throws std::runtime_error on anything else (a stored state
// hookd did not write).
RunState parse_run_state(const std::string& json);

}  // namespace hookd
