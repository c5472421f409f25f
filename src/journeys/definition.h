#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem.h"
#include "filter/filter.h"

// Journey definitions: a journey fires webhooks from what a contact did ("added to cart but did
// not buy within 30 minutes", "opened an email and lives in Canada"). A definition is a graph of
// nodes, posted through the API as JSON (docs in parse_journey_definition below).
//
// This module offers the model, parse_journey_definition (parsing and every check: a definition it
// returns is a graph the engine can run as is, its links resolved to node indexes, its filters
// compiled) and to_json (the definition rendered back in the format it was posted in).
// Pure functions on plain values: any thread. A parsed definition is not changed afterwards and
// may be shared between threads (PayloadFilter::matches is const and thread-safe).
namespace hookd {

inline constexpr size_t kMaxJourneyNodes = 100;
inline constexpr size_t kMaxAllOfActivities = 10;
inline constexpr size_t kMaxWebhookNames = 50;  // `params` and `attributes`, each
inline constexpr int64_t kMaxJourneyDurationMs = 365LL * 86'400'000;
inline constexpr int kMaxJourneyJsonDepth = 64;  // or max_json_depth(), when that is lower
inline constexpr size_t kMaxJourneyJsonBytes = 1 << 20;

enum class JourneyNodeType { kTrigger, kWaitFor, kAllOf, kCondition, kDelay, kWebhook, kExit };

// The `type` the JSON gives it: "trigger", "waitFor", "allOf", "condition", "delay", "webhook",
// "exit".
std::string_view journey_node_type_name(JourneyNodeType type);

// Whether a contact may go through the journey again (`reentry`).
enum class JourneyReentry {
  kOnce,       // "once": one run per contact, ever
  kAfterExit,  // "afterExit": a new run once the previous one has ended
  kPerKey,     // "perKey": one run per value of the trigger's params[correlation_key]
};

// What a condition node's filter looks at (`on`).
enum class JourneyConditionSubject {
  kContact,  // "contact": the contact's attributes
  kTrigger,  // "trigger": the params of the activity that started the run
};

// A filter in the payload filter language (filter/filter.h), with the JSON it was compiled from
// (compact, keys sorted), so that the definition can be rendered and compared.
struct JourneyFilter {
  std::string json;
  std::shared_ptr<const PayloadFilter> compiled;  // never null in a parsed definition

  bool operator==(const JourneyFilter& other) const { return json == other.json; }
};

// An outgoing edge: the node id as written, and the index in JourneyDefinition::nodes it names.
struct JourneyLink {
  static constexpr int kNone = -1;
  std::string id;     // empty: the node has no such edge
  int index = kNone;  // set for every present link of a parsed definition

  bool present() const { return !id.empty(); }
  bool operator==(const JourneyLink&) const = default;
};

// One of the activities an allOf node waits for.
struct JourneyActivityMatch {
  std::string activity;
  std::optional<JourneyFilter> filter;  // on the activity's params

  bool operator==(const JourneyActivityMatch&) const = default;
};

// A node; the fields a type does not use stay empty (and are refused in the JSON).
struct JourneyNode {
  std::string id;  // 1..64 of A-Z a-z 0-9 _ -, unique in the definition
  JourneyNodeType type = JourneyNodeType::kExit;

  // trigger, waitFor: the activity that starts the run / that the node waits for, with conditions
  // on its params (`filter`) and on the contact's attributes (`contact_filter`).
  // condition: `filter` is the condition (required), applied to what `on` names.
  std::string activity;
  std::optional<JourneyFilter> filter;
  std::optional<JourneyFilter> contact_filter;
  std::vector<JourneyActivityMatch> activities;  // allOf: 2..10, matched in any order
  int64_t duration_ms = 0;  // waitFor, allOf: `within`; delay: `duration`; 1 ms .. 365 days
  // waitFor, allOf: match only activities whose params[correlation_key] equals the trigger's.
  bool correlate = false;
  JourneyConditionSubject on = JourneyConditionSubject::kContact;  // condition

  // webhook: where it goes (exactly one of endpoint_id and event_type is set), and what it sends.
  std::string name;  // may be empty
  std::string endpoint_id;
  std::string event_type;
  std::vector<std::string> params;      // trigger/activity params, names of A-Z a-z 0-9 _ . -
  std::vector<std::string> attributes;  // contact attributes, the same
  std::string channel;                  // "webhook" unless the JSON says otherwise

  // Edges. trigger, delay: `next` (required). webhook: `next` (optional: without one the run ends
  // there). waitFor, allOf: `matched` and `timed_out` (both required). condition: `if_true` and
  // `if_false` ("then" and "else", both required). exit: none.
  JourneyLink next;
  JourneyLink matched;
  JourneyLink timed_out;
  JourneyLink if_true;
  JourneyLink if_false;

  bool operator==(const JourneyNode&) const = default;
};

struct JourneyDefinition {
  static constexpr size_t kTriggerIndex = 0;  // nodes[0] is the trigger, the only one

  std::string name;         // 1..256 characters
  std::string description;  // 0..1024 characters
  JourneyReentry reentry = JourneyReentry::kOnce;
  std::string correlation_key;  // empty: none; set when reentry is kPerKey or a node correlates
  std::vector<JourneyNode> nodes;

  bool operator==(const JourneyDefinition&) const = default;
};

// Lookups into what the application knows, so that this module does not depend on the catalog.
// An empty callback skips its check. Called during the parse only, on the calling thread.
struct JourneyRefs {
  std::function<bool(std::string_view)> endpoint_exists;
  std::function<bool(std::string_view)> event_type_exists;
};

// Parses and checks a definition posted as JSON:
//   {"name", "description"?, "reentry"?: "once"|"afterExit"|"perKey", "correlationKey"?,
//    "nodes": [trigger, ...]}
// with nodes {"id", "type", ...} of the types above (fields in camelCase: contactFilter,
// timedOut, endpointId, eventType; "within" and "duration" as "500ms", "30s", "30m", "2h", "7d"
// or an integer of milliseconds). `null` reads as an absent optional field. Refused: anything
// malformed, unknown fields, links to missing nodes, to the node itself or to the trigger, nodes
// the trigger does not reach, loops that pass no waitFor, allOf or delay node, filters that do
// not compile, endpoints and event types `refs` does not know. The problem's field is the path to
// the input ("nodes[2].within", "" for the body as a whole), its detail starts with the node
// (`node "wait": within must be a positive duration, got "0s"`). Stops at the first problem.
Checked<JourneyDefinition> parse_journey_definition(std::string_view json, const JourneyRefs& refs);

// The definition as compact JSON in the format parse_journey_definition reads, optional fields
// left out when empty: parsing it gives back an equal definition.
std::string to_json(const JourneyDefinition& definition);

}  // namespace hookd
