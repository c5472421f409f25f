// The checks on the graph a journey definition's nodes make: links resolved to node indexes,
// every node reachable from the trigger, no loop that would run without waiting.
#include <unordered_map>
#include <vector>

#include "journeys/definition_parts.h"

namespace hookd::journey_parse {

namespace {

constexpr int kTrigger = static_cast<int>(JourneyDefinition::kTriggerIndex);

const JourneyNode& node_at(const JourneyDefinition& d, int index) {
  return d.nodes[static_cast<size_t>(index)];
}

Problem link_problem(const JourneyDefinition& d, int from, std::string_view field,
                     const std::string& what) {
  return {node_path(static_cast<size_t>(from)) + "." + std::string(field),
          node_subject(node_at(d, from).id) + std::string(field) + " " + what};
}

// Waiting nodes hand the run to a timer or to a later activity: a loop through one waits.
bool waits(JourneyNodeType type) {
  return type == JourneyNodeType::kWaitFor || type == JourneyNodeType::kAllOf ||
         type == JourneyNodeType::kDelay;
}

std::optional<Problem> resolve_link(const JourneyDefinition& d,
                                    const std::unordered_map<std::string_view, int>& index_of,
                                    int from, std::string_view field, JourneyLink& link) {
  const auto it = index_of.find(link.id);
  if (it == index_of.end()) {
    return link_problem(d, from, field,
                        "refers to " + excerpt(link.id) + ", which is not a node of this journey");
  }
  if (it->second == from) return link_problem(d, from, field, "points at the node itself");
  if (it->second == kTrigger) {
    return link_problem(
        d, from, field,
        "points at the trigger " + excerpt(d.nodes.front().id) + ", which only starts a run");
  }
  link.index = it->second;
  return std::nullopt;
}

// A depth-first walk over the links between nodes that do not wait; a link back to a node on the
// current path closes a loop that never waits.
class SpinFinder final {
 public:
  explicit SpinFinder(const JourneyDefinition& d) : d_(d), state_(d.nodes.size(), kNew) {}

  std::optional<Problem> find() {
    for (size_t i = 0; i < d_.nodes.size() && !found_; ++i) {
      if (state_[i] == kNew && !waits(d_.nodes[i].type)) visit(static_cast<int>(i));
    }
    return found_;
  }

 private:
  enum State { kNew, kOnPath, kDone };

  void visit(int i) {
    state(i) = kOnPath;
    path_.push_back(i);
    for_each_link(node_at(d_, i), [&](std::string_view field, const JourneyLink& link) {
      if (found_ || !link.present() || waits(node_at(d_, link.index).type)) return;
      if (state(link.index) == kOnPath) found_ = loop_problem(i, field, link.index);
      if (state(link.index) == kNew) visit(link.index);
    });
    path_.pop_back();
    state(i) = kDone;
  }

  State& state(int index) { return state_[static_cast<size_t>(index)]; }

  Problem loop_problem(int from, std::string_view field, int to) const {
    std::string loop;
    bool in_loop = false;
    for (const int i : path_) {
      in_loop = in_loop || i == to;
      if (in_loop) loop += excerpt(node_at(d_, i).id) + " -> ";
    }
    loop += excerpt(node_at(d_, to).id);
    return link_problem(d_, from, field,
                        "closes the loop " + loop +
                            ", which passes no waitFor, allOf or delay node and would run "
                            "without ever waiting");
  }

  const JourneyDefinition& d_;
  std::vector<State> state_;
  std::vector<int> path_;  // the nodes being visited, from where the walk started
  std::optional<Problem> found_;
};

}  // namespace

std::optional<Problem> resolve_links(JourneyDefinition& d) {
  std::unordered_map<std::string_view, int> index_of;
  for (size_t i = 0; i < d.nodes.size(); ++i) index_of.emplace(d.nodes[i].id, static_cast<int>(i));
  std::optional<Problem> problem;
  for (size_t i = 0; i < d.nodes.size() && !problem; ++i) {
    for_each_link(d.nodes[i], [&](std::string_view field, JourneyLink& link) {
      if (!problem && link.present()) {
        problem = resolve_link(d, index_of, static_cast<int>(i), field, link);
      }
    });
  }
  return problem;
}

std::optional<Problem> check_journey_graph(const JourneyDefinition& d) {
  std::vector<bool> reached(d.nodes.size(), false);
  std::vector<int> todo{kTrigger};
  reached[JourneyDefinition::kTriggerIndex] = true;
  while (!todo.empty()) {
    const int i = todo.back();
    todo.pop_back();
    for_each_link(node_at(d, i), [&](std::string_view, const JourneyLink& link) {
      if (link.present() && !reached[static_cast<size_t>(link.index)]) {
        reached[static_cast<size_t>(link.index)] = true;
        todo.push_back(link.index);
      }
    });
  }
  for (size_t i = 0; i < d.nodes.size(); ++i) {
    if (!reached[i]) {
      return Problem{node_path(i), node_subject(d.nodes[i].id) + "not reachable from the trigger " +
                                       excerpt(d.nodes.front().id)};
    }
  }
  return SpinFinder(d).find();
}

}  // namespace hookd::journey_parse
