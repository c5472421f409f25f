#include "filter/filter.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

// A Netcore CE custom activity, trimmed: the fields the examples filter on.
constexpr std::string_view kPayload = R"({
  "channel": "email", "event": "opened", "send_type": "campaign", "score": 4,
  "att_params": {"CITY": "Thane", "STATE": "Maharashtra", "AGE": 31},
  "tags": ["vip", "newsletter"], "consent": null, "verified": true
})";

bool match(std::string_view filter) {
  auto f = PayloadFilter::compile(filter);
  EXPECT_TRUE(f) << filter << ": " << f.problem().message();
  return f && f.value()->matches(kPayload);
}

std::string error_of(std::string_view filter) {
  auto f = PayloadFilter::compile(filter);
  return f ? "compiled" : f.problem().message();
}

TEST(PayloadFilter, EqualityAndBareValues) {
  EXPECT_TRUE(match(R"({"channel": "email"})"));
  EXPECT_FALSE(match(R"({"channel": "sms"})"));
  EXPECT_TRUE(match(R"({"att_params.CITY": {"$eq": "Thane"}})"));
  EXPECT_TRUE(match(R"({"att_params.CITY": {"$neq": "Paris"}})"));
  EXPECT_TRUE(match(R"({"consent": null, "verified": true})"));
  EXPECT_TRUE(match(R"({"score": 4.0})"));   // numbers compare by value
  EXPECT_FALSE(match(R"({"score": "4"})"));  // a string is not a number
}

TEST(PayloadFilter, Comparisons) {
  EXPECT_TRUE(match(R"({"score": {"$gt": 3, "$lte": 4}})"));
  EXPECT_FALSE(match(R"({"score": {"$gt": 4}})"));
  EXPECT_TRUE(match(R"({"att_params.AGE": {"$gte": 18, "$lt": 65}})"));
  EXPECT_TRUE(match(R"({"att_params.CITY": {"$gt": "A"}})"));
  EXPECT_FALSE(match(R"({"att_params.CITY": {"$gt": 1}})"));  // incomparable types never match
}

TEST(PayloadFilter, MembershipExistenceAndRegex) {
  EXPECT_TRUE(match(R"({"channel": {"$in": ["email", "sms"]}})"));
  EXPECT_TRUE(match(R"({"channel": {"$nin": ["apn", "bpn"]}})"));
  EXPECT_TRUE(
      match(R"({"att_params.STATE": {"$exist": true}, "att_params.ZIP": {"$exist": false}})"));
  EXPECT_TRUE(match(R"({"att_params.STATE": {"$regex": "^Maha"}})"));
  EXPECT_FALSE(match(R"({"att_params.STATE": {"$regex": "^maha"}})"));
  EXPECT_TRUE(match(R"({"missing.field": {"$neq": "x"}})"));  // absent is not equal
  EXPECT_FALSE(match(R"({"missing.field": "x"})"));
}

TEST(PayloadFilter, ArraysMatchAnyElement) {
  EXPECT_TRUE(match(R"({"tags": "vip"})"));
  EXPECT_TRUE(match(R"({"tags": {"$in": ["gold", "newsletter"]}})"));
  EXPECT_FALSE(match(R"({"tags": {"$neq": "vip"}})"));
  EXPECT_TRUE(match(R"({"tags": {"$nin": ["gold"]}})"));
}

TEST(PayloadFilter, Combinators) {
  EXPECT_TRUE(match(R"({"$or": [{"channel": "sms"}, {"att_params.CITY": "Thane"}]})"));
  EXPECT_FALSE(match(R"({"$and": [{"channel": "email"}, {"event": "clicked"}]})"));
  EXPECT_TRUE(match(R"({"$not": {"send_type": "unitary"}})"));
  // 001's filters: specific communication types, batch or campaign sends only.
  EXPECT_TRUE(
      match(R"({"channel": {"$in": ["email"]}, "send_type": {"$in": ["batch", "campaign"]}})"));
}

