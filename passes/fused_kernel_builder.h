// Building FusedKernel nodes from fusion groups (shared by fuse-elementwise and lower-device).
#ifndef KILN_PASSES_FUSED_KERNEL_BUILDER_H_
#define KILN_PASSES_FUSED_KERNEL_BUILDER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace kiln {

// The body of `members` (in graph order); fills `inputs` (outside values it reads) and
// `outputs` (members' values needed outside or returned by the graph).
absl::StatusOr<std::unique_ptr<Graph>> BuildFusedBody(const Graph& graph,
                                                      const std::vector<Node*>& members,
                                                      std::vector<Value*>* inputs,
                                                      std::vector<Value*>* outputs);

// Replaces `members` by one FusedKernel node (inserted before the last member) that takes over
// their escaping values and names; returns it. The graph may need StableTopologicalSort after.
// When the kernel does not re-infer to the members' types, the graph is left unchanged.
absl::StatusOr<Node*> EmitFusedKernel(Graph& graph, const std::vector<Node*>& members);

// Re-sorts the graph topologically, keeping an already valid order and otherwise moving nodes
// as little as possible.
absl::Status StableTopologicalSort(Graph& graph);

// Replaces FusedKernel `kernel` by copies of its body's nodes (the inverse of
// EmitFusedKernel); its outputs' names move to the copies.
absl::Status InlineFusedKernel(Graph& graph, Node* kernel);

}  // namespace kiln

#endif  // KILN_PASSES_FUSED_KERNEL_BUILDER_H_
