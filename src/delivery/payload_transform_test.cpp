#include "delivery/payload_transform.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(ReshapePayload, NoOptionsKeepsTheBytes) {
  EXPECT_EQ(reshape_payload(R"({ "a" :  1 })", {}), R"({ "a" :  1 })");
}

TEST(ReshapePayload, SelectionKeepsPathsWithTheirParents) {
  PayloadShape shape;
  shape.select = {"contact.email", "event", "att_params.CITY", "missing.path"};
  EXPECT_EQ(reshape_payload(R"({"contact":{"email":"a@b.c","phone":"1"},"event":"open",
                               "att_params":{"CITY":"Thane","STATE":"MH"},"other":true})",
                            shape),
            R"({"att_params":{"CITY":"Thane"},"contact":{"email":"a@b.c"},"event":"open"})");
}

TEST(ReshapePayload, ExtraFieldsAreMergedAndWin) {
  PayloadShape shape;
  shape.extra_json = R"({"source":"hookd","event":"renamed"})";
  EXPECT_EQ(reshape_payload(R"({"event":"open","n":1})", shape),
            R"({"event":"renamed","n":1,"source":"hookd"})");
  shape.select = {"n"};
  EXPECT_EQ(reshape_payload(R"({"event":"open","n":1})", shape),
            R"({"event":"renamed","n":1,"source":"hookd"})");
}

TEST(ReshapePayload, NonObjectsAreSentUnchanged) {
  PayloadShape shape;
  shape.extra_json = R"({"x":1})";
  EXPECT_EQ(reshape_payload("[1,2]", shape), "[1,2]");
}

TEST(SelectionPath, Rules) {
  EXPECT_TRUE(is_selection_path("a"));
  EXPECT_TRUE(is_selection_path("contact.email"));
  EXPECT_FALSE(is_selection_path(""));
  EXPECT_FALSE(is_selection_path("a..b"));
  EXPECT_FALSE(is_selection_path(".a"));
  EXPECT_FALSE(is_selection_path("a."));
  EXPECT_FALSE(is_selection_path("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"));
}

TEST(EnvelopeBody, WrapsItemsVerbatimUnderAnEscapedKey) {
  EXPECT_EQ(envelope_body("pod2", {R"({"a": 1})", "[2]"}), R"({"pod2":[{"a": 1},[2]]})");
  EXPECT_EQ(envelope_body("q\"\\\n", {"{}"}), R"({"q\"\\\n":[{}]})");
  EXPECT_EQ(envelope_body("k", {}), R"({"k":[]})");
}

}  // namespace
}  // namespace hookd
