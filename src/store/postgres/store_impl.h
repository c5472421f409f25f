#pragma once

// The PostgreSQL store's class, shared by the files of store/postgres/ that define it:
// postgres_store.cpp (opening, queueing, readers, closing), group_commit.cpp (the writer
// thread), write_ops.cpp (one apply per write op), claims.cpp (claiming due deliveries),
// queries.cpp and inbound_queries.cpp (reads).
// Everyone else uses store/postgres/postgres_store.h.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/pg.h"
#include "store/postgres/postgres_store.h"
#include "store/store.h"

namespace hookd::pg {

// The most writes one transaction carries.
constexpr size_t kMaxBatch = 1024;
// The most payload bytes one statement inserting messages carries (hex-encoded, twice that).
constexpr size_t kMaxMessageBytes = 4u << 20;

// A random claim token: never 0 (unclaimed), and positive, to fit a bigint.
uint64_t new_claim_token();

// Cluster mode: the node of `live` (delivering nodes alive) that owns the endpoint, and so
// sends its deliveries: its rate limit, concurrency cap and circuit hold for the cluster.
std::string owner_of(const std::vector<std::string>& live, const std::string& endpoint_id);

struct QueuedWrite {
  WriteOp op;
  WriteCallback done;
};

// Shared across threads: the writer thread, API worker threads (reads) and delivery threads.
class PostgresStore final : public Store {
 public:
  explicit PostgresStore(const PostgresOptions& options);
  ~PostgresStore() override { close(); }

  void write(WriteOp op, WriteCallback done) override;
  bool writable() const override { return accepting_.load(std::memory_order_acquire); }
  std::string write_refusal() const override;
  uint64_t commit_sequence() const override { return commits_.load(std::memory_order_acquire); }
  size_t write_queue_depth() const override;
  void close() override;

  CatalogSnapshot load_catalog() override;
  std::vector<JourneyVersion> list_journey_versions(const std::string& journey_id) override;
  std::optional<Contact> get_contact(const std::string& app_id, const std::string& key) override;
  std::vector<Activity> list_contact_activities(const std::string& app_id, const std::string& key,
                                                const Page& page) override;
  std::vector<Activity> pending_activities(int limit, int64_t after_seq) override;
  std::vector<JourneyRun> runs_awaiting(const std::string& app_id, const std::string& contact_key,
                                        const std::string& activity) override;
  std::vector<JourneyRun> due_runs(int64_t now, int limit,
                                   const std::vector<std::string>& skip_journeys) override;
  std::vector<JourneyRun> held_runs(const std::string& journey_id, int limit) override;
  std::vector<JourneyRun> waiting_runs(const std::string& journey_id, const std::string& node,
                                       const std::string& after_id, int limit) override;
  JourneyStats journey_stats(const std::string& journey_id) override;
  std::vector<JourneyRun> contact_runs(const std::string& journey_id,
                                       const std::string& contact_key) override;
  std::vector<Message> list_messages(const std::string& app_id, const MessageFilter& filter,
                                     const Page& page) override;
  std::optional<Message> get_message(const std::string& app_id, const std::string& msg_id) override;
  std::vector<Attempt> list_attempts(const std::string& app_id, const AttemptFilter& filter,
                                     const Page& page) override;
  std::optional<Attempt> get_attempt(const std::string& app_id,
                                     const std::string& attempt_id) override;
  std::vector<Delivery> list_deliveries_of_message(const std::string& msg_id) override;
  std::vector<PendingDelivery> pending_page(
      int64_t due_before, const PendingCursor& after, int limit,
      const std::vector<std::string>& skip_endpoints = {}) override;
  bool shared() const override { return true; }
  int64_t claim_lease_ms() const override { return options_.claim_lease_ms; }
  uint64_t live_claim() const override { return options_.claim_new_deliveries ? live_claim_ : 0; }
  ClaimedPage claim_due(int64_t now, int limit,
                        const std::vector<std::string>& skip_endpoints) override;
  uint64_t catalog_version() override;
  bool leader() const override;
  void set_wakeups(std::function<void()> deliveries, std::function<void()> catalog) override;
  int live_nodes() const override { return live_nodes_.load(std::memory_order_acquire); }
  std::vector<InboundEvent> list_inbound_events(const std::string& source_id,
                                                const InboundEventFilter& filter,
                                                const Page& page) override;
  std::optional<InboundEvent> get_inbound_event(const std::string& source_id,
                                                const std::string& id_or_key) override;
  std::vector<CustomerSummary> customer_summaries(const std::string& source_id,
                                                  const std::string& customer_id,
                                                  const Page& page) override;
  std::vector<PendingDelivery> failed_deliveries(const std::string& app_id,
                                                 const std::string& endpoint_id,
                                                 const std::vector<std::string>& event_types,
                                                 int64_t since, int64_t until, int limit) override;
  std::vector<InboundRejection> list_rejections(const std::string& source_id,
                                                const Page& page) override;
  std::vector<RejectionCount> rejection_counts(const std::string& source_id) override;
  EndpointStats endpoint_stats(const std::string& endpoint_id, int64_t since,
                               int64_t until) override;
  std::vector<EndpointMessage> list_endpoint_messages(const std::string& endpoint_id,
                                                      const EndpointMessageFilter& filter,
                                                      const Page& page) override;
  std::vector<AuditEntry> list_audit(const AuditFilter& filter, const Page& page) override;

