// Shape inference: MatMul (numpy semantics) and Gemm.
#include "absl/strings/str_cat.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

// The dtypes ONNX MatMul and Gemm accept.
absl::Status ExpectMatMulDType(const InferContext& ctx, int i) {
  return ctx.ExpectDType(i, {DType::kF32, DType::kF16, DType::kBF16, DType::kF64, DType::kI32,
                             DType::kI64, DType::kU32, DType::kU64});
}

}  // namespace

absl::Status InferMatMul(InferContext& ctx) {
  RETURN_IF_ERROR(ExpectMatMulDType(ctx, 0));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1}));
  std::vector<DimExpr> a = ctx.input_dims(0), b = ctx.input_dims(1);
  if (a.empty() || b.empty()) return ctx.Error("MatMul inputs must have rank >= 1");
  // numpy promotes a 1-D lhs to [1, K] and a 1-D rhs to [K, 1], then drops those dims.
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), DimExpr(1));
  if (b_vec) b.push_back(DimExpr(1));
  const DimExpr& ka = a[a.size() - 1];
  const DimExpr& kb = b[b.size() - 2];
  if (ka.is_const() && kb.is_const() && ka != kb) {
    return ctx.Error(absl::StrCat("inner dimensions differ: ", ctx.input_type(0).ToString(), " @ ",
                                  ctx.input_type(1).ToString()));
  }
  RETURN_IF_ERROR(ctx.Unify(ka, kb));
  std::vector<DimExpr> a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims, ctx.BroadcastShapes(a_batch, b_batch));
  if (!a_vec) dims.push_back(a[a.size() - 2]);
  if (!b_vec) dims.push_back(b[b.size() - 1]);
  ctx.SetOutput(0, ctx.input_dtype(0), std::move(dims));
  return absl::OkStatus();
}

absl::Status InferGemm(InferContext& ctx) {
  RETURN_IF_ERROR(ExpectMatMulDType(ctx, 0));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
  if (ctx.input_rank(0) != 2 || ctx.input_rank(1) != 2) {
    return ctx.Error(absl::StrCat("A and B must be 2-D, got ", ctx.input_type(0).ToString(),
                                  " and ", ctx.input_type(1).ToString()));
  }
  const bool trans_a = ctx.node().attr_int("transA") != 0;
  const bool trans_b = ctx.node().attr_int("transB") != 0;
  const std::vector<DimExpr>& a = ctx.input_dims(0);
  const std::vector<DimExpr>& b = ctx.input_dims(1);
  DimExpr m = trans_a ? a[1] : a[0], ka = trans_a ? a[0] : a[1];
  DimExpr kb = trans_b ? b[1] : b[0], n = trans_b ? b[0] : b[1];
  if (ka.is_const() && kb.is_const() && ka != kb) {
    return ctx.Error(absl::StrCat("inner dimensions differ: ", ka.ToString(), " vs ", kb.ToString(),
                                  " (transA=", trans_a, ", transB=", trans_b, ")"));
  }
  RETURN_IF_ERROR(ctx.Unify(ka, kb));
  if (ctx.has_input(2)) {
    // C broadcasts one way to [M, N]: each of its dims is 1 or the target's.
    const std::vector<DimExpr>& c = ctx.input_dims(2);
    if (c.size() > 2) return ctx.Error("C must have rank <= 2");
    const DimExpr target[2] = {m, n};
    for (size_t i = 0; i < c.size(); ++i) {
      const DimExpr& want = target[2 - c.size() + i];
      if (c[i].as_const() == 1) continue;
      if (c[i].is_const() && want.is_const() && c[i] != want) {
        return ctx.Error(absl::StrCat("C of shape ", ctx.input_type(2).ToString(),
                                      " does not broadcast to [", ctx.Canon(m).ToString(), ",",
                                      ctx.Canon(n).ToString(), "]"));
      }
      RETURN_IF_ERROR(ctx.Unify(c[i], want));
    }
  }
  ctx.SetOutput(0, ctx.input_dtype(0), {ctx.Canon(m), ctx.Canon(n)});
  return absl::OkStatus();
}

}  // namespace kiln
