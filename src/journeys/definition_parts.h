#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "common/problem.h"
#include "journeys/definition.h"
#include "journeys/field_reader.h"

// Internal to journeys/: the steps of parse_journey_definition, one file each. The nodes one by
// one (definition_nodes.cpp), then the graph they make (definition_graph.cpp).
namespace hookd::journey_parse {

// What a node's checks need from the rest of the definition.
struct NodeRules {
  bool has_correlation_key = false;
  const JourneyRefs& refs;
};

// nodes[earlier.size()]: its fields as its type allows them, links not yet resolved; refuses an
// id that `earlier` has, a first node that is not the trigger and a second trigger. Throws
// Refusal.
JourneyNode read_node(const json& value, const std::vector<JourneyNode>& earlier,
                      const NodeRules& rules);

// Sets every present link's index; refuses a link to a missing node, to the node itself or to
// the trigger.
std::optional<Problem> resolve_links(JourneyDefinition& definition);

// On resolved links: refuses a node the trigger does not reach, and a loop that passes no
// waitFor, allOf or delay node (it would run without ever waiting).
std::optional<Problem> check_journey_graph(const JourneyDefinition& definition);

// Calls fn(json field name, link) for each of the node's links, present or not, in the order
// next, matched, timedOut, then, else. `Node` is JourneyNode or const JourneyNode.
template <class Node, class Fn>
void for_each_link(Node& node, Fn&& fn) {
  fn(std::string_view("next"), node.next);
  fn(std::string_view("matched"), node.matched);
  fn(std::string_view("timedOut"), node.timed_out);
  fn(std::string_view("then"), node.if_true);
  fn(std::string_view("else"), node.if_false);
}

// `node "wait": `, how details name a node.
std::string node_subject(std::string_view id);
// "nodes[2]"
std::string node_path(size_t index);

}  // namespace hookd::journey_parse
