// Shape inference: Gather, GatherElements and GatherND. Gather with constant indices keeps
// symbolic contents, which is how Shape -> Gather(1) yields `seq`.
#include "absl/strings/str_cat.h"
#include "ir/infer/shape_util.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

using infer::StaticDims;

absl::Status InferGather(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI32, DType::kI64}));
  int64_t rank = ctx.input_rank(0);
  if (rank == 0) return ctx.Error("data must have rank >= 1");
  ASSIGN_OR_RETURN(int64_t axis, ctx.NormalizeAxis(ctx.node().attr_int("axis"), rank));
  const auto& in = ctx.input_dims(0);
  const auto& idx_dims = ctx.input_dims(1);
  std::vector<DimExpr> dims(in.begin(), in.begin() + axis);
  dims.insert(dims.end(), idx_dims.begin(), idx_dims.end());
  dims.insert(dims.end(), in.begin() + axis + 1, in.end());
  // Constant indices are checked now; others at run time.
  auto indices = ctx.input_ints(1);
  auto extent = in[axis].as_const();
  if (indices && extent) {
    for (int64_t& i : *indices) {
      if (i < -*extent || i >= *extent) {
        return ctx.Error(absl::StrCat("index ", i, " is out of range for axis ", axis,
                                      " of size ", *extent));
      }
      if (i < 0) i += *extent;
    }
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  auto shape = StaticDims(in);
  if (!indices || !shape || !StaticDims(idx_dims)) return absl::OkStatus();
  std::vector<int64_t> strides = infer::Strides(*shape);
  std::vector<int64_t> idx_strides = infer::Strides(*StaticDims(idx_dims));
  size_t q = idx_dims.size();
  infer::PropagateSym(ctx, 0, dims, [&](const std::vector<int64_t>& c) {
    int64_t flat_idx = 0;
    for (size_t k = 0; k < q; ++k) flat_idx += c[axis + k] * idx_strides[k];
    int64_t src = 0;
    for (int64_t a = 0; a < axis; ++a) src += c[a] * strides[a];
    src += (*indices)[flat_idx] * strides[axis];
    for (int64_t a = axis + 1; a < rank; ++a) src += c[a - 1 + q] * strides[a];
    return std::optional<int64_t>(src);
  });
  return absl::OkStatus();
}

absl::Status InferGatherElements(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI32, DType::kI64}));
  int64_t rank = ctx.input_rank(0);
  if (rank == 0) return ctx.Error("data must have rank >= 1");
  if (ctx.input_rank(1) != rank) {
    return ctx.Error(absl::StrCat("indices have rank ", ctx.input_rank(1), ", data has ", rank));
  }
  RETURN_IF_ERROR(ctx.NormalizeAxis(ctx.node().attr_int("axis"), rank).status());
  ctx.SetOutput(0, ctx.input_dtype(0), ctx.input_dims(1));
  return absl::OkStatus();
}

absl::Status InferGatherND(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI64}));
  int64_t r = ctx.input_rank(0), q = ctx.input_rank(1);
  int64_t b = ctx.node().attr_int("batch_dims");
  if (r < 1 || q < 1) return ctx.Error("data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q)) {
    return ctx.Error(absl::StrCat("batch_dims ", b, " must be less than both ranks"));
  }
  const auto& data = ctx.input_dims(0);
  const auto& idx = ctx.input_dims(1);
  auto m = idx[q - 1].as_const();
  if (!m) return ctx.Unsupported("the last dim of indices must be static");
  if (*m < 1 || *m > r - b) {
    return ctx.Error(absl::StrCat("indices' last dim is ", *m, ", expected 1 to ", r - b));
  }
  for (int64_t d = 0; d < b; ++d) RETURN_IF_ERROR(ctx.Unify(data[d], idx[d]));
  std::vector<DimExpr> dims(idx.begin(), idx.end() - 1);
  dims.insert(dims.end(), data.begin() + b + *m, data.end());
  for (DimExpr& d : dims) d = ctx.Canon(d);
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  return absl::OkStatus();
}

}  // namespace kiln
