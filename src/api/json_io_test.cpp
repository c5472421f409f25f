#include "api/json_io.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hookd::api {
namespace {

using nlohmann::json;

// The page of {"a".."e"} after `iterator`, rendered as the ids it holds and its next iterator.
std::pair<std::vector<std::string>, json> page_of(const std::string& iterator, bool descending) {
  const std::vector<std::string> sorted{"a", "b", "c", "d", "e"};
  Page page;
  page.limit = 2;
  page.iterator = iterator;
  const json out = json::parse(render_page(
      sorted, page, [](const std::string& s) { return s; },
      [](const std::string& s) { return json(s).dump(); }, descending));
  return {out["data"].get<std::vector<std::string>>(),
          out["done"].get<bool>() ? json() : out["iterator"]};
}

TEST(RenderPage, WalksForwardFromTheIterator) {
  EXPECT_EQ(page_of("", false), std::make_pair(std::vector<std::string>{"a", "b"}, json("b")));
  EXPECT_EQ(page_of("b", false), std::make_pair(std::vector<std::string>{"c", "d"}, json("d")));
  EXPECT_EQ(page_of("d", false), std::make_pair(std::vector<std::string>{"e"}, json()));
}

TEST(RenderPage, WalksBackwardWhenDescending) {
  EXPECT_EQ(page_of("", true), std::make_pair(std::vector<std::string>{"e", "d"}, json("d")));
  EXPECT_EQ(page_of("d", true), std::make_pair(std::vector<std::string>{"c", "b"}, json("b")));
  EXPECT_EQ(page_of("b", true), std::make_pair(std::vector<std::string>{"a"}, json()));
}

}  // namespace
}  // namespace hookd::api
