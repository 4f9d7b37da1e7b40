// Planning for fuse-elementwise: which nodes may fuse (by their op's FusionKind, TVM's operator
// patterns) and the greedy grouping of neighbours into fusion groups, with the reason each
// refused pair of neighbours did not fuse (as XLA's FusionDecision).
#ifndef KILN_PASSES_FUSION_PLANNER_H_
#define KILN_PASSES_FUSION_PLANNER_H_

#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln {

// What a node may contribute to a fused kernel.
enum class FusionRole {
  kNone,         // Opaque (GEMMs, attention, existing kernels), constants, host shape work.
  kElementwise,  // Elementwise and broadcast ops.
  kInjective,    // Data movement: fuses only into a kernel that does elementwise/reduction work.
  kReduction,    // Reductions and normalisations: at most one per kernel.
};

// True for shape arithmetic: a node with an output whose contents shape inference knows
// symbolically (Shape -> Gather -> Concat chains). It folds away or runs on the host.
bool IsHostShapeWork(const Node& n);
FusionRole RoleOf(const Node& n);

// How PlanFusionGroups groups.
struct FusionPlanOptions {
  // The pass named in notes.
  std::string pass_name = "fuse-elementwise";
  // lower-device's mode: every node that is not already device-executable must end up in a
  // kernel, so groups of pure data movement are emitted too (Range counts as data movement);
  // a group of only views (Reshape, Squeeze, Unsqueeze, Flatten, Identity) is not emitted, and
  // a group without a reduction keeps to outputs of one element count.
  bool lowering = false;
};

// The role of `n` under `options` (RoleOf, plus Range as injective when lowering).
FusionRole RoleOf(const Node& n, const FusionPlanOptions& options);

// The groups to emit as FusedKernels (each in graph order; every group holds at least one
// elementwise or reduction node, or when lowering one node that is not a view). Refused
// neighbours are noted as "<pass>: <producer> + <consumer>: <reason>".
std::vector<std::vector<Node*>> PlanFusionGroups(const Graph& graph, PassContext& ctx,
                                                 const FusionPlanOptions& options = {});

}  // namespace kiln

#endif  // KILN_PASSES_FUSION_PLANNER_H_
