// Shape inference: Einsum over explicit labels with numpy-style broadcasting of size-1 dims.
#include <optional>

#include "absl/strings/str_cat.h"
#include "ir/infer/einsum_equation.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

absl::Status InferEinsum(InferContext& ctx) {
  const std::string equation = ctx.node().attr_string("equation");
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) return ctx.Error(absl::StrCat("input ", i, " is missing"));
    if (ctx.input_dtype(i) == DType::kBool) return ctx.Error("Einsum does not take bool inputs");
    if (ctx.input_dtype(i) != ctx.input_dtype(0)) {
      return ctx.Error(absl::StrCat("input ", i, " has dtype ", DTypeName(ctx.input_dtype(i)),
                                    " but input 0 has ", DTypeName(ctx.input_dtype(0))));
    }
  }
  auto eq = ParseEinsumEquation(equation, ctx.num_inputs());
  if (!eq.ok()) {
    std::string what = absl::StrCat("equation '", equation, "': ", eq.status().message());
    return absl::IsUnimplemented(eq.status()) ? ctx.Unsupported(what) : ctx.Error(what);
  }
  std::vector<int64_t> ranks;
  for (int i = 0; i < ctx.num_inputs(); ++i) ranks.push_back(ctx.input_rank(i));
  auto layout = ResolveEinsum(*eq, ranks);
  if (!layout.ok()) {
    return ctx.Error(absl::StrCat("equation '", equation, "': ", layout.status().message()));
  }
  std::vector<std::optional<DimExpr>> sizes(layout->num_labels);
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    for (size_t d = 0; d < layout->inputs[i].size(); ++d) {
      std::optional<DimExpr>& size = sizes[layout->inputs[i][d]];
      const DimExpr& dim = ctx.input_dims(i)[d];
      if (!size) {
        size = dim;
        continue;
      }
      auto merged = ctx.BroadcastDim(*size, dim);
      if (!merged.ok()) {
        return ctx.Error(absl::StrCat("equation '", equation, "': operand ", i, " dim ", d, " is ",
                                      ctx.Canon(dim).ToString(), ", another operand has ",
                                      ctx.Canon(*size).ToString()));
      }
      size = *merged;
    }
  }
  std::vector<DimExpr> dims;
  for (int id : layout->output) dims.push_back(ctx.Canon(*sizes[id]));
  ctx.SetOutput(0, ctx.input_dtype(0), std::move(dims));
  return absl::OkStatus();
}

}  // namespace kiln