 private:
  // membership.cpp: a delivering node's heartbeat and leader lease.
  void start_membership();
  void beat_once();
  void set_live_view(std::shared_ptr<std::vector<std::string>> view);
  // The delivering nodes alive (sorted, this one included) as of the last beat.
  std::shared_ptr<const std::vector<std::string>> live_view() const;
  // Whether this node owns the endpoint among `live`.
  bool owns(const std::vector<std::string>& live, const std::string& endpoint_id) const;
  // notifications.cpp: LISTEN for the other nodes' wake-ups, NOTIFY them.
  void start_listening();
  void listen_loop();
  bool closing() const;
  void wake(bool deliveries, bool catalog);
  // In the open transaction, before its commit (writer thread).
  void notify_before_commit();
  // At start: the deliveries this node (by node_id) held claimed when it last stopped are
  // unclaimed and due now.
  void take_back_claims();
  // Runs `sql` on a reader connection; a lost connection is StoreUnavailable.
  Result read(const Sql& sql);

  // A reader connection borrowed from the pool for one read; one whose connection broke is
  // connected again before it goes back.
  class ReaderLease final {
   public:
    explicit ReaderLease(PostgresStore& store);
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    Connection& operator*() { return *conn_; }

   private:
    PostgresStore& store_;
    std::unique_ptr<Connection> conn_;
  };

  // group_commit.cpp
  class Runs;
  void writer_loop();
  bool take_batch(std::vector<QueuedWrite>& batch);
  // Applies and commits the batch; false when the connection was lost (results say so).
  bool commit_batch(std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results);
  void commit_grouped(const std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results);
  bool commit_one_by_one(std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results);
  void lose_connection(const std::string& why);
  bool reconnect();  // false when closing

  // write_ops.cpp, on the writer thread inside the open transaction
  void apply(const WriteOp& op, WriteResult& result);
  void apply(const write::PutApplication& w, WriteResult& result);
  void apply(const write::DeleteApplication& w, WriteResult& result);
  void apply(const write::PutEventType& w, WriteResult& result);
  void apply(const write::DeleteEventType& w, WriteResult& result);
  void apply(const write::PutEndpoint& w, WriteResult& result);
  void apply(const write::DeleteEndpoint& w, WriteResult& result);
  void apply(const write::InsertMessage& w, WriteResult& result);
  void apply(const write::RecordAttempt& w, WriteResult& result);  // attempt_writes.cpp
  void apply(const write::PutSource& w, WriteResult& result);
  void apply(const write::DeleteSource& w, WriteResult& result);
  void apply(const write::PutJourney& w, WriteResult& result);
  void apply(const write::DeleteJourney& w, WriteResult& result);
  void apply(const write::PutContacts& w, WriteResult& result);
  void apply(const write::InsertActivities& w, WriteResult& result);
  void apply(const write::JourneyStep& w, WriteResult& result);
  void save_run(const JourneyRun& run);
  void merge_contacts(const std::string& app_id, const std::vector<ContactUpdate>& contacts,
                      int64_t at);
  void apply(const write::UpsertInboundEvent& w, WriteResult& result);
  void apply(const write::RecordRejection& w, WriteResult& result);
  void apply(const write::PutToken& w, WriteResult& result);
  void apply(const write::RecordAudit& w, WriteResult& result);
  void apply(const write::ExpungeContent& w, WriteResult& result);
  void apply(const write::Prune& w, WriteResult& result);
  void apply(const write::ReleaseClaims& w, WriteResult& result);  // claims.cpp
  void trim_rejections();
  // Last in each transaction: trims the rejection samples and, when the catalog changed,
  // moves its version on.
  void before_commit();
  // Messages queued one after another share two statements: one for the messages, one for all
  // their deliveries. `ops` point into the batch; results[i] is ops[i]'s, complete once the
  // statements ran (they are sent with the commit: Connection::send).
  // Attempts recorded one after another share one statement (attempt_writes.cpp). Each
  // delivery appears at most once in `ops`.
  void apply_attempts(const std::vector<const write::RecordAttempt*>& ops,
                      const std::vector<WriteResult*>& results);
  void apply_messages(
      const std::vector<const write::InsertMessage*>& ops,
      const std::vector<WriteResult*>&
          results);  // before each commit: the sources recorded in it keep their sample

  const PostgresOptions options_;
  // The claim token of the deliveries this node inserts claimed (random, never 0).
  const uint64_t live_claim_;
  std::unique_ptr<Connection> writer_db_;     // writer thread only
  std::vector<std::string> touched_sources_;  // writer thread only
  bool catalog_changed_ = false;              // writer thread only: in the open transaction
  bool left_for_others_ = false;  // writer thread only: unclaimed deliveries in the transaction

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedWrite> queue_;
  bool closing_ = false;
  bool disconnected_ = false;
  std::string refusal_;
  std::atomic<bool> accepting_{true};
  std::atomic<uint64_t> commits_{0};
  std::thread writer_;

  // Membership (membership.cpp): the heartbeat thread and its connection, the end of this
  // node's leader lease (unix ms; 0: not the leader) and the delivering nodes alive.
  static constexpr int kLeaderLeaseBeats = 5;
  static constexpr int kLiveBeats = 3;
  std::condition_variable cv_beat_;  // with mu_: wakes the heartbeat thread to close
  std::unique_ptr<Connection> beat_db_;
  std::atomic<int64_t> leader_until_{0};
  std::atomic<int> live_nodes_{1};
  mutable std::mutex view_mu_;
  std::shared_ptr<const std::vector<std::string>> live_view_;  // guarded by view_mu_
  std::thread beater_;

  // Notifications (notifications.cpp).
  std::unique_ptr<Connection> listen_db_;  // listener thread only
  std::thread listener_;
  std::mutex wakeups_mu_;
  std::function<void()> wake_deliveries_, wake_catalog_;  // guarded by wakeups_mu_

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace hookd::pg
