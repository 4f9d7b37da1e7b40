#include "codegen/kernel_emitter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/elementwise_emitter.h"
#include "codegen/expr_emitter.h"
#include "codegen/prelude.h"
#include "codegen/row_reduction_emitter.h"
#include "codegen/source_writer.h"
#include "ir/status_macros.h"

namespace kiln {
namespace {

std::string JoinDims(const std::vector<DimExpr>& dims) {
  return absl::StrJoin(
      dims, ", ", [](std::string* out, const DimExpr& d) { absl::StrAppend(out, d.ToString()); });
}

absl::Status CheckTypes(const Node& node, const Graph& body) {
  for (const Node* n : body.nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      if (ComputeType(n->output(i)->type().dtype).empty()) {
        return absl::UnimplementedError(absl::StrCat("codegen: ", node.Describe(), ": ",
                                                     n->Describe(), " has dtype ",
                                                     n->output(i)->type().ToString()));
      }
    }
  }
  for (const Value* v : body.inputs()) {
    if (ComputeType(v->type().dtype).empty()) {
      return absl::UnimplementedError(absl::StrCat("codegen: ", node.Describe(), ": input ",
                                                   v->name(), " has type ", v->type().ToString()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string EmittedKernel::LaunchSummary() const {
  std::string s = absl::StrCat(name, ": block ", block_size, ", ");
  if (kind == Kind::kElementwise) {
    absl::StrAppend(&s, "grid-stride over [", JoinDims(domain), "]");
    if (vector_width > 1) absl::StrAppend(&s, ", ", vector_width, " per 16-byte vector");
  } else {
    absl::StrAppend(&s, "one block per row, rows=", rows.ToString(), " cols=", cols.ToString());
    if (vector_width > 1) absl::StrAppend(&s, ", ", vector_width, " columns per 16-byte vector");
    if (warp_rows) absl::StrAppend(&s, ", or a warp per row when rows are plentiful");
  }
  absl::StrAppend(&s, "; buffers:");
  for (const KernelBuffer& b : buffers) {
    absl::StrAppend(&s, " ", b.is_output ? "out " : "in ", b.value, ":", DTypeName(b.dtype));
  }
  if (kind == Kind::kElementwise) {
    for (size_t k = 0; k < input_strides.size(); ++k) {
      absl::StrAppend(&s, "; in_strides[", k, "]=[", JoinDims(input_strides[k]), "]");
    }
  }
  absl::StrAppend(&s, "; dims=[", JoinDims(dims), "]");
  return s;
}

absl::StatusOr<EmittedKernel> EmitKernel(const Node& fused_kernel_node,
                                         absl::string_view kernel_name) {
  const Node& node = fused_kernel_node;
  const Graph* body = node.body();
  if (node.op() != OpKind::kFusedKernel || body == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), " is not a FusedKernel"));
  }
  if (body->inputs().size() != static_cast<size_t>(node.num_inputs()) ||
      body->outputs().size() != static_cast<size_t>(node.num_outputs()) ||
      body->outputs().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": body inputs/outputs do not match the node's"));
  }
  RETURN_IF_ERROR(CheckTypes(node, *body));
  std::string name = kernel_name.empty() ? absl::StrCat("kiln_", SanitizeIdentifier(node.name()))
                                         : std::string(kernel_name);
  const Node* reduction = nullptr;
  for (const Node* n : body->nodes()) {
    if (GetOpInfo(n->op()).fusion != FusionKind::kReduction) continue;
    if (!IsRowReduction(*n)) {
      return absl::UnimplementedError(absl::StrCat("codegen: ", node.Describe(), ": reduction op ",
                                                   n->op_name(), " (", n->Describe(),
                                                   ") is not supported"));
    }
    if (reduction != nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("codegen: ", node.Describe(), ": more than one reduction in the body"));
    }
    reduction = n;
  }
  if (reduction != nullptr) return EmitRowReductionKernel(node, *reduction, name);
  return EmitElementwiseKernel(node, name);
}

std::string BuildModuleSource(const std::vector<EmittedKernel>& kernels,
                              IndexWidth index_width) {
  std::string source = CudaPrelude(index_width);
  for (const EmittedKernel& k : kernels) absl::StrAppend(&source, "\n", k.source);
  return source;
}

}  // namespace kiln
