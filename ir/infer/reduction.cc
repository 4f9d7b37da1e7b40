// Shape inference: reductions, arg-reductions, softmax, normalisations, CumSum and TopK.
//
// Reduce* take their axes as an optional input. When the axes are known (a constant, or
// symbolic contents that are all integers) the output shape is exact; when they are runtime
// data but their count is static, the rank is still known and each dim that may or may not
// be reduced becomes a data-dependent symbol, bound by the executor from the kernel's result.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

// Maps `axis` into [0, rank); unlike InferContext::NormalizeAxis, rank 0 has no valid axis.
absl::StatusOr<int64_t> AxisIn(const InferContext& ctx, int64_t axis, int64_t rank,
                               absl::string_view what) {
  if (axis < -rank || axis >= rank) {
    return ctx.Error(absl::StrCat(what, " ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

// The reduced axes as a mask, or nullopt when they are runtime data.
struct ReduceAxes {
  bool identity = false;                  // noop_with_empty_axes with no axes.
  std::optional<std::vector<bool>> mask;  // Known axes (all true for "reduce all").
  // Number of axes when the mask is unknown (0 with keepdims, where it may be unknown too).
  int64_t count = 0;
};

absl::StatusOr<ReduceAxes> GetReduceAxes(const InferContext& ctx) {
  const int64_t rank = ctx.input_rank(0);
  const bool noop = ctx.node().attr_int("noop_with_empty_axes") != 0;
  ReduceAxes r;
  std::optional<std::vector<int64_t>> axes;
  if (!ctx.has_input(1)) {
    axes.emplace();
  } else {
    RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI64}));
    if (ctx.input_rank(1) > 1) return ctx.Error("axes must be a 1-D tensor");
    axes = ctx.input_ints(1);
    if (!axes) {
      auto n = ctx.input_rank(1) == 0 ? std::optional<int64_t>(1) : ctx.input_dims(1)[0].as_const();
      if (!n) {
        // With keepdims the rank is known whatever the count; without, it is not.
        if (ctx.node().attr_int("keepdims") == 0) {
          return ctx.Unsupported("keepdims=0 with axes of data-dependent length");
        }
        return r;
      }
      if (*n > 0) {
        if (*n > rank) {
          return ctx.Error(absl::StrCat(*n, " axes given for an input of rank ", rank));
        }
        r.count = *n;
        return r;
      }
      axes.emplace();
    }
  }
  if (axes->empty()) {
    if (noop) {
      r.identity = true;
    } else {
      r.mask = std::vector<bool>(rank, true);
    }
    return r;
  }
  r.mask = std::vector<bool>(rank, false);
  for (int64_t a : *axes) {
    ASSIGN_OR_RETURN(int64_t ax, AxisIn(ctx, a, rank, "axis"));
    if ((*r.mask)[ax]) return ctx.Error(absl::StrCat("axis ", a, " is given twice"));
    (*r.mask)[ax] = true;
  }
  return r;
}

// Symbolic contents of a reduction of a small static int tensor with known symbolic values.
std::optional<std::vector<DimExpr>> ReduceSym(const InferContext& ctx,
                                              const std::vector<bool>& mask) {
  const std::vector<DimExpr>* in = ctx.input_sym(0);
  OpKind op = ctx.node().op();
  if (!in || !IsInteger(ctx.input_dtype(0)) || !ctx.input_type(0).is_static() ||
      op == OpKind::kReduceMean) {
    return std::nullopt;
  }
  std::vector<int64_t> shape;
  for (const DimExpr& d : ctx.input_dims(0)) shape.push_back(*d.as_const());
  int64_t count = 1, out_count = 1;
  std::vector<int64_t> out_stride(shape.size(), 0);
  for (size_t ax = shape.size(); ax-- > 0;) {
    count *= shape[ax];
    if (!mask[ax]) {
      out_stride[ax] = out_count;
      out_count *= shape[ax];
    }
  }
  if (static_cast<int64_t>(in->size()) != count || count == 0) return std::nullopt;
  std::vector<std::optional<DimExpr>> out(out_count);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t rem = flat, o = 0;
    for (size_t ax = shape.size(); ax-- > 0;) {
      o += (rem % shape[ax]) * out_stride[ax];
      rem /= shape[ax];
    }
    const DimExpr& v = (*in)[flat];
    if (!out[o]) {
      out[o] = v;
    } else if (op == OpKind::kReduceSum) {
      out[o] = *out[o] + v;
    } else {
      out[o] = op == OpKind::kReduceMax ? DimExpr::Max(*out[o], v) : DimExpr::Min(*out[o], v);
    }
  }
  std::vector<DimExpr> result;
  for (auto& v : out) {
    if (!v || !v->is_valid()) return std::nullopt;
    result.push_back(*v);
  }
  return result;
}

