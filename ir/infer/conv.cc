// Shape inference: N-D Conv with strides, pads, dilations, groups and auto_pad.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

// Reads an ints attribute of `n` values (or `fallback` repeated when absent), each >= `min`.
absl::StatusOr<std::vector<int64_t>> SpatialAttr(const InferContext& ctx, absl::string_view name,
                                                 size_t n, int64_t fallback, int64_t min) {
  const std::vector<int64_t>* v = ctx.node().attr_ints(name);
  if (v == nullptr) return std::vector<int64_t>(n, fallback);
  if (v->size() != n) {
    return ctx.Error(absl::StrCat(name, " has ", v->size(), " values, expected ", n));
  }
  for (int64_t x : *v) {
    if (x < min)
      return ctx.Error(absl::StrCat(name, " [", absl::StrJoin(*v, ","), "] must be >= ", min));
  }
  return *v;
}

// Output size of spatial dim `i`: ceil(in / stride) for SAME padding, else
// floor((in + pads - dilated kernel extent) / stride) + 1.
absl::StatusOr<DimExpr> OutputDim(InferContext& ctx, size_t i, const std::string& auto_pad,
                                  const DimExpr& in, const DimExpr& kernel, int64_t stride,
                                  int64_t dilation, int64_t pad_begin, int64_t pad_end) {
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    return DimExpr::CeilDiv(in, DimExpr(stride));
  }
  const DimExpr extent = (kernel - 1) * DimExpr(dilation) + 1;
  const DimExpr padded = auto_pad == "VALID" ? in : in + DimExpr(pad_begin) + DimExpr(pad_end);
  if (auto e = extent.as_const(), p = padded.as_const(); e && p && *e > *p) {
    return ctx.Error(absl::StrCat("spatial dim ", i, ": kernel extent ", *e,
                                  " exceeds the padded input size ", *p));
  }
  RETURN_IF_ERROR(ctx.Assume(extent, DimConstraint::Kind::kLe, padded));
  return DimExpr::FloorDiv(padded - extent, DimExpr(stride)) + 1;
}

}  // namespace

absl::Status InferConv(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kF32, DType::kF16, DType::kBF16, DType::kF64}));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
  const int64_t rank = ctx.input_rank(0);
  if (rank < 3)
    return ctx.Error(
        absl::StrCat("X must be [N, C, spatial...], got ", ctx.input_type(0).ToString()));
  if (ctx.input_rank(1) != rank) {
    return ctx.Error(absl::StrCat("W ", ctx.input_type(1).ToString(), " must have the rank of X ",
                                  ctx.input_type(0).ToString()));
  }
  const size_t n = static_cast<size_t>(rank - 2);
  const std::vector<DimExpr>& x = ctx.input_dims(0);
  const std::vector<DimExpr>& w = ctx.input_dims(1);
  const int64_t group = ctx.node().attr_int("group");
  if (group < 1) return ctx.Error(absl::StrCat("group ", group, " must be >= 1"));
  ASSIGN_OR_RETURN(std::vector<int64_t> strides, SpatialAttr(ctx, "strides", n, 1, 1));
  ASSIGN_OR_RETURN(std::vector<int64_t> dilations, SpatialAttr(ctx, "dilations", n, 1, 1));
  ASSIGN_OR_RETURN(std::vector<int64_t> pads, SpatialAttr(ctx, "pads", 2 * n, 0, 0));
  const std::string auto_pad = ctx.node().attr_string("auto_pad");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER") {
    return ctx.Error(absl::StrCat("unknown auto_pad '", auto_pad, "'"));
  }
  if (auto_pad != "NOTSET" && ctx.node().attr_ints("pads") != nullptr) {
    return ctx.Error(absl::StrCat("pads cannot be combined with auto_pad ", auto_pad));
  }
  for (size_t i = 0; i < n; ++i) {
    if (auto k = w[2 + i].as_const(); k && *k < 1) {
      return ctx.Error(absl::StrCat("W ", ctx.input_type(1).ToString(), " has an empty kernel"));
    }
  }
  if (const std::vector<int64_t>* ks = ctx.node().attr_ints("kernel_shape")) {
    if (ks->size() != n) return ctx.Error("kernel_shape must have one value per spatial dim");
    for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(ctx.Unify(w[2 + i], (*ks)[i]));
  }
  // Channels: C = group * W[1]; M divisible by group.
  if (x[1].is_const() && w[1].is_const() && *x[1].as_const() != *w[1].as_const() * group) {
    return ctx.Error(absl::StrCat("X has ", x[1].ToString(), " channels but W expects ",
                                  w[1].ToString(), " x group ", group));
  }
  RETURN_IF_ERROR(ctx.Unify(x[1], w[1] * DimExpr(group)));
  if (auto m = w[0].as_const(); m && *m % group != 0) {
    return ctx.Error(
        absl::StrCat("W has ", *m, " output channels, not divisible by group ", group));
  }
  if (ctx.has_input(2)) {
    if (ctx.input_rank(2) != 1) return ctx.Error("B must be 1-D");
    RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(2)[0], w[0]));
  }
  std::vector<DimExpr> out = {ctx.Canon(x[0]), ctx.Canon(w[0])};
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(
        DimExpr d, OutputDim(ctx, i, auto_pad, ctx.Canon(x[2 + i]), ctx.Canon(w[2 + i]), strides[i],
                             dilations[i], pads[i], pads[n + i]));
    out.push_back(std::move(d));
  }
  ctx.SetOutput(0, ctx.input_dtype(0), std::move(out));
  return absl::OkStatus();
}

}  // namespace kiln
