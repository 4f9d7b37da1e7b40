// lower-device: turns an optimized graph into the node kinds the GPU runtime executes
// (IsDeviceExecutable): Constant, host values (every output has symbolic contents), views,
// FusedKernel, FusedMatMul that cuBLASLt runs, FusedAttention. The lead runs it as the first
// step of GPU compilation; the CPU pipelines do not include it.
//
// Algorithm:
//   1. Rewrite each node kind the runtime lacks into primitive or executable nodes
//      (lower_device_rewrites.h): MatMul -> FusedMatMul (expanding an operand that broadcasts
//      only part of the batch); a FusedMatMul with an epilogue cuBLASLt lacks -> FusedMatMul +
//      elementwise epilogue nodes; Split -> Slices; RotaryEmbedding -> primitive ops; a
//      patch-embedding Conv -> im2col + FusedMatMul. Other Convs, and anything a rewrite
//      declines, stay with a note. A FusedKernel the elementwise emitter cannot write (no
//      reduction, outputs of different element counts) is inlined back to be re-planned.
//   2. Run the fusion planner in its lowering mode (FusionPlanOptions::lowering): neighbouring
//      non-executable nodes merge (data movement included, so a rotary expansion or a
//      Transpose chain becomes one kernel) and each group becomes a FusedKernel
//      (fused_kernel_builder.h); existing kernels, GEMMs, attention and host values stay.
//   3. Note every node that is still not executable (CheckDeviceExecutable reports them).
#include "passes/lower_device.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/status_macros.h"
#include "passes/fused_kernel_builder.h"
#include "passes/fusion_planner.h"
#include "passes/lower_device_rewrites.h"
#include "passes/passes.h"

namespace kiln {

bool IsViewNode(const Node& n) { return IsContiguousView(n.op()); }

bool IsHostValueNode(const Node& n) {
  for (int i = 0; i < n.num_outputs(); ++i) {
    if (!n.output(i)->sym_value().has_value()) return false;
  }
  return n.num_outputs() > 0;
}

// The rules of runtime/cuda/gemm_plan.h (file comment and PlanFusedMatMul), on symbolic
// shapes: activation none/relu/gelu_tanh, each with or without a [N] bias; a residual of the
// output's shape only with activation none; each operand one matrix or the whole batch; the
// output of the operands' dtype, or f32 from f16/bf16 operands.
std::optional<std::string> CublasLtRefusal(const Node& n) {
  if (n.op() != OpKind::kFusedMatMul) return "not a FusedMatMul";
  const TensorType& out = n.output(0)->type();
  if (out.dtype != DType::kF32 && out.dtype != DType::kF16 && out.dtype != DType::kBF16) {
    return absl::StrCat("dtype ", DTypeName(out.dtype));
  }
  const DType in = n.input(0)->type().dtype;
  if (in != out.dtype && (out.dtype != DType::kF32 || in == DType::kF32)) {
    return absl::StrCat(DTypeName(in), " operands with a ", DTypeName(out.dtype),
                        " output (cuBLASLt widens only f16/bf16 to f32)");
  }
  const std::string act = n.attr_string("activation");
  if (act != "none" && act != "relu" && act != "gelu_tanh") {
    return absl::StrCat("cuBLASLt has no ", act, " epilogue");
  }
  if (out.rank() < 2 || n.input(0)->type().rank() < 2 || n.input(1)->type().rank() < 2) {
    return std::string("operands of rank < 2");
  }
  const Value* bias = n.num_inputs() > 2 ? n.input(2) : nullptr;
  if (bias != nullptr && bias->type().dims != std::vector<DimExpr>{out.dims.back()}) {
    return absl::StrCat("bias ", bias->type().ToString(), " is not [N]");
  }
  const Value* residual = n.num_inputs() > 3 ? n.input(3) : nullptr;
  if (residual != nullptr && act != "none") {
    return std::string("cuBLASLt adds a residual before the activation");
  }
  if (residual != nullptr && residual->type().dims != out.dims) {
    return absl::StrCat("residual ", residual->type().ToString(), " is not the output's shape");
  }
  const std::vector<DimExpr> batch(out.dims.begin(), out.dims.end() - 2);
  for (int i : {0, 1}) {
    if (!BatchFits(n.input(i)->type().dims, batch)) {
      return absl::StrCat("operand ", i, " broadcasts only part of the batch");
    }
  }
  return std::nullopt;
}

bool IsDeviceExecutable(const Node& n) {
  switch (n.op()) {
    case OpKind::kConstant:
    case OpKind::kFusedKernel:
    case OpKind::kFusedAttention:
      return true;
    case OpKind::kFusedMatMul:
      return !CublasLtRefusal(n).has_value();
    default:
      return IsViewNode(n) || IsHostValueNode(n);
  }
}

absl::Status CheckDeviceExecutable(const Graph& graph) {
  std::vector<std::string> bad;
  for (const Node* n : graph.nodes()) {
    if (!IsDeviceExecutable(*n)) bad.push_back(n->Describe());
  }
  if (bad.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      bad.size(), " node(s) the GPU runtime cannot execute: ", absl::StrJoin(bad, "; ")));
}

