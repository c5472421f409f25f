#include "delivery/transfer.h"

#include <gtest/gtest.h>

#include "common/url.h"

namespace hookd {
namespace {

TEST(FormEncode, EncodesAllButUnreservedBytes) {
  EXPECT_EQ(form_encode(R"({"a b":"é&+"})"), "%7B%22a%20b%22%3A%22%C3%A9%26%2B%22%7D");
  EXPECT_EQ(form_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(form_encode(""), "");
}

TEST(FormEncode, DecodesBackToTheSameBytes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(percent_decode(form_encode(all)), all);
}

MessagePtr message_with_id(const std::string& id) {
  auto m = std::make_shared<Message>();
  m->id = id;
  return m;
}

TEST(BatchId, DependsOnTheMessagesAndTheirOrder) {
  DispatcherOptions options;
  Transfer a(options);
  a.job.message = message_with_id("msg_1");
  a.more.push_back({message_with_id("msg_2"), "ep"});
  const std::string id = batch_id(a);
  EXPECT_EQ(id.size(), 6u + 32u);
  EXPECT_EQ(id.rfind("batch_", 0), 0u);
  EXPECT_EQ(batch_id(a), id) << "the same batch sent again keeps its id";

  Transfer b(options);
  b.job.message = message_with_id("msg_2");
  b.more.push_back({message_with_id("msg_1"), "ep"});
  EXPECT_NE(batch_id(b), id);
  b.more.clear();
  b.job.message = message_with_id("msg_1");
  EXPECT_NE(batch_id(b), id) << "one message less is another batch";
  // Ids are length-prefixed: no two lists of ids hash alike by concatenation.
  b.job.message = message_with_id("msg_1msg_2");
  EXPECT_NE(batch_id(b), id);
}

}  // namespace
}  // namespace hookd
