// Reference kernels: ops that reorder or replicate elements (Transpose, Expand, Tile, Pad),
// each as an IndexedCopy with its own per-axis offsets.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/reference/shape_util.h"

namespace kiln::reference {

KernelResult RefTranspose(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  int64_t rank = x.rank();
  std::vector<int64_t> perm;
  if (const std::vector<int64_t>* p = ctx.node.attr_ints("perm")) {
    perm = *p;
  } else {
    for (int64_t a = rank - 1; a >= 0; --a) perm.push_back(a);
  }
  if (static_cast<int64_t>(perm.size()) != rank) return ctx.Error("perm does not match rank");
  std::vector<int64_t> strides = ElementStrides(x.shape());
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> offsets;
  for (int64_t a : perm) {
    ASSIGN_OR_RETURN(a, KernelAxis(ctx, a, rank));
    shape.push_back(x.shape()[a]);
    std::vector<int64_t> off(x.shape()[a]);
    for (int64_t i = 0; i < x.shape()[a]; ++i) off[i] = i * strides[a];
    offsets.push_back(std::move(off));
  }
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), shape));
  IndexedCopy(x, out, offsets);
  return One(std::move(out));
}

KernelResult RefExpand(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> target = ReadInts(ctx.input(1));
  size_t rank = std::max<size_t>(target.size(), x.rank());
  std::vector<int64_t> in(rank, 1), shape(rank, 1);
  std::copy(x.shape().begin(), x.shape().end(), in.end() - x.rank());
  std::copy(target.begin(), target.end(), shape.end() - target.size());
  for (size_t a = 0; a < rank; ++a) {
    if (shape[a] < 0) return ctx.Error(absl::StrCat("shape has negative dimension ", shape[a]));
    if (in[a] == shape[a] || shape[a] == 1) {
      shape[a] = in[a];
    } else if (in[a] != 1) {
      return ctx.Error(absl::StrCat("cannot expand ", x.TypeString(), " to [",
                                    absl::StrJoin(target, ","), "]"));
    }
  }
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), shape));
  if (out.num_elements() == 0) return One(std::move(out));
  std::vector<int64_t> strides = ElementStrides(in);
  std::vector<std::vector<int64_t>> offsets(rank);
  for (size_t a = 0; a < rank; ++a) {
    for (int64_t i = 0; i < shape[a]; ++i) offsets[a].push_back(in[a] == 1 ? 0 : i * strides[a]);
  }
  IndexedCopy(x, out, offsets);
  return One(std::move(out));
}

KernelResult RefTile(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> reps = ReadInts(ctx.input(1));
  if (static_cast<int64_t>(reps.size()) != x.rank()) {
    return ctx.Error("repeats must have one entry per input dim");
  }
  std::vector<int64_t> shape;
  for (int64_t a = 0; a < x.rank(); ++a) {
    if (reps[a] < 0) return ctx.Error(absl::StrCat("repeats has negative entry ", reps[a]));
    int64_t n;
    if (__builtin_mul_overflow(x.shape()[a], reps[a], &n)) return ctx.Error("output is too large");
    shape.push_back(n);
  }
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), shape));
  if (out.num_elements() == 0) return One(std::move(out));
  std::vector<int64_t> strides = ElementStrides(x.shape());
  std::vector<std::vector<int64_t>> offsets(x.rank());
  for (int64_t a = 0; a < x.rank(); ++a) {
    for (int64_t i = 0; i < shape[a]; ++i) {
      offsets[a].push_back((i % x.shape()[a]) * strides[a]);
    }
  }
  IndexedCopy(x, out, offsets);
  return One(std::move(out));
}

namespace {

// The input coordinate that output coordinate `i` of a padded axis reads, or kFillOffset.
int64_t PadSource(int64_t i, int64_t before, int64_t d, const std::string& mode) {
  int64_t j = i - before;
  if (j >= 0 && j < d) return j;
  if (mode == "constant" || d == 0) return kFillOffset;
  if (mode == "edge") return j < 0 ? 0 : d - 1;
  if (mode == "wrap") return ((j % d) + d) % d;
  // reflect: mirror without repeating the edge; period 2(d-1).
  if (d == 1) return 0;
  int64_t period = 2 * (d - 1);
  int64_t k = ((j % period) + period) % period;
  return k < d ? k : period - k;
}

}  // namespace

KernelResult RefPad(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  int64_t rank = x.rank();
  std::string mode = ctx.node.attr_string("mode");
  std::vector<int64_t> raw = ReadInts(ctx.input(1));
  std::vector<int64_t> axes;
  if (ctx.has_input(3)) {
    for (int64_t a : ReadInts(ctx.input(3))) {
      ASSIGN_OR_RETURN(int64_t n, KernelAxis(ctx, a, rank));
      if (std::find(axes.begin(), axes.end(), n) != axes.end()) return ctx.Error("repeated axis");
      axes.push_back(n);
    }
  } else {
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  }
  if (raw.size() != 2 * axes.size()) return ctx.Error("pads must have 2 entries per axis");
  std::vector<int64_t> before(rank, 0), after(rank, 0);
  for (size_t k = 0; k < axes.size(); ++k) {
    before[axes[k]] = raw[k];
    after[axes[k]] = raw[k + axes.size()];
  }
  std::vector<int64_t> shape(rank);
  for (int64_t a = 0; a < rank; ++a) {
    int64_t d = x.shape()[a];
    if (__builtin_add_overflow(d, before[a], &shape[a]) ||
        __builtin_add_overflow(shape[a], after[a], &shape[a])) {
      return ctx.Error("output is too large");
    }
    if (shape[a] < 0) return ctx.Error(absl::StrCat("pads make axis ", a, " negative"));
    if (shape[a] > 0 && d == 0 && mode != "constant") {
      return ctx.Error(absl::StrCat("cannot pad empty axis ", a, " in ", mode, " mode"));
    }
  }
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), shape));
  if (out.num_elements() == 0) return One(std::move(out));
  std::vector<int64_t> strides = ElementStrides(x.shape());
  std::vector<std::vector<int64_t>> offsets(rank);
  for (int64_t a = 0; a < rank; ++a) {
    for (int64_t i = 0; i < shape[a]; ++i) {
      int64_t src = PadSource(i, before[a], x.shape()[a], mode);
      offsets[a].push_back(src == kFillOffset ? kFillOffset : src * strides[a]);
    }
  }
  std::vector<uint8_t> zero(DTypeSize(x.dtype()), 0);
  const void* fill = zero.data();
  if (ctx.has_input(2) && ctx.input(2).num_elements() == 1) fill = ctx.input(2).raw_data();
  IndexedCopy(x, out, offsets, fill);
  return One(std::move(out));
}

}  // namespace kiln::reference