// Checks that `operand`'s shape broadcasts to `target` without changing it (ONNX's
// unidirectional broadcasting).
absl::Status ExpectUnidirectional(InferContext& ctx, int operand,
                                  const std::vector<DimExpr>& target) {
  const std::vector<DimExpr>& dims = ctx.input_dims(operand);
  if (dims.size() > target.size()) {
    return ctx.Error(absl::StrCat("input ", operand, " has rank ", dims.size(),
                                  ", more than the normalized input's ", target.size()));
  }
  size_t offset = target.size() - dims.size();
  for (size_t i = 0; i < dims.size(); ++i) {
    const DimExpr d = ctx.Canon(dims[i]);
    if (d.as_const() == 1) continue;
    const DimExpr t = ctx.Canon(target[offset + i]);
    if (d.is_const() && t.is_const() && d != t) {
      return ctx.Error(absl::StrCat("input ", operand, " of shape ", DimsToString(dims),
                                    " does not broadcast to ", DimsToString(target)));
    }
    RETURN_IF_ERROR(ctx.Unify(d, t));
  }
  return absl::OkStatus();
}

// The dtype named by an ONNX stash_type code, among those Kiln computes in.
absl::StatusOr<DType> StashDType(const InferContext& ctx) {
  switch (ctx.node().attr_int("stash_type")) {
    case 1: return DType::kF32;
    case 10: return DType::kF16;
    case 11: return DType::kF64;
    case 16: return DType::kBF16;
    default:
      return ctx.Error(absl::StrCat("stash_type ", ctx.node().attr_int("stash_type"),
                                    " is not a floating-point type"));
  }
}

absl::Status ExpectFloat(const InferContext& ctx, int i) {
  if (IsFloat(ctx.input_dtype(i))) return absl::OkStatus();
  return ctx.Error(
      absl::StrCat("input ", i, " must be a float tensor, got ", DTypeName(ctx.input_dtype(i))));
}

}  // namespace

absl::Status InferReduce(InferContext& ctx) {
  DType t = ctx.input_dtype(0);
  OpKind op = ctx.node().op();
  bool is_minmax = op == OpKind::kReduceMax || op == OpKind::kReduceMin;
  if (t == DType::kBool && !is_minmax) {
    return ctx.Error("cannot sum or average a bool tensor");
  }
  ASSIGN_OR_RETURN(ReduceAxes axes, GetReduceAxes(ctx));
  const std::vector<DimExpr>& in = ctx.input_dims(0);
  const bool keepdims = ctx.node().attr_int("keepdims") != 0;
  if (axes.identity) {
    ctx.SetOutput(0, ctx.input_type(0));
    if (const auto* sym = ctx.input_sym(0)) ctx.SetOutputSym(0, *sym);
    return absl::OkStatus();
  }
  std::vector<DimExpr> out;
  if (!axes.mask) {
    // Which axes are reduced is runtime data: each dim that may be reduced is data-dependent.
    int64_t out_rank = keepdims ? ctx.input_rank(0) : ctx.input_rank(0) - axes.count;
    for (int64_t i = 0; i < out_rank; ++i) {
      bool one = keepdims && in[i].as_const() == 1;
      out.push_back(one ? DimExpr(1) : ctx.DataDependentDim(0, i));
    }
    ctx.SetOutput(0, t, std::move(out));
    return absl::OkStatus();
  }
  for (size_t i = 0; i < in.size(); ++i) {
    if (!(*axes.mask)[i]) {
      out.push_back(in[i]);
    } else if (keepdims) {
      out.push_back(DimExpr(1));
    }
  }
  ctx.SetOutput(0, t, std::move(out));
  if (auto sym = ReduceSym(ctx, *axes.mask)) ctx.SetOutputSym(0, std::move(*sym));
  return absl::OkStatus();
}

absl::Status InferArgMax(InferContext& ctx) {
  if (ctx.input_dtype(0) == DType::kBool) return ctx.Error("ArgMax of a bool tensor");
  const int64_t rank = ctx.input_rank(0);
  ASSIGN_OR_RETURN(int64_t axis, AxisIn(ctx, ctx.node().attr_int("axis"), rank, "axis"));
  if (ctx.input_dims(0)[axis].as_const() == 0) {
    return ctx.Error(absl::StrCat("the arg-reduced axis ", axis, " has size 0"));
  }
  std::vector<DimExpr> out;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != axis) {
      out.push_back(ctx.input_dims(0)[i]);
    } else if (ctx.node().attr_int("keepdims") != 0) {
      out.push_back(DimExpr(1));
    }
  }
  ctx.SetOutput(0, DType::kI64, std::move(out));
  return absl::OkStatus();
}

