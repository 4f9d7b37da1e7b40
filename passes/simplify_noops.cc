// Removes ops that do nothing to their input: Identity, a Cast to the same dtype, a Reshape or
// Expand whose output type equals its input type, a Transpose with the identity permutation.
// A no-op whose output is a graph output is kept, so the output keeps its name.
#include "absl/container/flat_hash_set.h"
#include "passes/passes.h"

namespace kiln {
namespace {

bool IsNoOp(const Node& n) {
  const Value* in = n.input(0);
  if (in == nullptr || n.num_outputs() != 1) return false;
  bool same_type = in->type() == n.output(0)->type();
  switch (n.op()) {
    case OpKind::kIdentity: return true;
    case OpKind::kCast:
    case OpKind::kReshape:
    case OpKind::kExpand:
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze:
    case OpKind::kFlatten: return same_type;
    case OpKind::kTranspose: {
      const std::vector<int64_t>* perm = n.attr_ints("perm");
      if (perm == nullptr) return same_type && in->type().rank() <= 1;
      for (size_t i = 0; i < perm->size(); ++i) {
        if ((*perm)[i] != static_cast<int64_t>(i)) return false;
      }
      return true;
    }
    default: return false;
  }
}

class SimplifyNoOps : public Pass {
 public:
  absl::string_view name() const override { return "simplify-noops"; }

  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    absl::flat_hash_set<const Value*> outputs(graph.outputs().begin(), graph.outputs().end());
    bool changed = false;
    for (Node* n : graph.NodeList()) {
      if (!IsNoOp(*n) || outputs.contains(n->output(0))) continue;
      graph.ReplaceAllUsesWith(n->output(0), n->input(0));
      graph.RemoveNode(n);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateSimplifyNoOps() { return std::make_unique<SimplifyNoOps>(); }

}  // namespace kiln
