// Undoing a rewrite that added nodes and then gave up: a checkpoint remembers the graph's nodes,
// and Rollback removes every node added since (users before producers), so a refused fusion
// leaves the graph exactly as it found it.
#ifndef KILN_PASSES_NODE_CHECKPOINT_H_
#define KILN_PASSES_NODE_CHECKPOINT_H_

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "ir/graph.h"

namespace kiln {

class NodeCheckpoint {
 public:
  explicit NodeCheckpoint(const Graph& graph) {
    for (Node* n : graph.nodes()) before_.insert(n);
  }
  // Removes the nodes added since the checkpoint; they must be used only by each other.
  void Rollback(Graph& graph) const {
    std::vector<Node*> nodes = graph.NodeList();
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      if (!before_.contains(*it)) graph.RemoveNode(*it);
    }
  }

 private:
  absl::flat_hash_set<const Node*> before_;
};

}  // namespace kiln

#endif  // KILN_PASSES_NODE_CHECKPOINT_H_
