// lower-device: the node kinds the GPU runtime executes, and the checks for them.
#ifndef KILN_PASSES_LOWER_DEVICE_H_
#define KILN_PASSES_LOWER_DEVICE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "ir/graph.h"

namespace kiln {

// True for the view ops (Reshape, Squeeze, Unsqueeze, Flatten, Identity): the output aliases
// input 0's contiguous buffer.
bool IsViewNode(const Node& n);

// True when every output of `n` has symbolic contents (the host evaluates it).
bool IsHostValueNode(const Node& n);

// Why cuBLASLt cannot run FusedMatMul `n` as one call (its epilogue, bias or residual shape,
// batch broadcast or dtype), or nullopt when it can. Restates runtime/cuda/gemm_plan.h's
// PlanFusedMatMul rules on symbolic shapes.
std::optional<std::string> CublasLtRefusal(const Node& n);

// True for the nodes the GPU runtime executes: Constant, host values, views, FusedKernel,
// FusedMatMul that cuBLASLt supports, FusedAttention.
bool IsDeviceExecutable(const Node& n);

// FailedPrecondition naming every node of `graph` that is not device-executable.
absl::Status CheckDeviceExecutable(const Graph& graph);

}  // namespace kiln

#endif  // KILN_PASSES_LOWER_DEVICE_H_