absl::Status InferSoftmax(InferContext& ctx) {
  RETURN_IF_ERROR(ExpectFloat(ctx, 0));
  RETURN_IF_ERROR(AxisIn(ctx, ctx.node().attr_int("axis"), ctx.input_rank(0), "axis").status());
  ctx.SetOutput(0, ctx.input_type(0));
  return absl::OkStatus();
}

absl::Status InferLayerNorm(InferContext& ctx) {
  RETURN_IF_ERROR(ExpectFloat(ctx, 0));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
  const int64_t rank = ctx.input_rank(0);
  ASSIGN_OR_RETURN(int64_t axis, AxisIn(ctx, ctx.node().attr_int("axis"), rank, "axis"));
  ASSIGN_OR_RETURN(DType stash, StashDType(ctx));
  const std::vector<DimExpr>& x = ctx.input_dims(0);
  RETURN_IF_ERROR(ExpectUnidirectional(ctx, 1, x));
  if (ctx.has_input(2)) RETURN_IF_ERROR(ExpectUnidirectional(ctx, 2, x));
  std::vector<DimExpr> stat_dims(x.begin(), x.begin() + axis);
  stat_dims.resize(rank, DimExpr(1));
  ctx.SetOutput(0, ctx.input_type(0));
  for (int i = 1; i < ctx.num_outputs(); ++i) ctx.SetOutput(i, stash, stat_dims);
  return absl::OkStatus();
}

absl::Status InferRMSNorm(InferContext& ctx) {
  RETURN_IF_ERROR(ExpectFloat(ctx, 0));
  RETURN_IF_ERROR(ExpectFloat(ctx, 1));
  if (ctx.input_dtype(1) != ctx.input_dtype(0)) {
    // ONNX types Y as the scale's type but computes it in X's type; only equal types agree.
    return ctx.Unsupported("scale and X of different dtypes");
  }
  RETURN_IF_ERROR(AxisIn(ctx, ctx.node().attr_int("axis"), ctx.input_rank(0), "axis").status());
  RETURN_IF_ERROR(StashDType(ctx).status());
  RETURN_IF_ERROR(ExpectUnidirectional(ctx, 1, ctx.input_dims(0)));
  ctx.SetOutput(0, ctx.input_type(0));
  return absl::OkStatus();
}

absl::Status InferCumSum(InferContext& ctx) {
  DType t = ctx.input_dtype(0);
  if (t == DType::kBool || t == DType::kI8 || t == DType::kI16 || t == DType::kU8 ||
      t == DType::kU16) {
    return ctx.Error(absl::StrCat("CumSum of ", DTypeName(t), " is not defined"));
  }
  RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI32, DType::kI64}));
  const int64_t rank = ctx.input_rank(0);
  if (rank == 0) return ctx.Error("input must have rank >= 1");
  if (ctx.input_rank(1) > 1 || (ctx.input_rank(1) == 1 && ctx.input_dims(1)[0].as_const() != 1)) {
    return ctx.Error("axis must be a scalar");
  }
  if (auto axis = ctx.input_ints(1); axis && axis->size() == 1) {
    RETURN_IF_ERROR(AxisIn(ctx, (*axis)[0], rank, "axis").status());
  }
  ctx.SetOutput(0, ctx.input_type(0));
  return absl::OkStatus();
}

absl::Status InferTopK(InferContext& ctx) {
  if (ctx.input_dtype(0) == DType::kBool) return ctx.Error("TopK of a bool tensor");
  RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI64}));
  const int64_t rank = ctx.input_rank(0);
  ASSIGN_OR_RETURN(int64_t axis, AxisIn(ctx, ctx.node().attr_int("axis"), rank, "axis"));
  if (ctx.input_rank(1) > 1) return ctx.Error("K must be a 1-D tensor of one element");
  if (ctx.input_rank(1) == 1) RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(1)[0], DimExpr(1)));
  std::vector<DimExpr> dims = ctx.input_dims(0);
  const DimExpr n = dims[axis];
  std::optional<DimExpr> k;
  if (auto ints = ctx.input_ints(1); ints && ints->size() == 1) {
    k = DimExpr((*ints)[0]);
  } else if (const auto* sym = ctx.input_sym(1); sym && sym->size() == 1) {
    k = (*sym)[0];
  }
  if (k) {
    if (auto c = k->as_const(); c && *c < 0) {
      return ctx.Error(absl::StrCat("K = ", *c, " is negative"));
    }
    if (auto c = k->as_const(), cn = n.as_const(); c && cn && *c > *cn) {
      return ctx.Error(absl::StrCat("K = ", *c, " exceeds the axis size ", *cn));
    }
    RETURN_IF_ERROR(ctx.Assume(*k, DimConstraint::Kind::kLe, n));
    dims[axis] = *k;
  } else {
    dims[axis] = ctx.DataDependentDim(0, axis);
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  ctx.SetOutput(1, DType::kI64, dims);
  return absl::OkStatus();
}

}  // namespace kiln
