// Shape inference: ops that reorder or replicate elements (Transpose, Expand, Tile, Pad).
// Symbolic contents follow each output element back to the input element it copies.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ir/infer/shape_util.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {

using infer::IsDataDependent;
using infer::StaticDims;
using infer::SymContents;

absl::Status InferTranspose(InferContext& ctx) {
  int64_t rank = ctx.input_rank(0);
  std::vector<int64_t> perm;
  if (const std::vector<int64_t>* p = ctx.node().attr_ints("perm")) {
    perm = *p;
    if (static_cast<int64_t>(perm.size()) != rank) {
      return ctx.Error(absl::StrCat("perm has ", perm.size(), " entries for rank ", rank));
    }
    std::vector<bool> seen(rank, false);
    for (int64_t& a : perm) {
      ASSIGN_OR_RETURN(a, ctx.NormalizeAxis(a, rank));
      if (seen[a]) return ctx.Error(absl::StrCat("perm repeats axis ", a));
      seen[a] = true;
    }
  } else {
    for (int64_t a = rank - 1; a >= 0; --a) perm.push_back(a);
  }
  const auto& in = ctx.input_dims(0);
  std::vector<DimExpr> dims;
  for (int64_t a : perm) dims.push_back(in[a]);
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  if (auto shape = StaticDims(in)) {
    std::vector<int64_t> strides = infer::Strides(*shape);
    infer::PropagateSym(ctx, 0, dims, [&](const std::vector<int64_t>& c) {
      int64_t idx = 0;
      for (size_t a = 0; a < c.size(); ++a) idx += c[a] * strides[perm[a]];
      return std::optional<int64_t>(idx);
    });
  }
  return absl::OkStatus();
}

// Numpy-broadcast coordinate mapping from `out` to a static input `in` shape.
static infer::SymIndexFn BroadcastIndex(std::vector<int64_t> in, size_t out_rank) {
  return [in = std::move(in), out_rank](const std::vector<int64_t>& c) {
    std::vector<int64_t> strides = infer::Strides(in);
    int64_t idx = 0;
    size_t off = out_rank - in.size();
    for (size_t a = 0; a < in.size(); ++a) idx += (in[a] == 1 ? 0 : c[a + off]) * strides[a];
    return std::optional<int64_t>(idx);
  };
}

absl::Status InferExpand(InferContext& ctx) {
  ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, 1, {DType::kI64}));
  const auto& in = ctx.input_dims(0);
  std::vector<std::optional<DimExpr>> target = infer::PartialContents(ctx, 1, n);
  int64_t in_rank = static_cast<int64_t>(in.size());
  int64_t rank = std::max(n, in_rank);
  std::vector<DimExpr> dims;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t k = d - (rank - in_rank), j = d - (rank - n);
    DimExpr from = k >= 0 ? in[k] : DimExpr(1);
    if (j >= 0 && target[j]) {
      if (auto c = target[j]->as_const(); c && *c < 0) {
        return ctx.Error(absl::StrCat("shape has negative dimension ", *c));
      }
      ASSIGN_OR_RETURN(DimExpr out, ctx.BroadcastDim(from, *target[j]));
      dims.push_back(out);
    } else if (from.as_const() != 1) {
      dims.push_back(from);  // Broadcasting leaves a dim other than 1 unchanged.
    } else {
      dims.push_back(ctx.DataDependentDim(0, d));
    }
  }
  for (DimExpr& d : dims) d = ctx.Canon(d);
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  if (auto shape = StaticDims(in)) infer::PropagateSym(ctx, 0, dims, BroadcastIndex(*shape, dims.size()));
  return absl::OkStatus();
}

absl::Status InferTile(InferContext& ctx) {
  ASSIGN_OR_RETURN(int64_t n, infer::VectorInputLength(ctx, 1, {DType::kI64}));
  int64_t rank = ctx.input_rank(0);
  if (n != rank) {
    return ctx.Error(absl::StrCat("repeats has ", n, " entries for input rank ", rank));
  }
  const auto& in = ctx.input_dims(0);
  std::vector<DimExpr> dims;
  auto reps = SymContents(ctx, 1);
  for (int64_t d = 0; d < rank; ++d) {
    if (!reps) {
      dims.push_back(ctx.DataDependentDim(0, d));
      continue;
    }
    if (auto c = (*reps)[d].as_const(); c && *c < 0) {
      return ctx.Error(absl::StrCat("repeats has negative entry ", *c));
    }
    dims.push_back(in[d] * (*reps)[d]);
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  if (auto shape = StaticDims(in)) {
    std::vector<int64_t> strides = infer::Strides(*shape);
    infer::PropagateSym(ctx, 0, dims, [&](const std::vector<int64_t>& c) {
      int64_t idx = 0;
      for (size_t a = 0; a < c.size(); ++a) idx += (c[a] % (*shape)[a]) * strides[a];
      return std::optional<int64_t>(idx);
    });
  }
  return absl::OkStatus();
}

absl::Status InferPad(InferContext& ctx) {
  std::string mode = ctx.node().attr_string("mode");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return ctx.Error(absl::StrCat("unknown mode '", mode, "'"));
  }
  int64_t rank = ctx.input_rank(0);
  ASSIGN_OR_RETURN(int64_t npads, infer::VectorInputLength(ctx, 1, {DType::kI64}));
  if (ctx.has_input(2)) {
    RETURN_IF_ERROR(ctx.ExpectSameDType({0, 2}));
    if (ctx.input_type(2).NumElements() != DimExpr(1)) {
      return ctx.Error("constant_value must hold one element");
    }
  }
  std::optional<std::vector<int64_t>> axes;
  int64_t naxes = rank;
  if (ctx.has_input(3)) {
    ASSIGN_OR_RETURN(naxes, infer::VectorInputLength(ctx, 3, {DType::kI32, DType::kI64}));
    if (auto ints = ctx.input_ints(3)) {
      axes.emplace();
      for (int64_t a : *ints) {
        ASSIGN_OR_RETURN(int64_t n, ctx.NormalizeAxis(a, rank));
        if (std::find(axes->begin(), axes->end(), n) != axes->end()) {
          return ctx.Error(absl::StrCat("axis ", a, " is repeated"));
        }
        axes->push_back(n);
      }
    }
  } else {
    axes.emplace();
    for (int64_t a = 0; a < rank; ++a) axes->push_back(a);
  }
  if (npads != 2 * naxes) {
    return ctx.Error(absl::StrCat("pads has ", npads, " entries, expected ", 2 * naxes));
  }
  std::vector<DimExpr> dims = ctx.input_dims(0);
  auto pads = SymContents(ctx, 1);
  for (int64_t d = 0; d < rank; ++d) {
    if (!axes) {
      dims[d] = ctx.DataDependentDim(0, d);
      continue;
    }
    auto it = std::find(axes->begin(), axes->end(), d);
    if (it == axes->end()) continue;
    if (!pads) {
      dims[d] = ctx.DataDependentDim(0, d);
      continue;
    }
    size_t i = it - axes->begin();
    dims[d] = dims[d] + (*pads)[i] + (*pads)[i + naxes];
    if (auto c = dims[d].as_const(); c && *c < 0) {
      return ctx.Error(absl::StrCat("pads make axis ", d, " negative (", *c, ")"));
    }
  }
  ctx.SetOutput(0, ctx.input_dtype(0), dims);
  return absl::OkStatus();
}

}  // namespace kiln
