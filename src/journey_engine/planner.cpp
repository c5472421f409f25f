#include "journey_engine/planner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "common/hash.h"
#include "common/ids.h"
#include "common/time.h"
#include "journeys/run_state.h"

namespace hookd {

namespace {

// A run's id: the trigger activity's sequence number, then a hash of the journey and the
// activity. Planning the same trigger again gives the same id (a step planned again after a crash
// writes the same rows), and ids grow with the order activities came in, so a page of new runs
// is appended at the end of the id index instead of being scattered through it.
std::string run_id(const Journey& journey, const Activity& trigger) {
  const std::string key = journey.id + '\n' + trigger.app_id + '\n' + trigger.id;
  char out[40];
  std::snprintf(out, sizeof out, "run_%016llx%016llx", static_cast<unsigned long long>(trigger.seq),
                static_cast<unsigned long long>(fnv1a(key)));
  return out;
}

// Whether a run of `d` ever looks at the contact's attributes: otherwise the planner does not
// read the contact.
bool reads_contact(const JourneyDefinition& d) {
  return std::any_of(d.nodes.begin(), d.nodes.end(), [](const JourneyNode& n) {
    return n.contact_filter || !n.attributes.empty() ||
           (n.type == JourneyNodeType::kCondition && n.on == JourneyConditionSubject::kContact);
  });
}

}  // namespace

std::shared_ptr<const JourneyDefinition> DefinitionCache::get(const Journey& journey, int version) {
  const auto key = std::make_pair(journey.id, version);
  if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
  std::string text;
  if (version == journey.version) {
    text = journey.definition;
  } else {
    for (const auto& v : store_.list_journey_versions(journey.id)) {
      if (v.version == version) text = v.definition;
    }
  }
  std::shared_ptr<const JourneyDefinition> parsed;
  auto checked = parse_journey_definition(text, {});
  if (checked.ok()) {
    parsed = std::make_shared<const JourneyDefinition>(std::move(checked).value());
  } else {
    spdlog::error("journey {} version {}: the stored definition does not parse: {}", journey.id,
                  version, checked.problem().message());
  }
  cache_[key] = parsed;
  return parsed;
}

// What one step has touched so far: the runs it changed (each activity sees what the ones before
// it did) and the contacts it read; beneath them, the runs of the steps still being committed.
struct JourneyPlanner::Batch {
  explicit Batch(const Runs& carried) : carried(carried) {}

  PlannedStep out;
  Runs changed;
  std::vector<std::string> order;  // the changed runs' ids, first change first
  const Runs& carried;             // empty but while a page of activities commits
  std::map<std::pair<std::string, std::string>, Contact> contacts;
  Contact bare;  // what contact() returns for a definition that reads no attributes

