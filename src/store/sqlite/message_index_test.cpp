#include "store/sqlite/message_index.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/scratch_dir.h"
#include "store/sqlite/schema.h"

namespace hookd::sqlite {
namespace {

// Drives a MessageIndex the way the writer does: transactions that insert messages, each
// followed by committed() (or rolled_back()), and a merge started after each commit.
class MessageIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    configure_writer(db_);
    create_schema(db_);
  }

  void open_index(int batch, int chunk) {
    index_ = std::make_unique<MessageIndex>(db_, batch, chunk);
  }

  // One commit of messages of `apps` (one each), carrying a chunk of the merge under way.
  void commit(const std::vector<std::string>& apps) {
    TransactionStatements statements(db_.handle());
    {
      Transaction transaction(statements);
      for (const auto& app : apps) insert(app);
      index_->carry_chunk();
      transaction.commit();
    }
    index_->committed();
    index_->start_merge_when_due();
  }

  void insert(const std::string& app) {
    const std::string id = "msg_" + std::to_string(1000 + next_++);
    Statement st(db_.handle(),
                 "INSERT INTO messages (id, app_id, event_type, payload, created_at) VALUES (?1, "
                 "?2, 't', '{}', 0)");
    st.bind(1, id).bind(2, app).run();
    index_->added(sqlite3_last_insert_rowid(db_.handle()), app, id);
  }

  int64_t number(const char* sql) {
    Statement st(db_.handle(), sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.column_int(0);
  }
  int64_t indexed() { return number("SELECT count(*) FROM message_apps"); }
  int64_t mark() { return number("SELECT value FROM store_meta WHERE key = 'message_apps_rowid'"); }
  // Rows of message_apps in key order, as "app/id".
  std::vector<std::string> index_rows() {
    std::vector<std::string> out;
    Statement st(db_.handle(), "SELECT app_id, id FROM message_apps ORDER BY app_id, id");
    while (st.step()) out.push_back(st.column_text(0) + "/" + st.column_text(1));
    return out;
  }

  ScratchDir dir_{"hookd-message-index-test"};
  Connection db_{(dir_.path() / "hookd.db").string()};
  std::unique_ptr<MessageIndex> index_;
  int next_ = 0;
};

TEST_F(MessageIndexTest, ABatchIsMergedAChunkACommitAndTheMarkMovesWithTheLast) {
  open_index(4, 1);
  commit({"app_b", "app_a"});
  EXPECT_EQ(indexed(), 0) << "no merge before a batch is full";
  commit({"app_b", "app_a"});  // the batch is full: the merge's first chunk commits at once
  EXPECT_EQ(indexed(), 1);
  EXPECT_EQ(mark(), 0);
  commit({});  // a commit that adds nothing carries one chunk
  commit({});
  EXPECT_EQ(indexed(), 3);
  EXPECT_EQ(mark(), 0);
  commit({});
  EXPECT_EQ(mark(), 4) << "the last chunk moves the mark";
  EXPECT_EQ(index_rows(), (std::vector<std::string>{"app_a/msg_1001", "app_a/msg_1003",
                                                    "app_b/msg_1000", "app_b/msg_1002"}));
}

TEST_F(MessageIndexTest, AChunkIsAtLeastTwiceWhatItsCommitAdds) {
  open_index(2, 1);
  commit({"app_a", "app_a"});  // a merge of 2; its first chunk: 1 row
  EXPECT_EQ(indexed(), 1);
  commit({"app_b", "app_b", "app_b"});  // 3 new messages: a chunk of up to 6, the 1 left
  EXPECT_EQ(mark(), 2) << "the first merge ended";
  // The 3 make the next batch, whose first chunk commits right after.
  EXPECT_EQ(indexed(), 3);
}

TEST_F(MessageIndexTest, ARolledBackTransactionCountsNothingTowardsTheBatch) {
  open_index(2, 16);
  {
    TransactionStatements statements(db_.handle());
    Transaction transaction(statements);
    insert("app_a");
    insert("app_a");
    index_->carry_chunk();
  }  // rolled back
  index_->rolled_back();
  index_->start_merge_when_due();
  EXPECT_EQ(indexed(), 0);
  commit({"app_a"});
  EXPECT_EQ(indexed(), 0) << "one message of a batch of 2";
  commit({"app_a"});
  EXPECT_EQ(indexed(), 2);
  EXPECT_EQ(mark(), number("SELECT max(rowid) FROM messages"));
}

TEST_F(MessageIndexTest, MessagesAboveTheMarkAtOpenAreReadFromTheTable) {
  open_index(3, 16);
  commit({"app_a", "app_b"});
  index_.reset();  // a restart: the two are above the mark, and not in hand
  open_index(3, 16);
  commit({"app_c"});  // they count towards the batch, and the merge reads them
  EXPECT_EQ(index_rows(),
            (std::vector<std::string>{"app_a/msg_1000", "app_b/msg_1001", "app_c/msg_1002"}));
  EXPECT_EQ(mark(), 3);
}

TEST_F(MessageIndexTest, DeletingMessagesAMergeHoldsStopsItAndTheNextOneStartsOver) {
  open_index(2, 1);
  commit({"app_a", "app_b"});  // merge of 2; 1 row in
  ASSERT_EQ(indexed(), 1);
  {
    TransactionStatements statements(db_.handle());
    Transaction transaction(statements);
    Statement(db_.handle(), "DELETE FROM message_apps WHERE app_id = 'app_a'").run();
    Statement(db_.handle(), "DELETE FROM messages WHERE app_id = 'app_a'").run();
    index_->deleted(INT64_MAX);
    index_->carry_chunk();  // the merge is stopped: no chunk
    transaction.commit();
  }
  index_->committed();
  EXPECT_EQ(index_rows(), std::vector<std::string>{}) << "app_a's row went with its message";
  // The merge under way was dropped; the next batch is read from the table, app_b's row too.
  commit({"app_c", "app_d"});
  EXPECT_EQ(index_rows(), (std::vector<std::string>{"app_b/msg_1001"}));
  commit({});
  commit({});
  EXPECT_EQ(index_rows(),
            (std::vector<std::string>{"app_b/msg_1001", "app_c/msg_1002", "app_d/msg_1003"}));
  EXPECT_EQ(mark(), number("SELECT max(rowid) FROM messages"));
}

TEST_F(MessageIndexTest, DeletingOlderMessagesLeavesAMergeRunning) {
  open_index(2, 1);
  commit({"app_a", "app_a"});  // rowids 1-2, merged by this commit and the next
  commit({"app_a", "app_a"});  // rowids 3-4; the first merge ends, a second starts
  ASSERT_EQ(mark(), 2);
  {
    TransactionStatements statements(db_.handle());
    Transaction transaction(statements);
    Statement(db_.handle(), "DELETE FROM messages WHERE rowid = 1").run();
    Statement(db_.handle(), "DELETE FROM message_apps WHERE id = 'msg_1000'").run();
    index_->deleted(1);  // below every row the merge holds
    index_->carry_chunk();
    transaction.commit();
  }
  index_->committed();
  EXPECT_EQ(mark(), 4) << "the merge went on";
  EXPECT_EQ(indexed(), 3);
}

}  // namespace
}  // namespace hookd::sqlite
