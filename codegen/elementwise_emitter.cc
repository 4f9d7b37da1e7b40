#include "codegen/elementwise_emitter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/expr_emitter.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// The grid-stride loops count in kiln_uidx: unsigned, so with a 32-bit index the counter plus
// the grid's stride (n < 2^31, stride <= 65535 * 256) cannot wrap.
constexpr char kThreadIndex[] = "(kiln_uidx)blockIdx.x * blockDim.x + threadIdx.x";
constexpr char kGridStride[] = "(kiln_uidx)gridDim.x * blockDim.x";

// Elements per thread when the body is a pure same-shape map whose inputs and outputs all
// have one element size of 2 to 8 bytes (so 16 bytes hold 2 to 8 of them); else 1.
int VectorWidth(const Node& node) {
  const Graph& body = *node.body();
  const std::vector<DimExpr>& domain = body.outputs()[0]->type().dims;
  if (domain.empty()) return 1;
  size_t size = DTypeSize(body.outputs()[0]->type().dtype);
  auto same = [&](const Value* v) {
    return v->type().dims == domain && DTypeSize(v->type().dtype) == size;
  };
  for (const Value* v : body.inputs()) {
    // A host value (symbolic contents) is never loaded: its buffer may be null.
    if (!same(v) || v->sym_value().has_value()) return 1;
  }
  for (const Node* n : body.nodes()) {
    if (n->op() == OpKind::kConstant) {
      const Tensor* t = ConstantOf(n->output(0));
      if (t == nullptr || t->num_elements() != 1) return 1;
      continue;
    }
    FusionKind kind = GetOpInfo(n->op()).fusion;
    if (n->op() == OpKind::kExpand ||
        (kind != FusionKind::kElementwise && kind != FusionKind::kBroadcast)) {
      return 1;
    }
    if (n->output(0)->type().dims != domain) return 1;
  }
  for (const Value* v : body.outputs()) {
    if (!same(v)) return 1;
  }
  return size >= 2 && size <= 8 ? static_cast<int>(16 / size) : 1;
}

// The vectorised loop: each thread loads 16 bytes of every input, computes `width` lanes
// (each lane's inputs bound to its loaded element) and stores 16 bytes of every output.
absl::Status EmitVectorLoop(const Node& node, int width, const std::vector<std::string>& in_vars,
                            const std::vector<std::string>& out_vars, ExprEmitter& e) {
  const Graph& body = *node.body();
  SourceWriter& code = e.code();
  code.Open(absl::StrCat("for (kiln_uidx vec = ", kThreadIndex, "; vec < (kiln_uidx)(p.n / ",
                         width, "); vec += ", kGridStride, ")"));
  std::vector<std::string> in_lanes, out_lanes, out_vecs;
  for (size_t k = 0; k < in_vars.size(); ++k) {
    std::string st = StorageType(body.inputs()[k]->type().dtype);
    std::string v = e.Let("kiln_vec16", in_vars[k] + "_vec",
                          absl::StrCat("kiln_load16(", in_vars[k], " + vec * ", width, ")"));
    in_lanes.push_back(e.Let(st + "*", in_vars[k] + "_lanes",
                             absl::StrCat("reinterpret_cast<const ", st, "*>(&", v, ")")));
  }
  for (size_t i = 0; i < out_vars.size(); ++i) {
    std::string st = StorageType(body.outputs()[i]->type().dtype);
    std::string v = code.FreshName(out_vars[i] + "_vec");
    out_vecs.push_back(v);
    code.Line(absl::StrCat("kiln_vec16 ", v, ";"));
    out_lanes.push_back(code.FreshName(out_vars[i] + "_lanes"));
    code.Line(absl::StrCat(st, "* const ", out_lanes.back(), " = reinterpret_cast<", st, "*>(&", v,
                           ");"));
  }
  size_t rank = body.outputs()[0]->type().dims.size();
  for (int lane = 0; lane < width; ++lane) {
    code.Comment(absl::StrCat("lane ", lane));
    ExprEmitter::Memo saved = e.Save();
    // Every value of a pure map is read at the element's own index, so any index naming the
    // lane keys the bindings; it never reaches the code.
    Index idx(rank, absl::StrCat("lane", lane));
    for (size_t k = 0; k < in_vars.size(); ++k) {
      DType t = body.inputs()[k]->type().dtype;
      e.Bind(body.inputs()[k], idx,
             e.Let(ComputeType(t), body.inputs()[k]->name(),
                   LoadConvert(t, absl::StrCat(in_lanes[k], "[", lane, "]"))));
    }
    for (size_t i = 0; i < out_vars.size(); ++i) {
      const Value* out = body.outputs()[i];
      ASSIGN_OR_RETURN(std::string value, e.ValueAt(out, idx));
      code.Line(absl::StrCat(out_lanes[i], "[", lane,
                             "] = ", StoreConvert(out->type().dtype, value), ";"));
    }
    e.Restore(std::move(saved));
  }
  for (size_t i = 0; i < out_vars.size(); ++i) {
    code.Line(
        absl::StrCat("kiln_store16(", out_vars[i], " + vec * ", width, ", ", out_vecs[i], ");"));
  }
  code.Close();
  return absl::OkStatus();
}

}  // namespace

