#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "model/application.h"
#include "model/audit.h"
#include "model/catalog_snapshot.h"
#include "model/contact.h"
#include "model/endpoint.h"
#include "model/inbound.h"
#include "model/journey.h"
#include "model/message.h"
#include "model/token.h"

namespace hookd {

// Durability contract
// -------------------
// A write counts as accepted when its completion callback runs with WriteStatus::kOk. By then
// the write is committed and on stable storage (fsync'd; each backend's header says how), so a
// crash or kill -9 one instant later loses nothing that was acknowledged. Writes are grouped: every
// write that is queued while the previous commit is being fsync'd shares the next transaction, so
// the batching window is exactly one commit's duration and latency stays low under light load.
//
// If a commit fails, every write it held and every later one completes with kUnavailable, and
// health reports it, rather than guessing which of the grouped writes reached the disk. A full
// disk is the one failure the store recovers from by itself: the engine rolled the failed
// transaction back, so once a probe commit of its own lands the store accepts writes again
// (writes refused meanwhile were never acknowledged). After an fsync or other I/O error the
// store stays read-only for good (a sticky error, as in leveldb).

enum class WriteStatus { kOk, kConflict, kUnavailable };

struct WriteResult {
  WriteStatus status = WriteStatus::kOk;
  std::string detail;
  // UpsertInboundEvent: the stored event's id and revision (1: created; more: replaced).
  std::string stored_id;
  int64_t revision = 0;
  bool duplicate = false;  // UpsertInboundEvent with keep_first: the key was stored already
  // Prune: rows deleted.
  int64_t affected = 0;
  // InsertMessage (also forwarded by UpsertInboundEvent) in cluster mode: for each of its
  // endpoint_ids, whether the delivery was inserted claimed by this node, which then sends it;
  // the others are their owners' to claim. Empty: every delivery is this node's to send.
  std::vector<bool> claimed;
  // InsertActivities: for each activity, whether its id was stored already (nothing written).
  std::vector<bool> repeated;
  // JourneyStep: the result of each of its messages, in order.
  std::vector<WriteResult> parts;
};

namespace write {
struct PutApplication {
  Application app;
};
struct DeleteApplication {
  std::string app_id;
};
struct PutEventType {
  EventType event_type;
};
// Deletes the event type entirely (DELETE /event-type/{name}?expunge=true); messages and
// endpoint filters that name it keep the name.
struct DeleteEventType {
  std::string name;
};
struct PutEndpoint {
  Endpoint endpoint;
};
struct DeleteEndpoint {
  std::string endpoint_id;
};
// A message and one pending delivery per matching endpoint. Conflict when the application
// already has a message with the same non-empty event_id; nothing is written then.
struct InsertMessage {
  MessagePtr message;
  // Shared with the caller, which hands the same ids to the dispatcher after the commit.
  std::shared_ptr<const std::vector<std::string>> endpoint_ids;
};
// The outcome of one attempt and the resulting state of its delivery.
struct RecordAttempt {
  Attempt attempt;
  Delivery delivery;
  bool update_delivery = true;  // false: record the attempt only (a failed manual resend)
  // The claim the delivery was sent under (Store::claim_due; 0: not claimed). A store that
  // claims refuses the write (kConflict, nothing recorded) when the delivery's claim is no longer
  // this one: its lease passed and another claim took it. `keep_claim`: the delivery stays
  // claimed under the same token (a retry kept in memory; delivery.next_attempt_at is then the
  // lease's end), otherwise it is unclaimed.
  uint64_t claim = 0;
  bool keep_claim = false;
};
// Cluster mode: claimed deliveries this node will not send after all (their endpoint was
// disabled, or its queue was full): each is due again at `due` and unclaimed, unless its claim
// changed meanwhile. A store that does not claim ignores it.
struct ReleaseClaims {
  struct Claimed {
    std::string msg_id;
    std::string endpoint_id;
    uint64_t claim = 0;
    int64_t due = 0;  // unix ms
  };
  std::vector<Claimed> deliveries;
};
struct PutSource {
  InboundSource source;
};
// The source and every event it received.
struct DeleteSource {
  std::string source_id;
};
// Creates or replaces a journey; with `new_version`, also stores its definition as version
// journey.version (a version once written is kept as it is).
struct PutJourney {
  Journey journey;
  bool new_version = false;
};
// The journey and all its versions.
struct DeleteJourney {
  std::string journey_id;
};
// What one step of the journey engine changes, in one transaction: the runs it started or
// moved (each replaces the stored run of its id, with its index of awaited activities), the
// messages their webhooks send (a repeated eventId, the run's and node's, inserts nothing),
// and the activities it has now applied (no longer pending).
struct JourneyStep {
  std::vector<JourneyRun> runs;
  std::vector<InsertMessage> messages;
  std::vector<JourneyWebhook> webhooks;  // one per message, recorded with it when it is inserted
  std::string app_id;                    // of activities_done
  std::vector<std::string> activities_done;  // activity ids
};
// Merges attributes into contacts of `app_id` (model/contact.h), creating those that are new.
struct PutContacts {
  std::string app_id;
  std::vector<ContactUpdate> contacts;
  int64_t at = 0;  // unix ms
};
// Stores activities of `app_id`; one whose id is stored already is not stored again
// (WriteResult::repeated). `contacts`: the activities' contacts with the attributes the
// activities carried, merged in the same transaction (created when new).
struct InsertActivities {
  std::string app_id;
  std::vector<Activity> activities;
  std::vector<ContactUpdate> contacts;
  int64_t at = 0;
};
// Stores an inbound event; an event with the same non-empty event_key in the source is replaced
// (keeping its id, revision + 1). With `forward`, the forwarded message is inserted in the same
// transaction.
struct UpsertInboundEvent {
  InboundEvent event;
  std::optional<InsertMessage> forward;
  // An event whose key is stored already is a duplicate: nothing is written or forwarded, and
  // the result names the stored event. Otherwise a repeated key replaces the stored event.
  bool keep_first = false;
};
struct RecordRejection {
  InboundRejection rejection;
};
// Creates or replaces a token (revoking one is a put with revoked_at set).
struct PutToken {
  ApiToken token;
};

struct RecordAudit {
  AuditEntry entry;
};

// Removes a message's payload (it reads `{}` from then on, and the message is marked
// content_expunged) or, with `attempt_id`, an attempt's response body; the rows stay.
// `affected` is 0 when the application has no such row.
struct ExpungeContent {
  std::string app_id;
  std::string msg_id;
  std::string attempt_id;  // empty: the message's payload
};

// Retention: deletes up to `limit` of the oldest messages created before `before` (unix ms)
// with their deliveries, attempts made before it, and (up to `limit` of each) inbound events
// first and last received before it and rejections received before it, and audit entries
// recorded before it.
struct Prune {
  int64_t before = 0;
  int limit = 1'000;
};

}  // namespace write

using WriteOp =
    std::variant<write::PutApplication, write::DeleteApplication, write::PutEventType,
                 write::DeleteEventType, write::PutEndpoint, write::DeleteEndpoint,
                 write::InsertMessage, write::RecordAttempt, write::ReleaseClaims, write::PutSource,
                 write::DeleteSource, write::UpsertInboundEvent, write::RecordRejection,
                 write::PutToken, write::RecordAudit, write::ExpungeContent, write::Prune,
                 write::PutJourney, write::DeleteJourney, write::PutContacts,
                 write::InsertActivities, write::JourneyStep>;

// Called on the store's writer thread once the write is durable (or refused); must not block.
using WriteCallback = std::function<void(const WriteResult&)>;

struct Page {
  int limit = 50;
  std::string iterator;  // exclusive bound; empty: from the start
};

// Empty or absent members do not filter.
struct MessageFilter {
  std::vector<std::string> event_types;  // any of them
  std::string channel;                   // the message carries it
  std::optional<int64_t> before;         // created before (unix ms)
  std::optional<int64_t> after;          // created after (unix ms)
};

struct AttemptFilter {
  std::string msg_id;
  std::string endpoint_id;
  std::optional<int> status;
  // 0: no response; 100, 200, ..., 500: a status code from it to it + 99.
  std::optional<int> status_code_class;
  std::optional<int64_t> before;  // attempted before (unix ms)
  std::optional<int64_t> after;   // attempted after (unix ms)
  // Of the attempt's message: its event type is one of them / it carries the channel.
  std::vector<std::string> event_types;
  std::string channel;
};

// A pending delivery with the message it carries, for the dispatcher.
struct PendingDelivery {
  Delivery delivery;
  MessagePtr message;
};

// Due deliveries claimed for this node (Store::claim_due) under one claim token, until
// lease_until (unix ms).
struct ClaimedPage {
  std::vector<PendingDelivery> deliveries;
  uint64_t claim = 0;
  int64_t lease_until = 0;
};

// A position in the (next_attempt_at, msg_id, endpoint_id) order of pending deliveries.
struct PendingCursor {
  int64_t next_attempt_at = INT64_MIN;
  std::string msg_id;
  std::string endpoint_id;
};

// Rejected inbound requests of a source with one reason, since the source was created.
struct RejectionCount {
  std::string reason;
  int64_t count = 0;
  int64_t last_at = 0;  // unix ms
};

// Deliveries to one endpoint of messages created in [since, until) (unix ms), by status.
struct EndpointStats {
  int64_t success = 0, pending = 0, sending = 0, fail = 0;