TEST(PayloadFilter, MalformedFiltersNameTheProblem) {
  EXPECT_EQ(error_of(R"({"att_params.CITY": {"$like": "T%"}})"),
            "filter: att_params.CITY: unknown operator $like");
  EXPECT_EQ(error_of(R"({"channel": {"$in": "email"}})"),
            "filter: channel: $in needs an array of 1 to 1000 values");
  EXPECT_EQ(error_of(R"({"$or": {}})"), "filter: $or needs a non-empty array of filters");
  EXPECT_EQ(error_of(R"({"$xor": []})"), "filter: unknown operator $xor (use it on a field)");
  EXPECT_EQ(error_of(R"({"a..b": 1})"), "filter: \"a..b\": not a field path like data.city");
  EXPECT_EQ(error_of(R"({"x": {"$exist": "yes"}})"), "filter: x: $exist needs true or false");
  EXPECT_EQ(error_of(R"({"x": {"$gt": [1]}})"), "filter: x: $gt needs a number or a string");
  EXPECT_TRUE(error_of(R"({"x": {"$regex": "("}})").starts_with("filter: x: $regex: invalid"));
  EXPECT_EQ(error_of("[1]"), "filter: must be a JSON object of conditions");
  EXPECT_EQ(error_of("{"), "filter: must be a JSON object of conditions");
  std::string deep = R"({"a": 1})";
  for (int i = 0; i < 20; ++i) deep = R"({"$not": )" + deep + "}";
  EXPECT_EQ(error_of(deep), "filter: nested deeper than 16 levels");
}

TEST(PayloadFilter, InvalidPayloadsNeverMatch) {
  auto f = PayloadFilter::compile(R"({"$not": {"a": 1}})");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f.value()->matches("{not json"));
  EXPECT_TRUE(f.value()->matches(R"({"a": 2})"));
}

}  // namespace
}  // namespace hookd

namespace hookd {
namespace {

bool regex_matches(std::string_view pattern, const std::string& value) {
  auto f = PayloadFilter::compile(R"({"v": {"$regex": ")" + std::string(pattern) + R"("}})");
  EXPECT_TRUE(f) << pattern << ": " << f.problem().message();
  return f && f.value()->matches(R"({"v": ")" + value + R"("})");
}

// Patterns that make a backtracking engine recurse once per character (a stack overflow on
// long values) or try exponentially many paths run in linear time here.
TEST(PayloadFilter, RegexOnLongValuesNeitherRecursesNorBacktracks) {
  const std::string long_value = std::string(30'000, 'a') + " urgent c";
  EXPECT_TRUE(regex_matches(".*urgent", long_value));
  EXPECT_TRUE(regex_matches("^[a-z ]*$", long_value));
  EXPECT_TRUE(regex_matches("(a|b)*c", long_value));
  EXPECT_FALSE(regex_matches("(a+)+$", std::string(40, 'a') + "!"));
  EXPECT_TRUE(regex_matches("(a+)+$", std::string(100'000, 'a')));
}

TEST(PayloadFilter, PayloadsWithIntegersBeyond64BitsAreFiltered) {
  auto compiled = PayloadFilter::compile(R"({"id": {"$gt": 1e20}, "kind": "order"})");
  ASSERT_TRUE(compiled) << compiled.problem().message();
  const auto& f = compiled.value();
  EXPECT_TRUE(f->matches(R"({"id": 123456789012345678901234567890, "kind": "order"})"));
  EXPECT_FALSE(f->matches(R"({"id": 123456789012345678901234567890, "kind": "refund"})"));
  EXPECT_FALSE(f->matches(R"({"id": 1234567890123456789012, "kind": "order"},)"));  // not JSON
}

TEST(PayloadFilter, RegexLooksAtTheFirst64KiBOfAValue) {
  const std::string value = std::string(64 * 1024, 'a') + "needle";
  EXPECT_FALSE(regex_matches("needle", value));
  EXPECT_TRUE(regex_matches("needle", "hay needle hay"));
}

TEST(PayloadFilter, RegexSyntaxOutsideRe2IsRefusedByName) {
  for (const char* pattern : {"(a)\\\\1", "(?=a)", "((a{50}){50}){50}"}) {
    const std::string filter = R"js({"x": {"$regex": ")js" + std::string(pattern) + R"js("}})js";
    EXPECT_TRUE(error_of(filter).starts_with("filter: x: $regex: ")) << pattern << error_of(filter);
  }
}

}  // namespace
}  // namespace hookd
