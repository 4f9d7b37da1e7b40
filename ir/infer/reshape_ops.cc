// Shape inference: ops that change a tensor's shape without reordering its elements
// (Reshape, Flatten, Squeeze, Unsqueeze), so symbolic contents pass through unchanged.
#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "ir/infer/shape_util.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

using infer::IsDataDependent;
using infer::SymContents;

namespace {

void PassSym(InferContext& ctx) {
  if (const auto* s = ctx.input_sym(0); s && infer::IsSymDType(ctx.input_dtype(0))) {
    ctx.SetOutputSym(0, *s);
  }
}

// A product of dims as constant * symbolic part.
struct Factored {
  int64_t c = 1;
  DimExpr sym = DimExpr(1);
  bool overflow = false;
  DimExpr value() const { return DimExpr(c) * sym; }
};

// Drops dims that appear on both sides (as a multiset), then factors each side, so that
// [s56,4,s15+s70,16] / [s15+s70,16] is 4*s56 rather than an opaque polynomial quotient.
std::pair<Factored, Factored> CancelCommon(std::vector<DimExpr> a, std::vector<DimExpr> b) {
  for (auto it = a.begin(); it != a.end();) {
    auto match = std::find(b.begin(), b.end(), *it);
    if (match != b.end()) {
      b.erase(match);
      it = a.erase(it);
    } else {
      ++it;
    }
  }
  auto factor = [](const std::vector<DimExpr>& dims) {
    Factored f;
    for (const DimExpr& d : dims) {
      if (auto v = d.as_const()) {
        f.overflow |= __builtin_mul_overflow(f.c, *v, &f.c);
      } else {
        f.sym = f.sym * d;
      }
    }
    return f;
  };
  return {factor(a), factor(b)};
}

// Requires that `from` and `to` hold the same number of elements, so [s33,s50,64] vs
// [s6,s50,4,16] binds s6 to s33. Nothing is recorded over data-dependent symbols: no runtime
// check could evaluate them before they are computed.
absl::Status CheckSameCount(InferContext& ctx, const std::vector<DimExpr>& from,
                            const std::vector<DimExpr>& to) {
  auto [a, b] = CancelCommon(from, to);
  if (a.overflow || b.overflow) return ctx.Error("shape has too many elements");
  if (a.sym.is_const() && b.sym.is_const()) {
    if (a.c != b.c) return ctx.Error(absl::StrCat("cannot reshape ", a.c, " elements into ", b.c));
    return absl::OkStatus();
  }
  if (IsDataDependent(a.sym) || IsDataDependent(b.sym) || a.c == 0 || b.c == 0) {
    return absl::OkStatus();
  }
  int64_t g = std::gcd(a.c, b.c);
  return ctx.Unify(DimExpr(a.c / g) * a.sym, DimExpr(b.c / g) * b.sym);
}

// The -1 entry of a Reshape target: what `in` leaves after the `known` dims.
absl::StatusOr<DimExpr> InferMinusOne(InferContext& ctx, const std::vector<DimExpr>& in,
                                      const std::vector<DimExpr>& known) {
  auto [a, b] = CancelCommon(in, known);
  if (a.overflow || b.overflow) return ctx.Error("shape has too many elements");
  if (b.c == 0) return ctx.Error("cannot infer -1: the other dims multiply to 0");
  if (a.sym.is_const() && b.sym.is_const() && a.c % b.c != 0) {
    return ctx.Error(absl::StrCat("cannot reshape ", a.c, " elements into a multiple of ", b.c));
  }
  int64_t g = std::gcd(a.c, b.c);
  a.c /= g;
  b.c /= g;
  DimExpr q = DimExpr::FloorDiv(a.value(), b.value());
  if (q * b.value() != a.value() && !IsDataDependent(a.sym) && !IsDataDependent(b.sym)) {
    // Not provably exact (e.g. div(n,3)): the runtime checks that it divides.
    RETURN_IF_ERROR(ctx.Unify(a.value(), q * b.value()));
  }
  return q;
}

// Resolves the Reshape target `vals` against input dims `in`: 0 copies a dim (unless
// allowzero), one -1 takes what is left.
absl::StatusOr<std::vector<DimExpr>> ResolveReshape(InferContext& ctx,
                                                    const std::vector<DimExpr>& in,
                                                    std::vector<DimExpr> vals, bool allowzero) {
  int infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < vals.size(); ++i) {
    auto c = vals[i].as_const();
    if (!c) continue;
    if (*c == -1) {
      if (infer_at >= 0) return ctx.Error("shape has more than one -1");
      infer_at = static_cast<int>(i);
    } else if (*c == 0) {
      has_zero = true;
      if (allowzero) continue;
      if (i >= in.size()) {
        return ctx.Error(absl::StrCat("shape copies dim ", i, " (0) but the input has rank ",
                                      in.size()));
      }
      vals[i] = in[i];
    } else if (*c < -1) {
      return ctx.Error(absl::StrCat("shape has invalid dimension ", *c));
    }
  }
  if (allowzero && has_zero && infer_at >= 0) {
    return ctx.Error("shape has both 0 and -1 while allowzero is set");
  }
  if (infer_at < 0) {
    RETURN_IF_ERROR(CheckSameCount(ctx, in, vals));
    return vals;
  }
  std::vector<DimExpr> known = vals;
  known.erase(known.begin() + infer_at);
  ASSIGN_OR_RETURN(vals[infer_at], InferMinusOne(ctx, in, known));
  return vals;
}

}  // namespace

