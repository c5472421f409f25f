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

}  // namespace
}  // namespace hookd
