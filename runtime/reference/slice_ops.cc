// Reference kernels: Slice, Split and Concat.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/reference/shape_util.h"

namespace kiln::reference {
namespace {

// A strided range along one axis: `length` elements from `start` by `step`.
struct Range1D {
  int64_t start = 0, step = 1, length = 0;
};

// ONNX Slice normalisation of one axis of size d.
Range1D NormalizeSlice(int64_t start, int64_t end, int64_t step, int64_t d) {
  auto norm = [d](int64_t v, int64_t lo, int64_t hi) {
    if (v < 0) v = v < -d ? lo - 1 : v + d;  // Avoid overflow for INT64_MIN.
    return std::clamp(v, lo, hi);
  };
  Range1D r;
  r.step = step;
  if (d == 0) return r;
  if (step > 0) {
    r.start = norm(start, 0, d);
    int64_t e = norm(end, 0, d);
    r.length = e > r.start ? 1 + (e - r.start - 1) / step : 0;
  } else {
    r.start = norm(start, 0, d - 1);
    int64_t e = norm(end, -1, d - 1);
    // The step may be INT64_MIN: divide by its magnitude as unsigned.
    uint64_t mag = static_cast<uint64_t>(-(step + 1)) + 1;
    r.length = r.start > e ? 1 + static_cast<int64_t>(static_cast<uint64_t>(r.start - e - 1) / mag)
                           : 0;
  }
  return r;
}

// Copies the sub-block of `in` given by one Range1D per axis.
absl::StatusOr<Tensor> CopyBlock(const KernelContext& ctx, const Tensor& in,
                                 const std::vector<Range1D>& ranges) {
  std::vector<int64_t> shape;
  for (const Range1D& r : ranges) shape.push_back(r.length);
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, in.dtype(), shape));
  if (out.num_elements() == 0) return out;
  std::vector<int64_t> strides = ElementStrides(in.shape());
  std::vector<std::vector<int64_t>> offsets(ranges.size());
  for (size_t a = 0; a < ranges.size(); ++a) {
    for (int64_t i = 0; i < ranges[a].length; ++i) {
      offsets[a].push_back((ranges[a].start + i * ranges[a].step) * strides[a]);
    }
  }
  IndexedCopy(in, out, offsets);
  return out;
}

}  // namespace

KernelResult RefSlice(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  int64_t rank = x.rank();
  std::vector<int64_t> starts = ReadInts(ctx.input(1)), ends = ReadInts(ctx.input(2));
  size_t n = starts.size();
  std::vector<int64_t> axes, steps(n, 1);
  if (ctx.has_input(3)) {
    for (int64_t a : ReadInts(ctx.input(3))) {
      ASSIGN_OR_RETURN(int64_t v, KernelAxis(ctx, a, rank));
      if (std::find(axes.begin(), axes.end(), v) != axes.end()) return ctx.Error("repeated axis");
      axes.push_back(v);
    }
  } else {
    for (size_t a = 0; a < n; ++a) axes.push_back(a);
  }
  if (ctx.has_input(4)) steps = ReadInts(ctx.input(4));
  if (ends.size() != n || axes.size() != n || steps.size() != n) {
    return ctx.Error("starts, ends, axes and steps must have the same length");
  }
  std::vector<Range1D> ranges;
  for (int64_t d : x.shape()) ranges.push_back(Range1D{0, 1, d});
  for (size_t i = 0; i < n; ++i) {
    if (steps[i] == 0) return ctx.Error("steps must not be 0");
    ranges[axes[i]] = NormalizeSlice(starts[i], ends[i], steps[i], x.shape()[axes[i]]);
  }
  ASSIGN_OR_RETURN(Tensor out, CopyBlock(ctx, x, ranges));
  return One(std::move(out));
}

KernelResult RefSplit(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ASSIGN_OR_RETURN(int64_t axis, KernelAxis(ctx, ctx.node.attr_int("axis"), x.rank()));
  int64_t dim = x.shape()[axis];
  int64_t nout = ctx.node.num_outputs();
  std::vector<int64_t> sizes;
  if (ctx.has_input(1)) {
    sizes = ReadInts(ctx.input(1));
    if (static_cast<int64_t>(sizes.size()) != nout) {
      return ctx.Error(absl::StrCat("split has ", sizes.size(), " entries for ", nout, " outputs"));
    }
  } else {
    int64_t chunk = (dim + nout - 1) / nout;
    sizes.assign(nout, chunk);
    sizes.back() = dim - chunk * (nout - 1);
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0 || __builtin_add_overflow(total, s, &total)) return ctx.Error("invalid split");
  }
  if (total != dim) {
    return ctx.Error(absl::StrCat("split sizes add up to ", total, ", but axis ", axis,
                                  " has size ", dim));
  }
  std::vector<Range1D> ranges;
  for (int64_t d : x.shape()) ranges.push_back(Range1D{0, 1, d});
  std::vector<Tensor> outs;
  int64_t pos = 0;
  for (int64_t s : sizes) {
    ranges[axis] = Range1D{pos, 1, s};
    ASSIGN_OR_RETURN(Tensor t, CopyBlock(ctx, x, ranges));
    outs.push_back(std::move(t));
    pos += s;
  }
  return outs;
}

KernelResult RefConcat(const KernelContext& ctx) {
  const Tensor& first = ctx.input(0);
  int64_t rank = first.rank();
  ASSIGN_OR_RETURN(int64_t axis, KernelAxis(ctx, ctx.node.attr_int("axis"), rank));
  std::vector<int64_t> shape = first.shape();
  shape[axis] = 0;
  for (const Tensor* t : ctx.inputs) {
    if (t->rank() != rank) return ctx.Error("inputs have different ranks");
    for (int64_t a = 0; a < rank; ++a) {
      if (a != axis && t->shape()[a] != shape[a]) {
        return ctx.Error(absl::StrCat("input ", t->TypeString(), " does not match ",
                                      first.TypeString(), " outside axis ", axis));
      }
    }
    shape[axis] += t->shape()[axis];
  }
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, first.dtype(), shape));
  const size_t es = DTypeSize(first.dtype());
  int64_t outer = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= shape[a];
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor* t : ctx.inputs) {
      int64_t block = outer == 0 ? 0 : t->num_elements() / outer;
      if (block == 0) continue;
      std::memcpy(dst, static_cast<const uint8_t*>(t->raw_data()) + o * block * es, block * es);
      dst += block * es;
    }
  }
  return One(std::move(out));
}

}  // namespace kiln::reference
