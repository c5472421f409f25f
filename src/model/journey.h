#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// Journeys as stored: an application's journey and the versions of its definition
// (docs/journeys.md). The definition is kept as the canonical JSON journeys/definition.h renders;
// parsing and validating it is that module's job. Plain data.
namespace hookd {

enum class JourneyStatus { kActive, kPaused };

struct Journey {
  std::string id;  // jrn_...
  std::string app_id;
  std::string uid;  // optional, unique within the application
  std::string name;
  JourneyStatus status = JourneyStatus::kActive;
  int version = 1;         // the version contacts enter now
  std::string definition;  // that version's definition, canonical JSON
  int64_t created_at = 0;  // unix ms
  int64_t updated_at = 0;
};
using JourneyPtr = std::shared_ptr<const Journey>;

// One saved version of a journey's definition; never changed once written, so contacts inside
// a journey finish on the version they entered.
struct JourneyVersion {
  std::string journey_id;
  int version = 0;
  std::string definition;
  int64_t created_at = 0;
};

// One contact's run through a journey version. The store keeps it, and indexes a waiting run
// by each activity name it waits for and by its deadline; what the run's state means is the
// runner's (journeys/runner.h).
struct JourneyRun {
  std::string id;  // run_...
  std::string app_id;
  std::string journey_id;
  int version = 0;
  std::string contact_key;
  std::string correlation;           // the trigger's params[correlationKey] as JSON; empty: none
  bool waiting = true;               // false: the run ended
  std::string node;                  // the id of the node it waits at, or ended at
  int64_t wake_at = 0;               // waiting: when its time at the node runs out (unix ms)
  bool held = false;                 // activities wait in its state for its paused journey
  std::vector<std::string> awaited;  // waiting: the activity names that can move it
  std::string state;                 // the runner's state, as JSON
  int64_t created_at = 0;
  int64_t updated_at = 0;
  // Started by the step that saves it, which then has no older index rows of it to replace.
  // Not stored.
  bool fresh = false;
};

// A webhook a journey sent: the message, by journey version and node (what the journey's
// statistics count).
struct JourneyWebhook {
  std::string journey_id;
  int version = 0;
  std::string node;
  std::string msg_id;
};

// How many runs of one journey version are where, and what became of its webhooks' deliveries.
struct JourneyNodeCount {
  int version = 0;
  std::string node;
  bool waiting = false;  // runs waiting at the node; false: runs that ended there
  int64_t count = 0;
};
struct JourneyWebhookCount {
  int version = 0;
  std::string node;
  int status = 0;  // the deliveries' DeliveryStatus (model/message.h)
  int64_t count = 0;
};
struct JourneyStats {
  std::vector<JourneyNodeCount> runs;
  std::vector<JourneyWebhookCount> webhooks;
};

}  // namespace hookd
