#pragma once

// The SQLite store's class, shared by the files of store/sqlite/ that define it:
// sqlite_store.cpp (opening, queueing, closing), group_commit.cpp (the writer thread),
// write_ops.cpp (one apply per write op) and queries.cpp (reads). Everyone else uses
// store/sqlite/sqlite_store.h.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/inbound_rows.h"
#include "store/sqlite/checkpointer.h"
#include "store/sqlite/message_index.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/write_recovery.h"

namespace hookd::sqlite {

// Prepared statements of the writer connection (write_ops.cpp).
struct WriterStatements final {
  explicit WriterStatements(sqlite3* db);

  TransactionStatements transaction;
  Statement put_app, put_event_type, put_endpoint;
  Statement insert_message, insert_delivery, update_delivery, insert_attempt;
  Statement upsert_inbound, inbound_by_key;
};

// Writes that nobody waits on: an attempt's record (its delivery is held in memory until the
// record commits) and retention pruning. They may wait up to kGatherWindow for company; every
// other write (a message, an API change) ends the wait at once.
inline bool is_background(const WriteOp& op) {
  return std::holds_alternative<write::RecordAttempt>(op) ||
         std::holds_alternative<write::Prune>(op);
}
// A commit writes every page it touched, and attempts land on a page per endpoint (the
// attempts_endpoint index) and per message: the more attempts share a commit, the fewer pages
// each one costs (docs/storage-sqlite.md, "The writer: group commit").
constexpr size_t kGatherWrites = 2048;
constexpr auto kGatherWindow = std::chrono::milliseconds(16);
// The most writes one transaction carries.
constexpr size_t kMaxBatch = 4096;

struct QueuedWrite {
  WriteOp op;
  WriteCallback done;
};

// Shared across threads: the writer thread, API worker threads (reads) and delivery threads.
class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const SqliteOptions& options);
  ~SqliteStore() override { close(); }

  void write(WriteOp op, WriteCallback done) override;
  bool writable() const override { return accepting_.load(std::memory_order_acquire); }
  std::string write_refusal() const override;
  uint64_t commit_sequence() const override { return commits_.load(std::memory_order_acquire); }
  size_t write_queue_depth() const override;
  void close() override;

  std::unique_ptr<ReadGroup> group_reads() override;
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
      const std::vector<std::string>& skip_endpoints) override;
  std::vector<InboundEvent> list_inbound_events(const std::string& source_id,
                                                const InboundEventFilter& filter,
                                                const Page& page) override;
  std::optional<InboundEvent> get_inbound_event(const std::string& source_id,
                                                const std::string& id_or_key) override;
  std::vector<CustomerSummary> customer_summaries(const std::string& source_id,
                                                  const std::string& customer_id,
                                                  const Page& page) override;
  std::vector<InboundRejection> list_rejections(const std::string& source_id,
                                                const Page& page) override;
  std::vector<RejectionCount> rejection_counts(const std::string& source_id) override;
  std::vector<AuditEntry> list_audit(const AuditFilter& filter, const Page& page) override;
  EndpointStats endpoint_stats(const std::string& endpoint_id, int64_t since,
                               int64_t until) override;
  std::vector<EndpointMessage> list_endpoint_messages(const std::string& endpoint_id,
                                                      const EndpointMessageFilter& filter,
                                                      const Page& page) override;
  std::vector<PendingDelivery> failed_deliveries(const std::string& app_id,
                                                 const std::string& endpoint_id,
                                                 const std::vector<std::string>& event_types,
                                                 int64_t since, int64_t until, int limit) override;

 private:
  // A reader connection checked out for the lifetime of this object; blocks while none is idle.
  class ReaderLease final {
   public:
    explicit ReaderLease(SqliteStore& store);
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    sqlite3* operator*() const { return conn_->handle(); }
    Connection& connection() const { return *conn_; }

   private:
    SqliteStore& store_;
    std::unique_ptr<Connection> owned_;  // empty when the thread's read group lends one
    Connection* conn_ = nullptr;
  };
  class SqliteReadGroup;

  // The writer thread (group_commit.cpp).
  void writer_loop();
  // Waits for writes and moves the next transaction's share of them into `batch`. Returns
  // false once the store closes with nothing queued.
  bool take_batch(std::vector<QueuedWrite>& batch);
  // Returns false only when the store must stop accepting writes.
  bool commit_batch(std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results);
  void commit_grouped(const std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results);
  bool commit_failed(const Error& e, std::vector<QueuedWrite>& batch,
                     std::vector<WriteResult>& results);
  bool commit_one_by_one(std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results);
  // After a failed commit: refuses every queued and later write.
  void refuse_writes();
  // While the store refuses writes: probes the disk when due (docs/failures.md). Returns false
  // when the store closes first.
  bool await_recovery();

  // One write in the open transaction (write_ops.cpp).
  void apply(const WriteOp& op, WriteResult& result);
  void apply(const write::PutApplication& w, WriteResult& result);
  void apply(const write::DeleteApplication& w, WriteResult& result);
  void apply(const write::PutEventType& w, WriteResult& result);
  void apply(const write::DeleteEventType& w, WriteResult& result);
  void apply(const write::PutEndpoint& w, WriteResult& result);
  void apply(const write::DeleteEndpoint& w, WriteResult& result);
  void apply(const write::InsertMessage& w, WriteResult& result);
  void apply(const write::RecordAttempt& w, WriteResult& result);
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
  void apply(const write::ReleaseClaims&, WriteResult&) {}  // nothing is claimed here
  // Prune's share of messages and their deliveries and attempts; returns how many messages.
  int64_t prune_messages(const write::Prune& w);
  // Prune's share of the audit log (audit_rows.cpp); returns how many entries.
  int64_t prune_audit(const write::Prune& w);
  // UpsertInboundEvent with keep_first: whether the key is stored already (named in `result`).
  bool find_stored_inbound(const InboundEvent& e, WriteResult& result);

  // Constant after construction.
  const SqliteOptions options_;
  // Used by the writer thread only (and by the constructor before it starts).
  std::unique_ptr<Connection> writer_db_;
  std::unique_ptr<WriterStatements> statements_;
  std::unique_ptr<inbound_rows::RejectionLog> rejection_log_;
  std::unique_ptr<MessageIndex> message_index_;
  WriteRecovery recovery_;  // the last failed commit, and when to try again
  int failure_code_ = 0;
  std::string failure_detail_;
  std::thread writer_;

  // What the writer thread is doing, so that writers wake it only when it needs waking.
  enum class WriterState { kBusy, kIdle, kGathering };

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<QueuedWrite> queue_;
  size_t foreground_queued_ = 0;  // queued writes someone waits on (not attempt records)
  WriterState writer_state_ = WriterState::kBusy;
  bool closing_ = false;
  // Set once a commit fails; cleared only when a probe commit lands, which WriteRecovery allows
  // after a full disk alone: after any other I/O error it stays set (sticky).
  bool failed_ = false;
  std::string refusal_;                // why writes are refused while failed_
  std::atomic<bool> accepting_{true};  // !failed_ && !closing_, readable without mu_
  std::atomic<uint64_t> commits_{0};

  Checkpointer checkpointer_;

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  // Guarded by readers_mu_.
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace hookd::sqlite
