// Shape inference: Slice, Split and Concat. Slice bounds may be symbolic (position_ids[:, :seq]
// of a [1,512] table); where clamping cannot be decided statically the bound is assumed to
// be in range and the assumption becomes a runtime-checked constraint (`seq <= 512`), so the
// result stays a plain polynomial instead of an opaque min().
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ir/infer/shape_util.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

using infer::IsDataDependent;
using infer::StaticDims;
using infer::SymContents;

namespace {

// Bounds at least this large (INT64_MAX, INT32_MAX, ...) mean "to the end", whatever the dim.
constexpr int64_t kHugeBound = int64_t{1} << 31;

// Provably a <= b, provably a > b, or unknown.
std::optional<bool> ProveLe(const DimExpr& a, const DimExpr& b) {
  DimExpr diff = b - a;
  if (auto c = diff.as_const()) return *c >= 0;
  if (auto lb = diff.LowerBound(); lb && *lb >= 0) return true;
  if (auto lb = (a - b).LowerBound(); lb && *lb > 0) return false;
  return std::nullopt;
}

// Returns min(max(v, lo), hi) when it can be decided, else assumes lo <= v <= hi (recorded
// as runtime constraints) and returns v. Nullopt when that would need data-dependent symbols.
std::optional<DimExpr> Clamp(InferContext& ctx, const DimExpr& v, const DimExpr& lo,
                             const DimExpr& hi) {
  auto ge_lo = ProveLe(lo, v);
  if (ge_lo == false) return lo;
  auto le_hi = ProveLe(v, hi);
  if (le_hi == false) return hi;
  if (ge_lo && le_hi) return v;
  if (IsDataDependent(v) || IsDataDependent(lo) || IsDataDependent(hi)) return std::nullopt;
  if (!ge_lo && !infer::AssumeLe(ctx, lo, v).ok()) return std::nullopt;
  if (!le_hi && !infer::AssumeLe(ctx, v, hi).ok()) return std::nullopt;
  return v;
}

// Normalises a start or end bound `v` of a slice along a dim of size `d`, as ONNX does:
// negative counts from the end, then clamp to [0, d] (step > 0) or [-1, d-1] (step < 0,
// where -1 means "before the first element"; starts clamp to [0, d-1]).
std::optional<DimExpr> NormalizeBound(InferContext& ctx, const DimExpr& v, const DimExpr& d,
                                      bool is_end, bool forward) {
  DimExpr lo = (forward || !is_end) ? DimExpr(0) : DimExpr(-1);
  DimExpr hi = forward ? d : d - 1;
  if (auto c = v.as_const()) {
    if (*c >= kHugeBound) return hi;
    if (*c <= -kHugeBound) return lo;
    if (*c < 0) return Clamp(ctx, d + v, lo, hi);
    return Clamp(ctx, v, lo, hi);
  }
  // Symbolic bounds: dims are non-negative; `-seq` style bounds count from the end.
  if (auto lb = v.LowerBound(); lb && *lb >= 0) return Clamp(ctx, v, lo, hi);
  if (auto lb = (-v).LowerBound(); lb && *lb > 0) return Clamp(ctx, d + v, lo, hi);
  return std::nullopt;
}

// Output length along one axis, and the normalised start.
struct SliceAxis {
  DimExpr start;
  DimExpr length;
};

std::optional<SliceAxis> SliceDim(InferContext& ctx, const DimExpr& d, const DimExpr& start,
                                  const DimExpr& end, int64_t step) {
  bool forward = step > 0;
  auto s = NormalizeBound(ctx, start, d, false, forward);
  auto e = NormalizeBound(ctx, end, d, true, forward);
  if (!s || !e) return std::nullopt;
  DimExpr span = forward ? *e - *s : *s - *e;
  // |INT64_MIN| does not fit; INT64_MAX gives the same length for any span.
  DimExpr mag(forward ? step : (step == INT64_MIN ? INT64_MAX : -step));
  auto nonneg = ProveLe(DimExpr(0), span);
  if (nonneg == false) return SliceAxis{*s, DimExpr(0)};
  if (!nonneg) {
    if (IsDataDependent(span)) return std::nullopt;
    const DimExpr& lo = forward ? *s : *e;
    const DimExpr& hi = forward ? *e : *s;
    if (!infer::AssumeLe(ctx, lo, hi).ok()) return std::nullopt;
  }
  return SliceAxis{*s, DimExpr::CeilDiv(span, mag)};
}

}  // namespace