  // Counts `count` deliveries whose reported_status() is `status`.
  void add(DeliveryStatus status, int64_t count) {
    switch (status) {
      case DeliveryStatus::kSuccess:
        success += count;
        return;
      case DeliveryStatus::kPending:
        pending += count;
        return;
      case DeliveryStatus::kSending:
        sending += count;
        return;
      case DeliveryStatus::kFailed:
        fail += count;
        return;
    }
  }
};

// The SQL condition, on a deliveries table aliased `d`, of the rows whose reported_status() is
// `status`: pending splits into not yet attempted and sending (attempted, waiting to retry).
// The same text serves both stores.
inline const char* reported_status_condition(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kSuccess:
      return " AND d.status = 0";
    case DeliveryStatus::kPending:
      return " AND d.status = 1 AND d.attempts = 0";
    case DeliveryStatus::kSending:
      return " AND d.status = 1 AND d.attempts > 0";
    case DeliveryStatus::kFailed:
      break;
  }
  return " AND d.status = 2";
}

struct EndpointMessageFilter {
  std::optional<DeliveryStatus> status;  // as reported (reported_status): kSending = retrying
  std::optional<int64_t> before;         // messages created before (unix ms)
  std::optional<int64_t> after;          // messages created after (unix ms)
  std::vector<std::string> event_types;  // empty: any
  std::string channel;                   // empty: any
};