absl::Status InferReshape(InferContext& ctx) {
  ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, 1, {DType::kI64}));
  bool allowzero = ctx.node().attr_int("allowzero") != 0;
  std::vector<DimExpr> dims;
  if (auto vals = SymContents(ctx, 1)) {
    ASSIGN_OR_RETURN(dims, ResolveReshape(ctx, ctx.input_dims(0), *vals, allowzero));
  } else {
    // Entries known from the pieces of a Concat stay; 0 copies; the rest depend on data.
    std::vector<std::optional<DimExpr>> part = infer::PartialContents(ctx, 1, n);
    const auto& in = ctx.input_dims(0);
    for (int64_t d = 0; d < n; ++d) {
      std::optional<int64_t> c = part[d] ? part[d]->as_const() : std::nullopt;
      if (!part[d] || (c && *c < 0)) {
        dims.push_back(ctx.DataDependentDim(0, d));
      } else if (c == 0 && !allowzero) {
        if (d >= static_cast<int64_t>(in.size())) return ctx.Error("shape copies a missing dim");
        dims.push_back(in[d]);
      } else {
        dims.push_back(*part[d]);
      }
    }
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  PassSym(ctx);
  return absl::OkStatus();
}

absl::Status InferFlatten(InferContext& ctx) {
  int64_t rank = ctx.input_rank(0);
  int64_t axis = ctx.node().attr_int("axis");
  if (axis < -rank || axis > rank) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  if (axis < 0) axis += rank;
  const auto& in = ctx.input_dims(0);
  ctx.SetOutput(0, ctx.input_dtype(0),
                {infer::DimProduct(in, 0, axis), infer::DimProduct(in, axis, rank)});
  PassSym(ctx);
  return absl::OkStatus();
}

// Normalised, duplicate-free axes from input `i` (nullopt when data-dependent).
static absl::StatusOr<std::optional<std::vector<int64_t>>> AxesInput(InferContext& ctx, int i,
                                                                     int64_t rank) {
  auto ints = ctx.input_ints(i);
  if (!ints) return std::optional<std::vector<int64_t>>();
  std::vector<int64_t> axes;
  for (int64_t a : *ints) {
    ASSIGN_OR_RETURN(int64_t n, ctx.NormalizeAxis(a, rank));
    if (std::find(axes.begin(), axes.end(), n) != axes.end()) {
      return ctx.Error(absl::StrCat("axis ", a, " is repeated"));
    }
    axes.push_back(n);
  }
  return std::optional<std::vector<int64_t>>(std::move(axes));
}

absl::Status InferSqueeze(InferContext& ctx) {
  const auto& in = ctx.input_dims(0);
  int64_t rank = ctx.input_rank(0);
  std::vector<DimExpr> dims;
  if (!ctx.has_input(1)) {
    // Without axes every size-1 dim goes; a symbolic dim is taken to be not 1 (Kiln does not
    // support symbolic dims that are 1 at runtime, as in broadcasting).
    for (const DimExpr& d : in) {
      if (d.as_const() != 1) dims.push_back(d);
    }
  } else {
    ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, 1, {DType::kI64}));
    ASSIGN_OR_RETURN(auto axes, AxesInput(ctx, 1, rank));
    if (!axes) {
      if (n > rank) return ctx.Error("more axes than input dims");
      for (int64_t d = 0; d < rank - n; ++d) dims.push_back(ctx.DataDependentDim(0, d));
    } else {
      for (int64_t a : *axes) {
        if (auto c = in[a].as_const(); c && *c != 1) {
          return ctx.Error(absl::StrCat("cannot squeeze axis ", a, " of size ", *c));
        }
        if (!in[a].is_const() && !IsDataDependent(in[a])) RETURN_IF_ERROR(ctx.Unify(in[a], 1));
      }
      for (int64_t d = 0; d < rank; ++d) {
        if (std::find(axes->begin(), axes->end(), d) == axes->end()) dims.push_back(in[d]);
      }
    }
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  PassSym(ctx);
  return absl::OkStatus();
}

absl::Status InferUnsqueeze(InferContext& ctx) {
  const auto& in = ctx.input_dims(0);
  ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, 1, {DType::kI64}));
  int64_t out_rank = ctx.input_rank(0) + n;
  ASSIGN_OR_RETURN(auto axes, AxesInput(ctx, 1, out_rank));
  std::vector<DimExpr> dims;
  if (!axes) {
    for (int64_t d = 0; d < out_rank; ++d) dims.push_back(ctx.DataDependentDim(0, d));
  } else {
    size_t next = 0;
    for (int64_t d = 0; d < out_rank; ++d) {
      bool inserted = std::find(axes->begin(), axes->end(), d) != axes->end();
      dims.push_back(inserted ? DimExpr(1) : in[next++]);
    }
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  PassSym(ctx);
  return absl::OkStatus();
}

}  // namespace kiln