namespace {

// True for a FusedKernel (from fuse-elementwise) without a reduction whose outputs differ in
// element count, which the elementwise emitter cannot write; its nodes are re-planned.
bool MixedOutputKernel(const Node& n) {
  if (n.op() != OpKind::kFusedKernel || n.body() == nullptr) return false;
  for (const Node* m : n.body()->nodes()) {
    if (m->info().fusion == FusionKind::kReduction) return false;
  }
  for (int i = 1; i < n.num_outputs(); ++i) {
    if (n.output(i)->type().NumElements() != n.output(0)->type().NumElements()) return true;
  }
  return false;
}

absl::StatusOr<bool> Rewrite(Graph& graph, Node* n, PassContext& ctx) {
  switch (n->op()) {
    case OpKind::kMatMul:
    case OpKind::kGemm:
      return LowerMatMul(graph, n, ctx);
    case OpKind::kFusedMatMul:
      return LowerFusedMatMul(graph, n, ctx);
    case OpKind::kSplit:
      return LowerSplit(graph, n, ctx);
    case OpKind::kRotaryEmbedding:
      return ExpandRotary(graph, n, ctx);
    case OpKind::kConv:
      return LowerPatchConv(graph, n, ctx);
    default:
      return false;
  }
}

// Emits `members` as one FusedKernel, else (its body re-infers other types, e.g. a Range
// whose length was unified with a known dim only outside) each member alone, else notes it.
void EmitGroup(Graph& graph, const std::vector<Node*>& members, PassContext& ctx) {
  absl::Status s = EmitFusedKernel(graph, members).status();
  if (s.ok()) return;
  if (members.size() > 1) {
    ctx.Note(absl::StrCat("lower-device: ", members.front()->name(),
                          ": group split into single-node kernels (", s.message(), ")"));
    for (Node* m : members) {
      if (!IsDeviceExecutable(*m)) EmitGroup(graph, {m}, ctx);
    }
    return;
  }
  ctx.Note(absl::StrCat("lower-device: ", members[0]->name(), ": not wrapped (", s.message(), ")"));
}

class LowerDevice : public Pass {
 public:
  absl::string_view name() const override { return "lower-device"; }
  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    bool changed = false;
    for (Node* n : graph.NodeList()) {
      if (!MixedOutputKernel(*n)) continue;
      ctx.Note(absl::StrCat("lower-device: ", n->name(),
                            ": re-planned (outputs of different element counts)"));
      RETURN_IF_ERROR(InlineFusedKernel(graph, n));
      changed = true;
    }
    // Each rewrite erases only the node it rewrites, so the snapshot stays valid.
    for (Node* n : graph.NodeList()) {
      ASSIGN_OR_RETURN(bool rewritten, Rewrite(graph, n, ctx));
      changed |= rewritten;
    }
    FusionPlanOptions options;
    options.pass_name = "lower-device";
    options.lowering = true;
    std::vector<std::vector<Node*>> groups = PlanFusionGroups(graph, ctx, options);
    for (const std::vector<Node*>& members : groups) EmitGroup(graph, members, ctx);
    if (!groups.empty()) RETURN_IF_ERROR(StableTopologicalSort(graph));
    for (const Node* n : graph.nodes()) {
      if (!IsDeviceExecutable(*n)) {
        ctx.Note(absl::StrCat("lower-device: ", n->name(), " (", n->op_name(),
                              ") is not device-executable"));
      }
    }
    return changed || !groups.empty();
  }
};

}  // namespace

std::unique_ptr<Pass> CreateLowerDevice() { return std::make_unique<LowerDevice>(); }

}  // namespace kiln
