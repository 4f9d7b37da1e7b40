// Shape inference: the ops that create shape values or tensors from them (Shape, Size,
// Constant, ConstantOfShape, Range). These are where symbolic contents start: Shape of a
// [batch,seq,64] tensor holds {batch, seq, 64}, and the ops downstream keep those expressions.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "ir/infer/shape_util.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

using infer::IsDataDependent;
using infer::IsSymDType;
using infer::SymContents;

absl::Status InferShape(InferContext& ctx) {
  const std::vector<DimExpr>& dims = ctx.input_dims(0);
  int64_t rank = ctx.input_rank(0);
  auto clamp = [rank](int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = clamp(ctx.node().attr_int("start"));
  int64_t end = clamp(ctx.node().attr_int_opt("end").value_or(rank));
  std::vector<DimExpr> vals;
  for (int64_t i = start; i < end; ++i) vals.push_back(dims[i]);
  ctx.SetOutput(0, DType::kI64, {DimExpr(static_cast<int64_t>(vals.size()))});
  ctx.SetOutputSym(0, std::move(vals));
  return absl::OkStatus();
}

// Size: an i64 scalar holding the element count, kept symbolic (`64*batch*seq`).
absl::Status InferSize(InferContext& ctx) {
  DimExpr count = ctx.input_type(0).NumElements();
  ctx.SetOutput(0, DType::kI64, {});
  if (count.is_valid()) ctx.SetOutputSym(0, {count});
  return absl::OkStatus();
}

absl::Status InferConstant(InferContext& ctx) {
  const Tensor* t = ctx.node().attrs().FindAs<Tensor>("value");
  if (t == nullptr || !t->defined()) return ctx.Error("attribute 'value' must be a tensor");
  std::vector<DimExpr> dims(t->shape().begin(), t->shape().end());
  ctx.SetOutput(0, t->dtype(), dims);
  if (IsSymDType(t->dtype()) && t->num_elements() <= kMaxSymValueElements) {
    std::vector<DimExpr> vals;
    for (int64_t k = 0; k < t->num_elements(); ++k) vals.emplace_back(t->GetAsInt(k));
    ctx.SetOutputSym(0, std::move(vals));
  }
  return absl::OkStatus();
}

// The output dims of an op whose input `i` is a shape vector (ConstantOfShape, and the
// fallback of Reshape/Expand/Tile): its symbolic contents, or fresh data-dependent symbols.
static absl::StatusOr<std::vector<DimExpr>> DimsFromShapeInput(InferContext& ctx, int i) {
  ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, i, {DType::kI64}));
  std::vector<DimExpr> dims;
  if (auto vals = SymContents(ctx, i)) {
    for (const DimExpr& d : *vals) {
      if (auto c = d.as_const(); c && *c < 0) {
        return ctx.Error(absl::StrCat("shape has negative dimension ", *c));
      }
    }
    return *vals;
  }
  for (int64_t d = 0; d < n; ++d) dims.push_back(ctx.DataDependentDim(0, d));
  return dims;
}

absl::Status InferConstantOfShape(InferContext& ctx) {
  DType dtype = DType::kF32;
  const Tensor* value = ctx.node().attrs().FindAs<Tensor>("value");
  if (value != nullptr) {
    if (value->num_elements() != 1) {
      return ctx.Error(absl::StrCat("attribute 'value' must hold one element, got ",
                                    value->TypeString()));
    }
    dtype = value->dtype();
  }
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims, DimsFromShapeInput(ctx, 0));
  ctx.SetOutput(0, dtype, dims);
  if (!IsSymDType(dtype)) return absl::OkStatus();
  auto shape = infer::StaticDims(dims);
  if (!shape) return absl::OkStatus();
  if (int64_t count = infer::SmallCount(*shape); count >= 0) {
    int64_t v = value ? value->GetAsInt(0) : 0;
    ctx.SetOutputSym(0, std::vector<DimExpr>(count, DimExpr(v)));
  }
  return absl::OkStatus();
}