  // The run as this step, or else a step being committed, left it; nullptr when neither did.
  const JourneyRun* latest(const std::string& id) const {
    if (const auto it = changed.by_id.find(id); it != changed.by_id.end()) return &it->second;
    const auto it = carried.by_id.find(id);
    return it == carried.by_id.end() ? nullptr : &it->second;
  }
  // The runs of the contact (and application) that this step or a step being committed changed.
  template <typename F>
  void each_changed(const std::string& app_id, const std::string& contact, F&& f) const {
    for (const Runs* runs : {&carried, &changed}) {
      const auto it = runs->by_contact.find(contact);
      if (it == runs->by_contact.end()) continue;
      for (const auto& id : it->second) {
        const JourneyRun& run = *latest(id);
        if (run.app_id == app_id) f(run);
      }
    }
  }
  void put(JourneyRun run) {
    const auto it = changed.by_id.find(run.id);
    if (it != changed.by_id.end()) {
      it->second = std::move(run);
      return;
    }
    order.push_back(run.id);
    changed.by_contact[run.contact_key].push_back(run.id);
    changed.by_id.emplace(run.id, std::move(run));
  }
  PlannedStep finish() {
    for (const auto& id : order) out.write.runs.push_back(std::move(changed.by_id.at(id)));
    return std::move(out);
  }
};

void JourneyPlanner::carry(const PlannedStep& step) {
  for (const JourneyRun& run : step.write.runs) {
    const auto [it, inserted] = carried_.by_id.insert_or_assign(run.id, run);
    it->second.fresh = false;  // stored by then, for the steps that move it again
    if (inserted) carried_.by_contact[run.contact_key].push_back(run.id);
  }
}

void JourneyPlanner::forget() { carried_ = {}; }

JourneyPlanner::JourneyPlanner(const Catalog& catalog, Store& store)
    : catalog_(catalog), store_(store), definitions_(store) {}

const Contact& JourneyPlanner::contact(Batch& b, const JourneyDefinition& d,
                                       const std::string& app_id, const std::string& key) {
  if (!reads_contact(d)) {  // a contact with the key only
    b.bare = Contact{app_id, key, {}, 0, 0};
    return b.bare;
  }
  const auto id = std::make_pair(app_id, key);
  if (const auto it = b.contacts.find(id); it != b.contacts.end()) return it->second;
  Contact c = store_.get_contact(app_id, key).value_or(Contact{app_id, key, {}, 0, 0});
  return b.contacts.emplace(id, std::move(c)).first->second;
}

RunContext JourneyPlanner::context(const JourneyRun& run) const {
  const auto app = catalog_.find_app(run.app_id);
  return {app && !app->uid.empty() ? app->uid : run.app_id, run.id};
}

JourneyPlanner::Triggers JourneyPlanner::triggers_of(const std::vector<JourneyPtr>& journeys) {
  Triggers triggers;
  for (const auto& journey : journeys) {
    if (journey->status != JourneyStatus::kActive) continue;
    auto d = definitions_.get(*journey, journey->version);
    if (!d) continue;
    const std::string_view name = d->nodes.at(JourneyDefinition::kTriggerIndex).activity;
    triggers[name].push_back({journey.get(), std::move(d)});
  }
  return triggers;
}

PlannedStep JourneyPlanner::apply(const std::string& app_id,
                                  const std::vector<Activity>& activities) {
  Batch b(carried_);
  const std::vector<JourneyPtr> journeys = catalog_.journeys().list(app_id);
  const auto journey_of = [&](const std::string& id) -> const Journey* {
    for (const auto& j : journeys) {
      if (j->id == id) return j.get();
    }
    return nullptr;
  };
  const auto triggers = triggers_of(journeys);
  for (const Activity& a : activities) {
    for (JourneyRun& run : awaiting(b, a)) {
      const Journey* journey = journey_of(run.journey_id);
      if (!journey) continue;
      if (journey->status == JourneyStatus::kPaused) {
        RunState s = parse_run_state(run.state);
        s.held.push_back(a);
        run.state = run_state_json(s);
        run.held = true;
        b.put(std::move(run));
        continue;
      }
      const bool released = run.held;
      release_held(b, run, *journey);
      if (move(b, run, *journey, &a, a.received_at) || released) b.put(std::move(run));
    }
    if (const auto it = triggers.find(a.name); it != triggers.end()) {
      for (const Trigger& t : it->second) trigger(b, *t.journey, *t.definition, a);
    }
    b.out.write.activities_done.push_back(a.id);
  }
  b.out.write.app_id = app_id;
  return b.finish();
}

// The contact's waiting runs that wait for the activity, as this step has left them.
std::vector<JourneyRun> JourneyPlanner::awaiting(Batch& b, const Activity& a) {
  std::vector<JourneyRun> out;
  std::vector<std::string> seen;  // a contact has few runs
  const auto consider = [&](const JourneyRun& run, JourneyRun* stored) {
    if (std::find(seen.begin(), seen.end(), run.id) != seen.end()) return;
    seen.push_back(run.id);
    const JourneyRun* changed = b.latest(run.id);
    const JourneyRun& now = changed ? *changed : run;
    if (!now.waiting ||
        std::find(now.awaited.begin(), now.awaited.end(), a.name) == now.awaited.end()) {
      return;
    }
    if (changed || !stored) {
      out.push_back(now);
    } else {
      out.push_back(std::move(*stored));
    }
  };
  for (auto& run : store_.runs_awaiting(a.app_id, a.contact_key, a.name)) {
    if (!b.latest(run.id)) restore_awaited(run);
    consider(run, &run);
  }
  b.each_changed(a.app_id, a.contact_key, [&](const JourneyRun& run) { consider(run, nullptr); });
  return out;
}

void JourneyPlanner::restore_awaited(JourneyRun& run) {
  if (!run.waiting || !run.awaited.empty()) return;
  const JourneyPtr journey = catalog_.journeys().find(run.app_id, run.journey_id);
  const auto d = journey ? definitions_.get(*journey, run.version) : nullptr;
  if (d) run.awaited = awaited_activities(*d, parse_run_state(run.state));
}

void JourneyPlanner::trigger(Batch& b, const Journey& journey, const JourneyDefinition& d,
                             const Activity& a) {
  const Contact& c = contact(b, d, a.app_id, a.contact_key);
  if (!starts_run(d, a, c)) return;
  JourneyRun run;
  run.id = run_id(journey, a);
  run.app_id = a.app_id;
  run.journey_id = journey.id;
  run.version = journey.version;
  run.contact_key = a.contact_key;
  run.created_at = a.received_at;
  run.fresh = true;
  RunStep step = start_run(d, a, c, context(run));
  run.correlation = step.state.correlation;
  if (!may_enter(b, journey, d, a, run.correlation)) return;
  record(b, run, d, step, a.received_at);
  b.put(std::move(run));
  ++b.out.started;
}

bool JourneyPlanner::may_enter(Batch& b, const Journey& journey, const JourneyDefinition& d,
                               const Activity& a, const std::string& correlation) {
  std::vector<JourneyRun> runs = store_.contact_runs(journey.id, a.contact_key);
  b.each_changed(a.app_id, a.contact_key, [&](const JourneyRun& changed) {
    if (changed.journey_id != journey.id) return;
    std::erase_if(runs, [&](const JourneyRun& r) { return r.id == changed.id; });
    runs.push_back(changed);
  });
  switch (d.reentry) {
    case JourneyReentry::kOnce:
      return runs.empty();
    case JourneyReentry::kAfterExit:
      return std::none_of(runs.begin(), runs.end(), [](const JourneyRun& r) { return r.waiting; });
    case JourneyReentry::kPerKey:
      return std::none_of(runs.begin(), runs.end(),
                          [&](const JourneyRun& r) { return r.correlation == correlation; });
  }
  return false;
}

bool JourneyPlanner::move(Batch& b, JourneyRun& run, const Journey& journey, const Activity* a,
                          int64_t now) {
  const auto d = definitions_.get(journey, run.version);
  if (!d || !run.waiting) return false;
  const RunState state = parse_run_state(run.state);
  RunStep step =
      advance_run(*d, state, contact(b, *d, run.app_id, run.contact_key), a, now, context(run));
  if (!step.changed) return false;
  record(b, run, *d, step, a ? a->received_at : now_unix_ms());
  return true;
}

void JourneyPlanner::release_held(Batch& b, JourneyRun& run, const Journey& journey) {
  if (!run.held) return;
  RunState s = parse_run_state(run.state);
  const std::vector<Activity> held = std::move(s.held);
  s.held.clear();
  run.state = run_state_json(s);
  run.held = false;
  for (const Activity& a : held) move(b, run, journey, &a, a.received_at);
}

void JourneyPlanner::record(Batch& b, JourneyRun& run, const JourneyDefinition& d, RunStep& step,
                            int64_t at) {
  RunState& s = step.state;
  const size_t base = s.path.size();
  for (const int node : step.path) s.path.push_back({d.nodes.at(static_cast<size_t>(node)).id, at});
  size_t next_webhook = 0;
  for (size_t i = 0; i < step.path.size() && next_webhook < step.webhooks.size(); ++i) {
    if (step.path[i] != step.webhooks[next_webhook].node) continue;
    add_message(b, run, d, step.webhooks[next_webhook++], base + i);
  }
  run.waiting = !s.ended;
  run.node = s.ended ? s.exit_id : d.nodes.at(static_cast<size_t>(s.node)).id;
  run.wake_at = s.ended ? 0 : s.wake_at;
  run.awaited = awaited_activities(d, s);
  run.updated_at = now_unix_ms();
  run.state = run_state_json(s);
}

void JourneyPlanner::add_message(Batch& b, const JourneyRun& run, const JourneyDefinition& d,
                                 const RunWebhook& webhook, size_t position) {
  const std::string& node = d.nodes.at(static_cast<size_t>(webhook.node)).id;
  auto message = std::make_shared<Message>();
  std::vector<std::string> endpoint_ids;
  if (!webhook.endpoint_id.empty()) {
    const EndpointPtr endpoint = catalog_.endpoint_by_id(webhook.endpoint_id);
    if (!endpoint || endpoint->app_id != run.app_id) {
      spdlog::warn("journey {} node {}: endpoint {} no longer exists; nothing sent", run.journey_id,
                   node, webhook.endpoint_id);
      return;
    }
    endpoint_ids.push_back(endpoint->id);
    message->event_type = "journey.webhook";
  } else {
    MessageRoute route =
        catalog_.route_message(run.app_id, webhook.event_type, {}, webhook.payload);
    if (route.status != MessageRoute::Status::kOk) {
      spdlog::warn("journey {} node {}: event type {} is gone or archived; nothing sent",
                   run.journey_id, node, webhook.event_type);
      return;
    }
    endpoint_ids = std::move(route.endpoint_ids);
    message->event_type = webhook.event_type;
  }
  message->id = new_id("msg_");
  message->app_id = run.app_id;
  message->event_id = run.id + ":" + node + ":" + std::to_string(position);
  message->payload = webhook.payload;
  message->created_at = now_unix_ms();
  write::InsertMessage insert;
  insert.message = message;
  insert.endpoint_ids = std::make_shared<const std::vector<std::string>>(std::move(endpoint_ids));
  b.out.write.messages.push_back(std::move(insert));
  b.out.write.webhooks.push_back({run.journey_id, run.version, node, message->id});
}

PlannedStep JourneyPlanner::fire(const std::vector<JourneyRun>& due, int64_t now) {
  Batch b(carried_);
  for (JourneyRun run : due) {
    restore_awaited(run);
    const JourneyPtr journey = catalog_.journeys().find(run.app_id, run.journey_id);
    if (!journey) {  // deleted while the run was being moved: it waits no more
      run.waiting = run.held = false;
      b.put(std::move(run));
      continue;
    }
    if (journey->status == JourneyStatus::kPaused) continue;
    release_held(b, run, *journey);
    if (run.waiting && run.wake_at <= now) {
      const int64_t due_at = run.wake_at;
      if (move(b, run, *journey, nullptr, now)) b.out.timer_due_at.push_back(due_at);
    }
    b.put(std::move(run));
  }
  return b.finish();
}

PlannedStep JourneyPlanner::release(const std::vector<JourneyRun>& held) {
  Batch b(carried_);
  for (JourneyRun run : held) {
    restore_awaited(run);
    const JourneyPtr journey = catalog_.journeys().find(run.app_id, run.journey_id);
    if (!journey) run.waiting = run.held = false;
    if (!journey || journey->status == JourneyStatus::kPaused) {
      if (!journey) b.put(std::move(run));
      continue;
    }
    release_held(b, run, *journey);
    b.put(std::move(run));
  }
  return b.finish();
}

}  // namespace hookd
