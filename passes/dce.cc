// Dead-code elimination: walks nodes backwards and removes every node none of whose outputs
// is used or is a graph output. One backward sweep suffices because a node's users come after
// it in the execution order.
#include "absl/container/flat_hash_set.h"
#include "passes/passes.h"

namespace kiln {
namespace {

class DeadCodeElimination : public Pass {
 public:
  absl::string_view name() const override { return "dce"; }

  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    absl::flat_hash_set<const Value*> outputs(graph.outputs().begin(), graph.outputs().end());
    std::vector<Node*> nodes = graph.NodeList();
    bool changed = false;
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      Node* n = *it;
      bool live = false;
      for (int i = 0; i < n->num_outputs() && !live; ++i) {
        live = !n->output(i)->uses().empty() || outputs.contains(n->output(i));
      }
      if (!live) {
        graph.RemoveNode(n);
        changed = true;
      }
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateDeadCodeElimination() {
  return std::make_unique<DeadCodeElimination>();
}

}  // namespace kiln