namespace {

// The length of an integer Range whose bounds are (possibly symbolic) dims, if it can be
// expressed: ceil((limit - start) / delta), clamped at 0.
std::optional<DimExpr> IntRangeLength(InferContext& ctx, const DimExpr& start,
                                      const DimExpr& limit, const DimExpr& delta) {
  auto step = delta.as_const();
  if (!step || *step == 0) return std::nullopt;
  DimExpr span = *step > 0 ? limit - start : start - limit;
  int64_t mag = *step > 0 ? *step : -*step;
  if (auto c = span.as_const()) {
    return *c <= 0 ? DimExpr(0) : DimExpr::CeilDiv(DimExpr(*c), DimExpr(mag));
  }
  if (IsDataDependent(span)) return std::nullopt;
  if (auto lb = span.LowerBound(); !lb || *lb < 0) {
    // An empty range over symbolic bounds is not expressible without max(); assume the
    // bounds are ordered as the step says (the runtime checks it).
    const DimExpr& lo = *step > 0 ? start : limit;
    const DimExpr& hi = *step > 0 ? limit : start;
    if (!infer::AssumeLe(ctx, lo, hi).ok()) return std::nullopt;
  }
  return DimExpr::CeilDiv(span, DimExpr(mag));
}

// Elements a float Range produces, computed as numpy.arange does (in double).
std::optional<int64_t> FloatRangeLength(double start, double limit, double delta) {
  if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) {
    return std::nullopt;
  }
  double n = std::ceil((limit - start) / delta);
  if (!(n < 9.0e18)) return std::nullopt;
  return n <= 0 ? 0 : static_cast<int64_t>(n);
}

}  // namespace

absl::Status InferRange(InferContext& ctx) {
  DType t = ctx.input_dtype(0);
  RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kF32, DType::kF64, DType::kF16, DType::kBF16,
                                      DType::kI16, DType::kI32, DType::kI64}));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
  int64_t stash = ctx.node().attr_int("stash_type");
  if (stash != 1 && stash != 11) {
    return ctx.Error(absl::StrCat("stash_type must be 1 (float) or 11 (double), got ", stash));
  }
  for (int i = 0; i < 3; ++i) {
    if (ctx.input_rank(i) != 0 && ctx.input_type(i).NumElements() != DimExpr(1)) {
      return ctx.Error(absl::StrCat("input ", i, " must be a scalar, got ",
                                    ctx.input_type(i).ToString()));
    }
  }
  std::optional<DimExpr> len;
  if (IsInteger(t)) {
    auto s = SymContents(ctx, 0), l = SymContents(ctx, 1), d = SymContents(ctx, 2);
    if (s && l && d) {
      if ((*d)[0].as_const() == 0) return ctx.Error("delta must not be zero");
      len = IntRangeLength(ctx, (*s)[0], (*l)[0], (*d)[0]);
      if (len && (*d)[0].is_const()) {
        if (auto n = len->as_const(); n && *n <= kMaxSymValueElements) {
          std::vector<DimExpr> vals;
          for (int64_t k = 0; k < *n; ++k) vals.push_back((*s)[0] + DimExpr(k) * (*d)[0]);
          ctx.SetOutputSym(0, std::move(vals));
        }
      }
    }
  } else {
    const Tensor *s = ctx.input_const(0), *l = ctx.input_const(1), *d = ctx.input_const(2);
    if (s && l && d) {
      if (d->GetAsDouble(0) == 0) return ctx.Error("delta must not be zero");
      if (auto n = FloatRangeLength(s->GetAsDouble(0), l->GetAsDouble(0), d->GetAsDouble(0))) {
        len = DimExpr(*n);
      }
    }
  }
  ctx.SetOutput(0, t, {len ? *len : ctx.DataDependentDim(0, 0)});
  return absl::OkStatus();
}

}  // namespace kiln