// A message with the state of its delivery to one endpoint.
struct EndpointMessage {
  std::string id;  // the message's, the list's iterator
  Message message;
  Delivery delivery;
};

struct InboundEventFilter {
  std::string customer_id;
  std::string name;
  std::optional<int64_t> since;  // occurred_at >= since (unix ms)
  std::optional<int64_t> until;  // occurred_at < until
};

// What a read throws when the store cannot answer for now (its database is unreachable); the API
// answers 503 store_unavailable.
class StoreUnavailable final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The storage interface. Thread-safe. Reads block and must not run on an I/O thread; writes are
// queued to the writer thread and never block the caller.
class Store {
 public:
  virtual ~Store() = default;

  virtual void write(WriteOp op, WriteCallback done) = 0;
  // Blocks until the write is durable; for cold paths only.
  WriteResult write_sync(WriteOp op);
  // Lock-free: cheap enough for every loop of a delivery thread.
  virtual bool writable() const = 0;
  // Why the store refuses writes now; empty while it accepts them.
  virtual std::string write_refusal() const = 0;
  // How many grouped commits have completed. A read that starts after this returned N sees
  // every write of the first N commits; callbacks of commit N run after it reads N.
  virtual uint64_t commit_sequence() const = 0;
  // Writes queued but not yet committed.
  virtual size_t write_queue_depth() const = 0;

