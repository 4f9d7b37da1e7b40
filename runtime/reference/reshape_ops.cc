// Reference kernels: ops that only relabel the shape (Reshape, Flatten, Squeeze, Unsqueeze).
// The output shares the input's buffer.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/reference/shape_util.h"

namespace kiln::reference {
namespace {

KernelResult Relabel(const KernelContext& ctx, std::vector<int64_t> shape) {
  auto t = ctx.input(0).Reshaped(std::move(shape));
  if (!t.ok()) return ctx.Error(t.status().message());
  return One(*std::move(t));
}

// Normalised, duplicate-free axes from input `i`.
absl::StatusOr<std::vector<int64_t>> Axes(const KernelContext& ctx, int i, int64_t rank) {
  std::vector<int64_t> axes;
  for (int64_t a : ReadInts(ctx.input(i))) {
    ASSIGN_OR_RETURN(int64_t n, KernelAxis(ctx, a, rank));
    if (std::find(axes.begin(), axes.end(), n) != axes.end()) {
      return ctx.Error(absl::StrCat("axis ", a, " is repeated"));
    }
    axes.push_back(n);
  }
  return axes;
}

}  // namespace

KernelResult RefReshape(const KernelContext& ctx) {
  const std::vector<int64_t>& in = ctx.input(0).shape();
  std::vector<int64_t> shape = ReadInts(ctx.input(1));
  bool allowzero = ctx.node.attr_int("allowzero") != 0;
  int infer_at = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer_at >= 0) return ctx.Error("shape has more than one -1");
      infer_at = static_cast<int>(i);
      continue;
    }
    if (shape[i] == 0 && !allowzero) {
      if (i >= in.size()) return ctx.Error(absl::StrCat("shape copies missing dim ", i));
      shape[i] = in[i];
    }
    if (shape[i] < 0) return ctx.Error(absl::StrCat("shape has invalid dimension ", shape[i]));
    if (__builtin_mul_overflow(known, shape[i], &known)) return ctx.Error("shape overflows");
  }
  if (infer_at >= 0) {
    int64_t total = ctx.input(0).num_elements();
    if (known == 0 || total % known != 0) {
      return ctx.Error(absl::StrCat("cannot reshape ", ctx.input(0).TypeString(), " to [",
                                    absl::StrJoin(shape, ","), "]"));
    }
    shape[infer_at] = total / known;
  }
  return Relabel(ctx, std::move(shape));
}

KernelResult RefFlatten(const KernelContext& ctx) {
  const std::vector<int64_t>& in = ctx.input(0).shape();
  int64_t rank = ctx.input(0).rank();
  int64_t axis = ctx.node.attr_int("axis");
  if (axis < -rank || axis > rank) return ctx.Error("axis is out of range");
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= in[a];
  int64_t inner = 1;
  for (int64_t a = axis; a < rank; ++a) inner *= in[a];
  return Relabel(ctx, {outer, inner});
}

KernelResult RefSqueeze(const KernelContext& ctx) {
  const std::vector<int64_t>& in = ctx.input(0).shape();
  int64_t rank = ctx.input(0).rank();
  std::vector<int64_t> shape;
  if (!ctx.has_input(1)) {
    for (int64_t d : in) {
      if (d != 1) shape.push_back(d);
    }
    return Relabel(ctx, std::move(shape));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, 1, rank));
  for (int64_t a = 0; a < rank; ++a) {
    if (std::find(axes.begin(), axes.end(), a) == axes.end()) {
      shape.push_back(in[a]);
    } else if (in[a] != 1) {
      return ctx.Error(absl::StrCat("cannot squeeze axis ", a, " of size ", in[a]));
    }
  }
  return Relabel(ctx, std::move(shape));
}

KernelResult RefUnsqueeze(const KernelContext& ctx) {
  const std::vector<int64_t>& in = ctx.input(0).shape();
  int64_t out_rank = ctx.input(0).rank() + ctx.input(1).num_elements();
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, 1, out_rank));
  std::vector<int64_t> shape;
  size_t next = 0;
  for (int64_t a = 0; a < out_rank; ++a) {
    bool inserted = std::find(axes.begin(), axes.end(), a) != axes.end();
    shape.push_back(inserted ? 1 : in[next++]);
  }
  return Relabel(ctx, std::move(shape));
}

}  // namespace kiln::reference