// Checks Slice's index inputs and returns how many axes it slices.
static absl::StatusOr<int64_t> CheckSliceInputs(InferContext& ctx) {
  ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, 1, {DType::kI32, DType::kI64}));
  RETURN_IF_ERROR(ctx.ExpectSameDType({1, 2, 3, 4}));
  for (int i : {2, 3, 4}) {
    if (!ctx.has_input(i)) continue;
    ASSIGN_OR_RETURN(int64_t len, infer::VectorInputLength(ctx, i, {DType::kI32, DType::kI64}));
    if (len != n) return ctx.Error(absl::StrCat("input ", i, " has ", len, " entries, expected ", n));
  }
  int64_t rank = ctx.input_rank(0);
  if (n > rank) return ctx.Error(absl::StrCat("slices ", n, " axes of a rank-", rank, " input"));
  return n;
}

// The sliced axes, normalised; nullopt when they depend on data.
static absl::StatusOr<std::optional<std::vector<int64_t>>> SliceAxes(InferContext& ctx,
                                                                     int64_t n) {
  std::vector<int64_t> axes;
  if (!ctx.has_input(3)) {
    for (int64_t a = 0; a < n; ++a) axes.push_back(a);
    return std::optional<std::vector<int64_t>>(std::move(axes));
  }
  auto ints = ctx.input_ints(3);
  if (!ints) return std::optional<std::vector<int64_t>>();
  for (int64_t a : *ints) {
    ASSIGN_OR_RETURN(int64_t x, ctx.NormalizeAxis(a, ctx.input_rank(0)));
    if (std::find(axes.begin(), axes.end(), x) != axes.end()) {
      return ctx.Error(absl::StrCat("axis ", a, " is repeated"));
    }
    axes.push_back(x);
  }
  return std::optional<std::vector<int64_t>>(std::move(axes));
}

absl::Status InferSlice(InferContext& ctx) {
  ASSIGN_OR_RETURN(int64_t n, CheckSliceInputs(ctx));
  int64_t rank = ctx.input_rank(0);
  const auto& in = ctx.input_dims(0);
  std::vector<DimExpr> dims = in;
  ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> axes, SliceAxes(ctx, n));
  if (!axes) {  // Any axis may be sliced.
    for (int64_t d = 0; d < rank; ++d) dims[d] = ctx.DataDependentDim(0, d);
    ctx.SetOutput(0, ctx.input_dtype(0), dims);
    return absl::OkStatus();
  }
  std::optional<std::vector<int64_t>> steps =
      ctx.has_input(4) ? ctx.input_ints(4) : std::vector<int64_t>(n, 1);
  if (steps && std::find(steps->begin(), steps->end(), 0) != steps->end()) {
    return ctx.Error("steps must not be 0");
  }
  auto starts = SymContents(ctx, 1), ends = SymContents(ctx, 2);
  std::vector<DimExpr> first(rank, DimExpr(0));
  std::vector<int64_t> stride(rank, 1);
  bool exact = true;
  for (int64_t i = 0; i < n; ++i) {
    int64_t a = (*axes)[i];
    std::optional<SliceAxis> r;
    if (starts && ends && steps) r = SliceDim(ctx, in[a], (*starts)[i], (*ends)[i], (*steps)[i]);
    if (!r) {
      dims[a] = ctx.DataDependentDim(0, a);
      exact = false;
      continue;
    }
    dims[a] = r->length;
    first[a] = r->start;
    stride[a] = (*steps)[i];
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  auto shape = StaticDims(in);
  auto first_c = StaticDims(first);
  if (!exact || !shape || !first_c) return absl::OkStatus();
  std::vector<int64_t> strides = infer::Strides(*shape);
  infer::PropagateSym(ctx, 0, dims, [&](const std::vector<int64_t>& c) {
    int64_t idx = 0;
    for (size_t a = 0; a < c.size(); ++a) idx += ((*first_c)[a] + c[a] * stride[a]) * strides[a];
    return std::optional<int64_t>(idx);
  });
  return absl::OkStatus();
}

