#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "journeys/definition.h"
#include "model/contact.h"

// The journey runner: how one run of a journey (one contact going through it) moves, as pure
// functions of the definition, the run's state, the contact and what happened (an activity, or
// time passing). The engine keeps the state in the store and commits each step with the
// messages it sends; this module decides the steps.
//
// A step follows the nodes that do not wait (condition, webhook, exit) until the run reaches one
// that does (waitFor, allOf, delay) or ends. A waiting run's deadline is fixed when it enters the
// node: other activities never move it.
// Pure functions on plain values: any thread.
namespace hookd {

// A node the run passed, and when (unix ms): the path the API shows.
struct RunPathStep {
  std::string node;  // the node's id
  int64_t at = 0;
  bool operator==(const RunPathStep&) const = default;
};

// Where a run is. Plain data the engine stores (journeys/run_state.h renders it as JSON).
struct RunState {
  int node = 0;         // the node the run waits at (index into the definition's nodes)
  int64_t wake_at = 0;  // waiting: when the node's time runs out (unix ms)
  bool ended = false;   // the run went through an exit (or a webhook without a next)
  std::string exit_id;  // the node it ended at
  // The trigger activity: what timed-out steps report, and what `correlate` compares with.
  std::string trigger_name;
  std::string trigger_params;  // JSON object
  int64_t trigger_at = 0;      // unix ms
  std::string correlation;     // the trigger's params[correlationKey], as JSON; empty: none
  std::vector<bool> seen;      // allOf: which of the node's activities arrived
  // The engine's: the nodes passed so far, and the activities it holds for the run while its
  // journey is paused (applied in order on resume). The runner carries them over unchanged.
  std::vector<RunPathStep> path;
  std::vector<Activity> held;
};

// A webhook a step sends: to one endpoint, or as a message of an event type. `node` and the
// run's id make its idempotency key, so a step committed again sends nothing new.
struct RunWebhook {
  int node = 0;
  std::string endpoint_id;  // or
  std::string event_type;
  std::string payload;  // JSON
};

struct RunStep {
  RunState state;
  std::vector<RunWebhook> webhooks;  // in the order the run passed their nodes
  std::vector<int> path;             // the nodes the run passed, in order
  bool changed = false;              // false: the event did not concern the run
};

// What the payload of a webhook names (Netcore's shape).
struct RunContext {
  std::string app_key;  // the payload's top-level key: the application's uid, or its id
  std::string run_id;   // the payload's msgid
};

// Whether `activity` starts a run of `definition` for `contact` (the trigger's activity name,
// params filter and contact filter). Re-entry is the engine's to decide.
bool starts_run(const JourneyDefinition& definition, const Activity& activity,
                const Contact& contact);

// A new run from its trigger activity, moved as far as it goes without waiting.
RunStep start_run(const JourneyDefinition& definition, const Activity& trigger,
                  const Contact& contact, const RunContext& context);

// A waiting run after `activity` (nullptr: only time passed) at `now`: a matching activity takes
// the node's matched edge, a deadline passed its timed-out edge (delay: its next), anything else
// leaves the run as it was (changed false).
RunStep advance_run(const JourneyDefinition& definition, const RunState& state,
                    const Contact& contact, const Activity* activity, int64_t now,
                    const RunContext& context);

// The activity names a run waiting at `state.node` listens for (empty: a delay, or ended).
std::vector<std::string> awaited_activities(const JourneyDefinition& definition,
                                            const RunState& state);

}  // namespace hookd