  // Until the returned guard goes, this thread's reads share one read transaction, one
  // snapshot of the store: cheaper than a transaction for each read when one thread reads much
  // at a time (the journey engine planning a step). The snapshot does not move, so the thread
  // must drop the guard before it expects to read its own later writes. Stores without such
  // transactions return nullptr.
  class ReadGroup {
   public:
    virtual ~ReadGroup() = default;
  };
  virtual std::unique_ptr<ReadGroup> group_reads() { return nullptr; }

  virtual CatalogSnapshot load_catalog() = 0;
  // A contact with its attributes; nullopt when the application has no contact with this key.
  virtual std::optional<Contact> get_contact(const std::string& app_id, const std::string& key) = 0;
  // A contact's activities, newest first (up to page.limit + 1, like every list).
  virtual std::vector<Activity> list_contact_activities(const std::string& app_id,
                                                        const std::string& key,
                                                        const Page& page) = 0;
  // The journey engine's reads. Activities not applied yet, oldest first (by seq), after
  // `after_seq` (those of a step still being committed are left out so).
  virtual std::vector<Activity> pending_activities(int limit, int64_t after_seq = 0) = 0;
  // Waiting runs of the contact that wait for `activity` (an index lookup).
  virtual std::vector<JourneyRun> runs_awaiting(const std::string& app_id,
                                                const std::string& contact_key,
                                                const std::string& activity) = 0;
  // Waiting runs whose deadline is at or before `now`, earliest first, but those of
  // `skip_journeys` (paused ones).
  virtual std::vector<JourneyRun> due_runs(int64_t now, int limit,
                                           const std::vector<std::string>& skip_journeys = {}) = 0;
  // Waiting runs of the journey that hold activities (JourneyRun::held), by id.
  virtual std::vector<JourneyRun> held_runs(const std::string& journey_id, int limit) = 0;
  // Waiting runs of the journey (at `node`, unless empty) by id, after `after_id`: up to
  // limit + 1.
  virtual std::vector<JourneyRun> waiting_runs(const std::string& journey_id,
                                               const std::string& node, const std::string& after_id,
                                               int limit) = 0;
  // Where the journey's runs are, and its webhooks' deliveries by status.
  virtual JourneyStats journey_stats(const std::string& journey_id) = 0;
  // Every run (waiting or ended) of the contact through the journey, oldest first.
  virtual std::vector<JourneyRun> contact_runs(const std::string& journey_id,
                                               const std::string& contact_key) = 0;
  // The saved versions of a journey's definition, oldest first.
  virtual std::vector<JourneyVersion> list_journey_versions(const std::string& journey_id) = 0;
  // Newest first. Returns up to page.limit + 1 rows so callers can tell whether more follow.
  virtual std::vector<Message> list_messages(const std::string& app_id, const MessageFilter& filter,
                                             const Page& page) = 0;
  virtual std::optional<Message> get_message(const std::string& app_id,
                                             const std::string& msg_id) = 0;
  virtual std::vector<Attempt> list_attempts(const std::string& app_id, const AttemptFilter& filter,
                                             const Page& page) = 0;
  virtual std::optional<Attempt> get_attempt(const std::string& app_id,
                                             const std::string& attempt_id) = 0;
  virtual std::vector<Delivery> list_deliveries_of_message(const std::string& msg_id) = 0;
  // Up to `limit` pending deliveries due at or before `due_before` (unix ms) that come after
  // `after` in (next_attempt_at, msg_id, endpoint_id) order, each with its message. Messages
  // shared by several deliveries of the page are loaded once.
  // Deliveries of `skip_endpoints` are left out.
  virtual std::vector<PendingDelivery> pending_page(
      int64_t due_before, const PendingCursor& after, int limit,
      const std::vector<std::string>& skip_endpoints = {}) = 0;