std::vector<KernelBuffer> KernelBuffers(const Node& node, SourceWriter& names,
                                        std::vector<std::string>* params,
                                        std::vector<std::string>* input_vars,
                                        std::vector<std::string>* output_vars) {
  const Graph& body = *node.body();
  std::vector<KernelBuffer> buffers;
  for (int k = 0; k < node.num_inputs(); ++k) {
    const Value* v = body.inputs()[k];
    std::string var = names.FreshName(v->name());
    params->push_back(absl::StrCat("const ", StorageType(v->type().dtype), "* __restrict__ ", var));
    input_vars->push_back(var);
    buffers.push_back({node.input(k)->name(), v->type().dtype, false});
  }
  for (int i = 0; i < node.num_outputs(); ++i) {
    const Value* v = body.outputs()[i];
    std::string var = names.FreshName(absl::StrCat("out_", v->name()));
    params->push_back(absl::StrCat(StorageType(v->type().dtype), "* __restrict__ ", var));
    output_vars->push_back(var);
    buffers.push_back({node.output(i)->name(), v->type().dtype, true});
  }
  return buffers;
}

absl::StatusOr<EmittedKernel> EmitElementwiseKernel(const Node& node, const std::string& name) {
  const Graph& body = *node.body();
  const std::vector<DimExpr>& domain = body.outputs()[0]->type().dims;
  // Outputs of another shape but as many elements (views: [b,s,d] and [b*s,d]) are stored
  // at the same flat offset, computed at their own index of it.
  DimExpr count = body.outputs()[0]->type().NumElements();
  for (const Value* out : body.outputs()) {
    if (out->type().dims != domain && out->type().NumElements() != count) {
      return absl::UnimplementedError(
          absl::StrCat("codegen: ", node.Describe(), ": outputs of different sizes (",
                       body.outputs()[0]->type().ToString(), ", ", out->type().ToString(), ")"));
    }
  }
  EmittedKernel kernel;
  kernel.kind = EmittedKernel::Kind::kElementwise;
  kernel.name = name;
  kernel.domain = domain;
  SourceWriter globals, code;
  for (const char* reserved : {"p", "flat", "flat_u", "rest", "vec"}) code.FreshName(reserved);
  std::vector<std::string> params, input_vars, output_vars;
  kernel.buffers = KernelBuffers(node, code, &params, &input_vars, &output_vars);
  DimTable dims;
  ExprEmitter emitter(body, input_vars, code, globals, dims, name);

  code.Indent();
  kernel.vector_width = VectorWidth(node);
  std::string first = kThreadIndex;
  if (kernel.vector_width > 1) {
    RETURN_IF_ERROR(EmitVectorLoop(node, kernel.vector_width, input_vars, output_vars, emitter));
    // The tail the vectors did not cover.
    first = absl::StrCat("(kiln_uidx)(p.n / ", kernel.vector_width, " * ", kernel.vector_width,
                         ") + ", first);
  }
  code.Open(absl::StrCat("for (kiln_uidx flat_u = ", first, "; flat_u < (kiln_uidx)p.n; flat_u += ",
                         kGridStride, ")"));
  code.Line("const kiln_idx flat = (kiln_idx)flat_u;");
  // The domain index, innermost dim first, divided out unsigned (cheaper than signed division;
  // every operand is non-negative). Constant dims divide by literals (a multiply and shift);
  // unit dims are index 0.
  Index idx(domain.size(), kZeroIndex);
  std::string rest = "flat_u";
  for (size_t d = domain.size(); d-- > 0;) {
    if (domain[d] == DimExpr(1)) continue;
    std::optional<int64_t> c = domain[d].as_const();
    std::string dim = c ? absl::StrCat("(kiln_uidx)", *c)
                        : absl::StrCat("(kiln_uidx)p.out_dims[", d, "]");
    bool outermost = true;
    for (size_t e = 0; e < d; ++e) outermost = outermost && domain[e] == DimExpr(1);
    idx[d] = emitter.Let(
        "kiln_idx", absl::StrCat("i", d),
        absl::StrCat("(kiln_idx)", outermost ? rest : absl::StrCat("(", rest, " % ", dim, ")")));
    if (!outermost) rest = emitter.Let("kiln_uidx", "rest", absl::StrCat(rest, " / ", dim));
  }
  emitter.SetDomain(idx, domain);
  for (int i = 0; i < node.num_outputs(); ++i) {
    const Value* out = body.outputs()[i];
    Index out_idx = out->type().dims == domain ? idx
                                               : emitter.Reindex(idx, domain, out->type().dims);
    ASSIGN_OR_RETURN(std::string value, emitter.ValueAt(out, out_idx));
    code.Line(
        absl::StrCat(output_vars[i], "[flat] = ", StoreConvert(out->type().dtype, value), ";"));
  }
  code.Close();
  code.Dedent();

  for (const Value* in : body.inputs()) {
    kernel.input_strides.push_back(BroadcastStrides(in->type().dims, domain));
  }
  kernel.dims = dims.dims();
  int rank = std::max<int>(1, static_cast<int>(domain.size()));
  int k = std::max<int>(1, node.num_inputs());
  int d = std::max<int>(1, static_cast<int>(kernel.dims.size()));
  params.push_back(absl::StrCat("const KilnElementwiseParams<", rank, ", ", k, ", ", d, "> p"));
  SourceWriter out;
  out.Append(globals);
  out.Kernel(absl::StrCat(node.name(), " (FusedKernel): elementwise over ",
                          body.outputs()[0]->type().ToString()),
             name, params, code);
  kernel.source = out.str();
  return kernel;
}

}  // namespace kiln
