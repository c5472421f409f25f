// Checks the served OpenAPI document (src/api/openapi.json) against the router: every route is
// documented with its scope, every documented operation is routed, and every $ref resolves.
// tests/test_openapi.py validates real answers against the document's schemas.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "api/api.h"
#include "api/openapi_data.h"

namespace hookd::api {
namespace {

using nlohmann::json;

// The operations that take no token and so are not in route_table(): Api::handle_open_route.
const std::set<std::string> kOpenOperations = {
    "get /api/v1/health",        "head /api/v1/health",      "get /api/v1/health/ping",
    "head /api/v1/health/ping",  "get /api/v1/openapi.json", "head /api/v1/openapi.json",
    "post /webhook/{webhook_id}"};

const json& document() {
  static const json doc = json::parse(embedded_openapi_files()[0].bytes);
  return doc;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Every operation of the document, "method /path".
std::set<std::string> documented_operations() {
  static const std::set<std::string> kMethods = {"get", "head", "post", "put", "patch", "delete"};
  std::set<std::string> out;
  for (const auto& [path, item] : document().at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      if (kMethods.count(method)) out.insert(method + " " + path);
    }
  }
  return out;
}

// Resolves "#/components/schemas/X" in the document; nullptr when it names nothing.
const json* resolve(const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  const json::json_pointer pointer(ref.substr(1));
  return document().contains(pointer) ? &document().at(pointer) : nullptr;
}

void collect_refs(const json& node, std::vector<std::string>& refs) {
  if (node.is_object()) {
    auto ref = node.find("$ref");
    if (ref != node.end() && ref->is_string()) refs.push_back(ref->get<std::string>());
    for (const auto& [key, child] : node.items()) collect_refs(child, refs);
  } else if (node.is_array()) {
    for (const auto& child : node) collect_refs(child, refs);
  }
}

TEST(OpenApi, IsAnOpenApi31Document) {
  const json& doc = document();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_FALSE(doc.at("info").at("title").get<std::string>().empty());
  EXPECT_TRUE(doc.at("components").at("securitySchemes").contains("bearer"));
}

TEST(OpenApi, EveryRouteIsDocumentedWithItsScope) {
  std::set<std::string> operation_ids;
  for (const Route& route : route_table()) {
    const std::string name = std::string(route.method) + " " + route.path_template();
    SCOPED_TRACE(name);
    const json& paths = document().at("paths");
    const auto item = paths.find(route.path_template());
    ASSERT_TRUE(item != paths.end() && item->contains(lower(route.method)))
        << name << " is routed but not documented";
    const json& op = item->at(lower(route.method));
    EXPECT_EQ(op.value("x-hookd-scope", ""), scope_name(route.scope));
    const std::string id = op.value("operationId", "");
    EXPECT_FALSE(id.empty());
    EXPECT_TRUE(operation_ids.insert(id).second) << "operationId " << id << " is used twice";
    ASSERT_TRUE(op.contains("responses"));
    for (const char* status : {"401", "403"})
      EXPECT_TRUE(op.at("responses").contains(status)) << status;
  }
}

TEST(OpenApi, EveryDocumentedOperationIsRouted) {
  std::set<std::string> routed;
  for (const Route& route : route_table())
    routed.insert(lower(route.method) + " " + route.path_template());
  for (const std::string& op : documented_operations()) {
    EXPECT_TRUE(routed.count(op) || kOpenOperations.count(op))
        << op << " is documented but not routed";
  }
  for (const std::string& op : kOpenOperations)
    EXPECT_TRUE(documented_operations().count(op)) << op;
}

TEST(OpenApi, EveryReferenceResolves) {
  std::vector<std::string> refs;
  collect_refs(document(), refs);
  EXPECT_GT(refs.size(), 100u);
  for (const std::string& ref : refs) EXPECT_NE(resolve(ref), nullptr) << ref;
}

TEST(OpenApi, PathParametersAreDeclared) {
  for (const auto& [path, item] : document().at("paths").items()) {
    SCOPED_TRACE(path);
    std::set<std::string> declared;
    for (const json& param : item.value("parameters", json::array())) {
      const json* p = param.contains("$ref") ? resolve(param.at("$ref")) : &param;
      ASSERT_NE(p, nullptr);
      if (p->value("in", "") == "path") declared.insert(p->value("name", ""));
    }
    for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
      const std::string name = path.substr(open + 1, path.find('}', open) - open - 1);
      EXPECT_TRUE(declared.count(name)) << "{" << name << "} is not a declared path parameter";
    }
  }
}

}  // namespace
}  // namespace hookd::api
