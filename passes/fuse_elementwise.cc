// fuse-elementwise: replaces each fusion group that PlanFusionGroups (fusion_planner.h) finds
// by one FusedKernel node whose body is a Graph of the group's nodes (fused_kernel_builder.h
// builds it), then re-sorts the graph stably.
#include "passes/fused_kernel_builder.h"
#include "passes/fusion_planner.h"
#include "ir/status_macros.h"
#include "passes/passes.h"

namespace kiln {
namespace {

class FuseElementwise : public Pass {
 public:
  absl::string_view name() const override { return "fuse-elementwise"; }
  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    std::vector<std::vector<Node*>> groups = PlanFusionGroups(graph, ctx);
    for (const std::vector<Node*>& members : groups) {
      RETURN_IF_ERROR(EmitFusedKernel(graph, members).status());
    }
    if (!groups.empty()) RETURN_IF_ERROR(StableTopologicalSort(graph));
    return !groups.empty();
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseElementwise() { return std::make_unique<FuseElementwise>(); }

}  // namespace kiln