  // Cluster mode: whether several nodes may share the store (docs/cluster.md). Such a store
  // claims due deliveries instead of reading them ("Sharing the work"), and its catalog_version
  // tells when another node changed the catalog. A claim moves the deliveries' next_attempt_at
  // to the lease's end and tags them with a claim token; no other claim takes them before then,
  // and a RecordAttempt under a claim that was taken over is refused. The defaults: a store that
  // one node owns.
  virtual bool shared() const { return false; }
  // How long a claim holds (ms).
  virtual int64_t claim_lease_ms() const { return 0; }
  // The claim token of the deliveries InsertMessage writes: a delivering node inserts them
  // claimed by itself, until created_at + claim_lease_ms(). 0: inserted unclaimed.
  virtual uint64_t live_claim() const { return 0; }
  // Claims up to `limit` pending deliveries due at or before `now`, oldest due first, leaving out
  // those of `skip_endpoints` and those another claim holds; each comes with its message and
  // next_attempt_at as it was before the claim.
  virtual ClaimedPage claim_due(int64_t now, int limit,
                                const std::vector<std::string>& skip_endpoints);

  // A number that moves on whenever a node sharing the store changes what load_catalog reads;
  // 0 for a store that one node owns (its Catalog sees every change as it commits).
  virtual uint64_t catalog_version() { return 0; }
  // Whether this node runs the cluster's singletons (retention) now: it holds the leader lease.
  // Lock-free. True for a store that one node owns.
  virtual bool leader() const { return true; }
  // Delivering nodes alive now, this one included (1 for a store that one node owns).
  virtual int live_nodes() const { return 1; }
  // Cluster mode: called (on a thread of the store's) when another node left deliveries for
  // this one to claim, or changed the catalog. Hints: the loader and the catalog follower poll
  // anyway. Set both to empty functions before what they call goes away.
  virtual void set_wakeups(std::function<void()> deliveries, std::function<void()> catalog) {
    (void)deliveries;
    (void)catalog;
  }

  // Inbound events of a source, newest first (by id); up to page.limit + 1 rows.
  virtual std::vector<InboundEvent> list_inbound_events(const std::string& source_id,
                                                        const InboundEventFilter& filter,
                                                        const Page& page) = 0;
  // By id or by event key.
  virtual std::optional<InboundEvent> get_inbound_event(const std::string& source_id,
                                                        const std::string& id_or_key) = 0;
  // Ordered by customer id, after page.iterator; up to page.limit + 1 rows. A non-empty
  // `customer_id` selects that customer only.
  virtual std::vector<CustomerSummary> customer_summaries(const std::string& source_id,
                                                          const std::string& customer_id,
                                                          const Page& page) = 0;
  // Replay: failed deliveries of an application (optionally one endpoint, some event types)
  // whose messages were created in [since, until) and still have their content, oldest first,
  // up to `limit`.
  virtual std::vector<PendingDelivery> failed_deliveries(
      const std::string& app_id, const std::string& endpoint_id,
      const std::vector<std::string>& event_types, int64_t since, int64_t until, int limit) = 0;
  // The newest rejections of a source (a sample: the backend keeps a bounded number of the
  // newest per source), newest first; up to page.limit + 1 rows.
  virtual std::vector<InboundRejection> list_rejections(const std::string& source_id,
                                                        const Page& page) = 0;
  // Every rejection of a source counted by reason, most frequent first.
  virtual std::vector<RejectionCount> rejection_counts(const std::string& source_id) = 0;
  virtual EndpointStats endpoint_stats(const std::string& endpoint_id, int64_t since,
                                       int64_t until) = 0;
  // Messages delivered (or to be delivered) to an endpoint, newest first; up to page.limit + 1
  // rows. Walks the deliveries newest first: an endpoint that takes few of many recent messages
  // costs a longer walk.
  virtual std::vector<EndpointMessage> list_endpoint_messages(const std::string& endpoint_id,
                                                              const EndpointMessageFilter& filter,
                                                              const Page& page) = 0;
  // Audit entries, newest first (by id); up to page.limit + 1 rows.
  virtual std::vector<AuditEntry> list_audit(const AuditFilter& filter, const Page& page) = 0;

  // Stops accepting writes, commits what is queued, and joins the writer.
  virtual void close() = 0;
};

}  // namespace hookd
