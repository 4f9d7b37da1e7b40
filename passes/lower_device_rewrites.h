// The per-node rewrites of lower-device (lower_device.cc), each turning one node kind into
// nodes the GPU runtime executes or can fuse into a FusedKernel. Each returns whether it
// rewrote `n` (and then erased it); a node left alone gets a ctx.Note saying why.
#ifndef KILN_PASSES_LOWER_DEVICE_REWRITES_H_
#define KILN_PASSES_LOWER_DEVICE_REWRITES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln {

// Adds shape-inferred nodes before a node being rewritten, named after it.
class LoweringBuilder {
 public:
  LoweringBuilder(Graph& graph, Node* before);
  // A single-output node of `op`.
  absl::StatusOr<Value*> Add(OpKind op, std::vector<Value*> inputs, Attributes attrs = {});
  // An i64[n] constant.
  Value* Ints(const std::vector<int64_t>& values);
  // An i64[n] host value: a constant when every dim is known, else a DimValues node.
  absl::StatusOr<Value*> Dims(const std::vector<DimExpr>& values);
  // Cast(v) to `to` unless v already has that dtype.
  absl::StatusOr<Value*> CastTo(Value* v, DType to);
  // Removes every node this builder added (newest first), for a rewrite that gives up.
  void Rollback();
  Graph& graph() { return graph_; }

 private:
  Graph& graph_;
  Node* before_;
  std::string name_;
  std::vector<Node*> added_;
};

// A one-attribute Attributes.
Attributes OneAttr(absl::string_view name, AttrValue value);

// True when an operand of `dims` (rank >= 2) is one strided batch of `out_batch` for cuBLASLt:
// its batch dims are all 1, or (left-padded with 1s) the whole output batch.
bool BatchFits(const std::vector<DimExpr>& dims, const std::vector<DimExpr>& out_batch);

// MatMul or Gemm -> FusedMatMul (operands broadcast to the whole batch where cuBLASLt needs
// it; vector operands unsqueezed to matrices and the result squeezed back).
absl::StatusOr<bool> LowerMatMul(Graph& graph, Node* n, PassContext& ctx);
// FusedMatMul whose epilogue cuBLASLt lacks -> FusedMatMul + elementwise epilogue nodes.
absl::StatusOr<bool> LowerFusedMatMul(Graph& graph, Node* n, PassContext& ctx);
// Split -> one Slice per output (each then fuses into its consumers' kernel).
absl::StatusOr<bool> LowerSplit(Graph& graph, Node* n, PassContext& ctx);
// RotaryEmbedding -> Gather/Unsqueeze/Slice/Mul/Sub/Add/Concat/Reshape.
absl::StatusOr<bool> ExpandRotary(Graph& graph, Node* n, PassContext& ctx);
// A patch-embedding Conv -> im2col (Reshape/Transpose/Reshape) + FusedMatMul + NCHW layout.
absl::StatusOr<bool> LowerPatchConv(Graph& graph, Node* n, PassContext& ctx);

}  // namespace kiln

#endif  // KILN_PASSES_LOWER_DEVICE_REWRITES_H_