absl::Status InferConcat(InferContext& ctx) {
  int64_t rank = ctx.input_rank(0);
  if (rank == 0) return ctx.Error("cannot concatenate scalars");
  ASSIGN_OR_RETURN(int64_t axis, ctx.NormalizeAxis(ctx.node().attr_int("axis"), rank));
  std::vector<DimExpr> dims = ctx.input_dims(0);
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    RETURN_IF_ERROR(ctx.ExpectSameDType({0, i}));
    if (ctx.input_rank(i) != rank) {
      return ctx.Error(absl::StrCat("input ", i, " has rank ", ctx.input_rank(i), ", expected ",
                                    rank));
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) continue;
      RETURN_IF_ERROR(ctx.Unify(dims[d], ctx.input_dims(i)[d]));
    }
    dims[axis] = dims[axis] + ctx.input_dims(i)[axis];
  }
  for (DimExpr& d : dims) d = ctx.Canon(d);
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  // Symbolic contents: row-major blocks of each input, one after the other per outer index.
  if (!infer::IsSymDType(ctx.input_dtype(0))) return absl::OkStatus();
  std::vector<std::vector<int64_t>> shapes;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    auto s = StaticDims(ctx.input_dims(i));
    if (!s || ctx.input_sym(i) == nullptr) return absl::OkStatus();
    shapes.push_back(*s);
  }
  auto out_shape = StaticDims(dims);
  int64_t count = out_shape ? infer::SmallCount(*out_shape) : -1;
  if (count < 0) return absl::OkStatus();
  int64_t outer = 1;
  for (int64_t d = 0; d < axis && count > 0; ++d) outer *= shapes[0][d];
  std::vector<DimExpr> vals;
  if (count == 0) outer = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      int64_t block = 1;
      for (int64_t d = axis; d < rank; ++d) block *= shapes[i][d];
      const std::vector<DimExpr>& src = *ctx.input_sym(i);
      if (static_cast<int64_t>(src.size()) < (o + 1) * block) return absl::OkStatus();
      vals.insert(vals.end(), src.begin() + o * block, src.begin() + (o + 1) * block);
      if (static_cast<int64_t>(vals.size()) > kMaxSymValueElements) return absl::OkStatus();
    }
  }
  ctx.SetOutputSym(0, std::move(vals));
  return absl::OkStatus();
}

absl::Status InferSplit(InferContext& ctx) {
  int64_t rank = ctx.input_rank(0);
  ASSIGN_OR_RETURN(int64_t axis, ctx.NormalizeAxis(ctx.node().attr_int("axis"), rank));
  int nout = ctx.num_outputs();
  const DimExpr& dim = ctx.input_dims(0)[axis];
  std::vector<DimExpr> sizes;
  if (ctx.has_input(1)) {
    if (ctx.node().attr_int_opt("num_outputs")) {
      return ctx.Error("split input and num_outputs attribute are exclusive");
    }
    ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, 1, {DType::kI64}));
    if (n != nout) return ctx.Error(absl::StrCat("split has ", n, " entries for ", nout, " outputs"));
    if (auto vals = SymContents(ctx, 1)) {
      DimExpr sum(0);
      for (const DimExpr& v : *vals) {
        if (auto c = v.as_const(); c && *c < 0) return ctx.Error("split has a negative entry");
        sum = sum + v;
      }
      if (!IsDataDependent(sum) && !IsDataDependent(dim)) RETURN_IF_ERROR(ctx.Unify(sum, dim));
      sizes = *vals;
    } else {
      for (int k = 0; k < nout; ++k) sizes.push_back(ctx.DataDependentDim(k, axis));
    }
  } else {
    std::optional<int64_t> num = ctx.node().attr_int_opt("num_outputs");
    if (!num) return ctx.Error("needs either the split input or the num_outputs attribute");
    if (*num != nout) {
      return ctx.Error(absl::StrCat("num_outputs is ", *num, " but the node has ", nout,
                                    " outputs"));
    }
    // Chunks of ceil(dim / n); the last one takes what is left.
    DimExpr chunk = DimExpr::CeilDiv(dim, DimExpr(nout));
    for (int k = 0; k + 1 < nout; ++k) sizes.push_back(chunk);
    DimExpr last = dim - DimExpr(nout - 1) * chunk;
    if (auto c = last.as_const(); c && *c < 0) {
      return ctx.Error(absl::StrCat("cannot split ", dim.ToString(), " into ", nout, " chunks"));
    }
    sizes.push_back(last);
  }
  std::vector<int64_t> offset(nout, 0);
  for (int k = 0; k < nout; ++k) {
    std::vector<DimExpr> dims = ctx.input_dims(0);
    dims[axis] = sizes[k];
    ctx.SetOutput(k, ctx.input_dtype(0), dims);
  }
  // Symbolic contents for splits of a static vector.
  auto shape = StaticDims(ctx.input_dims(0));
  auto sz = StaticDims(sizes);
  if (rank == 1 && shape && sz) {
    int64_t pos = 0;
    for (int k = 0; k < nout; ++k) {
      int64_t base = pos;
      infer::PropagateSym(ctx, 0, {DimExpr((*sz)[k])}, [base](const std::vector<int64_t>& c) {
        return std::optional<int64_t>(base + c[0]);
      }, k);
      pos += (*sz)[k];
    }
  }
  return absl::OkStatus();
}

}  // namespace kiln
