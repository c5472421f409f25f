#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "journey_engine/planner.h"
#include "metrics/metrics.h"
#include "store/store.h"

// The journey engine: one thread that moves journey runs (docs/journeys.md, "The engine").
//
// The store is the queue. Activities wait in it until applied (Store::pending_activities, oldest
// first); runs wait in it with their deadline indexed (Store::due_runs); nothing about a waiting
// run is kept in memory. Each pass applies a page of pending activities, then fires a page of due
// runs, then releases activities held for journeys that were resumed; each page is one
// write::JourneyStep: the runs' new states, the messages their webhook nodes send and the
// activities applied commit in one transaction, and only then are the messages handed to the
// dispatcher. The next page of activities is planned while one commits (JourneyPlanner::carry).
// A crash before the commit replays the step; the same run ids and eventIds make
// the replay write the same rows, so every firing happens once.
//
// Pause: a paused journey's runs are not fired, and activities for them are held in their state;
// on resume the held activities are applied in order and the deadlines that passed meanwhile
// fire, at most `resume_rate` runs of that journey per second.
//
// Cluster mode: the engine runs on the node holding the leader lease (Store::leader), so one
// contact's activities are applied in the order the database took them, by one node at a time.
//
// Thread-safe: poke may be called from any thread; start and stop from the owner's.
namespace hookd {

struct JourneyEngineOptions {
  int batch = 1'000;        // activities, or due runs, per step
  int resume_rate = 1'000;  // runs per second of a journey catching up after its resume
  int64_t poll_ms = 250;    // the longest the engine sleeps without being poked
};

// Called on the engine's thread with each message a committed step inserted.
using JourneyMessageSink =
    std::function<void(const MessagePtr& message, const std::vector<std::string>& endpoint_ids,
                       const WriteResult& result)>;

class JourneyEngine final {
 public:
  JourneyEngine(JourneyEngineOptions options, const Catalog& catalog, Store& store,
                Metrics& metrics, JourneyMessageSink sink);
  ~JourneyEngine();
  JourneyEngine(const JourneyEngine&) = delete;
  JourneyEngine& operator=(const JourneyEngine&) = delete;

  void start();
  void stop();
  // Activities were stored, or a journey resumed: look now.
  void poke();
  // One pass, on the caller's thread (tests); returns the activities and runs it moved.
  size_t run_once();

 private:
  void loop();
  // The journeys paused now, and the ones seen resumed since the last pass.
  void refresh_journeys(int64_t now);
  // A step of a page of activities, and its commit's answer once handed to the store.
  struct PageStep {
    size_t activities = 0;
    PlannedStep planned;
    std::vector<write::InsertMessage> messages;  // for the sink, once committed
    std::future<WriteResult> result;
  };
  struct Page {
    size_t activities = 0;
    int64_t last_seq = 0;
    std::vector<PageStep> steps;  // one per application
  };
  size_t apply_pending();
  // The pending activities after `after_seq` (the page being committed), planned.
  Page plan_page(int64_t after_seq, bool first);
  void submit(Page& page);
  // Waits for the page's commits; the activities applied, or nullopt when the store refused.
  std::optional<size_t> settle(Page& page);
  size_t fire_due(int64_t now);
  size_t release_held();
  // Commits the step; false when the store refused it (nothing of it happened).
  bool commit(PlannedStep& step);
  // Hands a committed step's inserted messages to the sink; false when the store refused it.
  bool committed(const WriteResult& result, const std::vector<write::InsertMessage>& messages);
  // The journeys whose due runs the next page leaves out: paused ones, and those that used
  // this second's catch-up budget.
  std::vector<std::string> skipped_journeys() const;
  // How long to sleep when a pass found nothing to do.
  int64_t idle_wait_ms(int64_t now);

  const JourneyEngineOptions options_;
  const Catalog& catalog_;
  Store& store_;
  Metrics& metrics_;
  const JourneyMessageSink sink_;
  JourneyPlanner planner_;  // the engine thread's

  // The engine thread's.
  std::set<std::string> paused_;
  std::set<std::string> maybe_held_;            // journeys to look for held runs in
  std::map<std::string, int64_t> catching_up_;  // resumed journey -> when (unix ms)
  std::map<std::string, int> budget_used_;      // this second's catch-up firings
  int64_t budget_second_ = 0;
  bool first_pass_ = true;

  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;  // guarded by mu_
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hookd
