#include "codegen/elementwise_emitter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/expr_emitter.h"
#include "ir/status_macros.h"

namespace kiln {
namespace {

// Per domain dim, the element stride of an input broadcast to the domain (0 where stretched).
std::vector<DimExpr> BroadcastStrides(const std::vector<DimExpr>& in,
                                      const std::vector<DimExpr>& domain) {
  std::vector<DimExpr> strides(std::max<size_t>(domain.size(), 1), DimExpr(0));
  if (in.size() > domain.size()) return strides;
  size_t shift = domain.size() - in.size();
  DimExpr stride(1);
  for (size_t d = in.size(); d-- > 0;) {
    if (in[d] != DimExpr(1)) strides[d + shift] = stride;
    stride = stride * in[d];
  }
  return strides;
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
      return absl::UnimplementedError(absl::StrCat(
          "codegen: ", node.Describe(), ": outputs of different sizes (",
          body.outputs()[0]->type().ToString(), ", ", out->type().ToString(), ")"));
    }
  }
  EmittedKernel kernel;
  kernel.kind = EmittedKernel::Kind::kElementwise;
  kernel.name = name;
  kernel.domain = domain;
  SourceWriter globals, code;
  for (const char* reserved : {"p", "flat", "rest"}) code.FreshName(reserved);
  std::vector<std::string> params, input_vars, output_vars;
  kernel.buffers = KernelBuffers(node, code, &params, &input_vars, &output_vars);
  DimTable dims;
  ExprEmitter emitter(body, input_vars, code, globals, dims, name);

  code.Indent();
  code.Open("for (kiln_i64 flat = (kiln_i64)blockIdx.x * blockDim.x + threadIdx.x; flat < p.n; "
            "flat += (kiln_i64)gridDim.x * blockDim.x)");
  // The domain index, innermost dim first.
  Index idx(domain.size());
  std::string rest = "flat";
  for (size_t d = domain.size(); d-- > 0;) {
    std::string dim = absl::StrCat("p.out_dims[", d, "]");
    idx[d] = emitter.Let("kiln_i64", absl::StrCat("i", d),
                         d == 0 ? rest : absl::StrCat(rest, " % ", dim));
    if (d > 0) rest = emitter.Let("kiln_i64", "rest", absl::StrCat(rest, " / ", dim));
  }
  emitter.SetDomain(idx, domain);
  for (int i = 0; i < node.num_outputs(); ++i) {
    const Value* out = body.outputs()[i];
    Index out_idx = out->type().dims == domain
                        ? idx
                        : emitter.Delinearize("flat", out->type().dims);
    ASSIGN_OR_RETURN(std::string value, emitter.ValueAt(out, out_idx));
    code.Line(absl::StrCat(output_vars[i], "[flat] = ", StoreConvert(out->type().dtype, value),
                           ";"));
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
  out.Comment(absl::StrCat(node.name(), " (FusedKernel): elementwise over ",
                           body.outputs()[0]->type().ToString()));
  out.Line(absl::StrCat("extern \"C\" __global__ void __launch_bounds__(256) ", name, "("));
  out.Indent();
  out.Indent();
  for (size_t i = 0; i < params.size(); ++i) {
    out.Line(absl::StrCat(params[i], i + 1 < params.size() ? "," : ") {"));
  }
  out.Dedent();
  out.Dedent();
  out.Append(code);
  out.Line("}");
  kernel.source = out.str();
  return kernel;
}

}  // namespace kiln
