#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "journeys/definition.h"
#include "journeys/runner.h"
#include "store/store.h"

// The journey engine's steps, planned: which runs an activity or a deadline moves, what they
// become and which messages they send, as one write::JourneyStep (committed in one transaction
// by the engine, journey_engine/engine.h). Reads the catalog (journeys, endpoints, routing) and
// the store (waiting runs, contacts, older versions of definitions); writes nothing.
//
// A run's id comes from its journey and its trigger activity, and a webhook's eventId from the
// run, the node and the node's place in the run's path: planning the same step again (after a
// crash before its commit, or twice) gives the same rows and the same eventIds, so a message is
// inserted once.
// One thread: the engine's.
namespace hookd {

// Parsed definitions by journey and version: the version contacts enter now comes from the
// catalog, older ones (which the runs that entered them finish on) from the store.
class DefinitionCache final {
 public:
  explicit DefinitionCache(Store& store) : store_(store) {}
  // nullptr when the version is gone or does not parse (logged once).
  std::shared_ptr<const JourneyDefinition> get(const Journey& journey, int version);

 private:
  Store& store_;
  std::map<std::pair<std::string, int>, std::shared_ptr<const JourneyDefinition>> cache_;
};

// A step to commit, and what the engine counts of it.
struct PlannedStep {
  write::JourneyStep write;
  size_t started = 0;                 // runs started
  std::vector<int64_t> timer_due_at;  // deadlines of the runs moved by time
};

class JourneyPlanner final {
 public:
  JourneyPlanner(const Catalog& catalog, Store& store);

  // Applies activities of one application, oldest first: each moves the waiting runs of its
  // contact that wait for it (held instead when their journey is paused), then starts runs of
  // the active journeys it triggers, as their re-entry policy allows.
  PlannedStep apply(const std::string& app_id, const std::vector<Activity>& activities);
  // The runs `step` changes, kept for the steps planned while it commits: their reads may
  // not see it yet, so they read its runs from here. Until forget(), which the engine calls
  // once the step committed (or was refused), so at most one page's runs are kept.
  void carry(const PlannedStep& step);
  void forget();
  // Moves waiting runs whose deadline is at or before `now` (their held activities first).
  PlannedStep fire(const std::vector<JourneyRun>& due, int64_t now);
  // Applies the activities held for runs whose journey is active again, in order.
  PlannedStep release(const std::vector<JourneyRun>& held);

 private:
  struct Batch;
  // The contact, read once per step, when `d` reads its attributes; valid until the next call.
  const Contact& contact(Batch& b, const JourneyDefinition& d, const std::string& app_id,
                         const std::string& key);
  std::vector<JourneyRun> awaiting(Batch& b, const Activity& a);
  // A run read from the store comes without its awaited activities: from its state.
  void restore_awaited(JourneyRun& run);
  struct Trigger {
    const Journey* journey;
    std::shared_ptr<const JourneyDefinition> definition;
  };
  // The active journeys by the activity their trigger waits for (most activities trigger
  // none); the names point into the definitions held beside them.
  using Triggers = std::unordered_map<std::string_view, std::vector<Trigger>>;
  Triggers triggers_of(const std::vector<JourneyPtr>& journeys);
  void trigger(Batch& b, const Journey& journey, const JourneyDefinition& d, const Activity& a);
  bool may_enter(Batch& b, const Journey& journey, const JourneyDefinition& d, const Activity& a,
                 const std::string& correlation);
  bool move(Batch& b, JourneyRun& run, const Journey& journey, const Activity* a, int64_t now);
  void release_held(Batch& b, JourneyRun& run, const Journey& journey);
  void record(Batch& b, JourneyRun& run, const JourneyDefinition& d, RunStep& step, int64_t at);
  void add_message(Batch& b, const JourneyRun& run, const JourneyDefinition& d,
                   const RunWebhook& webhook, size_t position);
  RunContext context(const JourneyRun& run) const;

  // Runs by id, and their ids by contact key.
  struct Runs {
    std::unordered_map<std::string, JourneyRun> by_id;
    std::map<std::string, std::vector<std::string>> by_contact;
  };

  const Catalog& catalog_;
  Store& store_;
  DefinitionCache definitions_;
  Runs carried_;  // see carry()
};

}  // namespace hookd
