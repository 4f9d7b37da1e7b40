// Reference kernel: N-D Conv. For each (output channel, input channel, kernel offset) the
// weight is a scalar, and the kernel adds weight * shifted input plane into the output plane;
// the innermost loop runs along the last spatial dim over the range that stays inside the
// input, so there are no per-element bounds checks and no im2col buffer.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/reference/contraction_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

struct ConvGeometry {
  std::vector<int64_t> in, out, kernel, strides, dilations, pad_begin;
  int64_t in_plane = 1, out_plane = 1, kernel_size = 1;
};

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

absl::StatusOr<ConvGeometry> MakeGeometry(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const size_t n = static_cast<size_t>(x.rank() - 2);
  ConvGeometry g;
  g.in.assign(x.shape().begin() + 2, x.shape().end());
  g.kernel.assign(w.shape().begin() + 2, w.shape().end());
  auto ints = [&](absl::string_view name, size_t count, int64_t fallback) {
    const std::vector<int64_t>* v = ctx.node.attr_ints(name);
    return v ? *v : std::vector<int64_t>(count, fallback);
  };
  g.strides = ints("strides", n, 1);
  g.dilations = ints("dilations", n, 1);
  std::vector<int64_t> pads = ints("pads", 2 * n, 0);
  const std::string auto_pad = ctx.node.attr_string("auto_pad");
  if (g.strides.size() != n || g.dilations.size() != n || pads.size() != 2 * n) {
    return ctx.Error("strides, dilations and pads must match the spatial rank");
  }
  for (size_t i = 0; i < n; ++i) {
    // The upper bound keeps the index arithmetic below far from int64 overflow.
    constexpr int64_t kMaxAttr = int64_t{1} << 24;
    if (g.strides[i] < 1 || g.dilations[i] < 1 || pads[i] < 0 || pads[n + i] < 0 ||
        g.strides[i] > kMaxAttr || g.dilations[i] > kMaxAttr || pads[i] > kMaxAttr ||
        pads[n + i] > kMaxAttr) {
      return ctx.Error("strides and dilations must be in [1, 2^24], pads in [0, 2^24]");
    }
    const int64_t extent = (g.kernel[i] - 1) * g.dilations[i] + 1;
    int64_t begin = pads[i], end = pads[n + i];
    if (auto_pad == "VALID") {
      begin = end = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (g.in[i] + g.strides[i] - 1) / g.strides[i];
      const int64_t total = std::max<int64_t>(0, (out - 1) * g.strides[i] + extent - g.in[i]);
      begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    }
    const int64_t padded = g.in[i] + begin + end;
    if (extent > padded) {
      return ctx.Error(absl::StrCat("spatial dim ", i, ": kernel extent ", extent,
                                    " exceeds the padded input size ", padded));
    }
    g.pad_begin.push_back(begin);
    g.out.push_back((padded - extent) / g.strides[i] + 1);
    g.in_plane *= g.in[i];
    g.out_plane *= g.out.back();
    g.kernel_size *= g.kernel[i];
  }
  return g;
}

// out_plane += w * input shifted by kernel offset `k` (a multi-index into the kernel).
template <typename A>
void AccumulateShifted(const ConvGeometry& g, const std::vector<int64_t>& k, A w, const A* x,
                       A* out) {
  const size_t n = g.in.size(), last = n - 1;
  // Output range along the last dim whose input index o*s + k*d - p lies in [0, in).
  const int64_t shift = k[last] * g.dilations[last] - g.pad_begin[last];
  const int64_t s = g.strides[last];
  const int64_t o_lo = std::max<int64_t>(0, FloorDiv(-shift + s - 1, s));
  const int64_t o_hi = std::min<int64_t>(g.out[last], FloorDiv(g.in[last] - 1 - shift, s) + 1);
  if (o_lo >= o_hi) return;
  const int64_t rows = g.out_plane / g.out[last];
  std::vector<int64_t> o(n, 0);  // Multi-index over the leading output dims.
  for (int64_t row = 0; row < rows; ++row) {
    int64_t in_off = 0;
    bool inside = true;
    for (size_t d = 0; d < last && inside; ++d) {
      const int64_t i = o[d] * g.strides[d] + k[d] * g.dilations[d] - g.pad_begin[d];
      inside = i >= 0 && i < g.in[d];
      in_off = in_off * g.in[d] + i;
    }
    if (inside) {
      const int64_t base = in_off * g.in[last] + shift;
      A* out_row = out + row * g.out[last];
      for (int64_t j = o_lo; j < o_hi; ++j) out_row[j] += w * x[base + j * s];
    }
    for (size_t d = last; d-- > 0;) {
      if (++o[d] < g.out[d]) break;
      o[d] = 0;
    }
  }
}

template <typename T>
absl::StatusOr<Tensor> ConvTyped(const KernelContext& ctx, const ConvGeometry& g, int64_t group) {
  using A = Acc<T>;
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const int64_t batch = x.shape()[0], channels = x.shape()[1], out_channels = w.shape()[0];
  const int64_t cg = channels / group, mg = out_channels / group;
  std::vector<A> xs, ws, bs;
  const A* px = AccView<T>(x, xs);
  const A* pw = AccView<T>(w, ws);
  const A* pb = ctx.has_input(2) ? AccView<T>(ctx.input(2), bs) : nullptr;
  std::vector<int64_t> shape = {batch, out_channels};
  shape.insert(shape.end(), g.out.begin(), g.out.end());
  ASSIGN_OR_RETURN(int64_t count, CheckedElementCount(shape, sizeof(A)));
  std::vector<A> out(static_cast<size_t>(count), A{0});
  // Kernel offsets as multi-indices, row-major like W's trailing dims.
  std::vector<std::vector<int64_t>> offsets(g.kernel_size, std::vector<int64_t>(g.in.size()));
  for (int64_t f = 0; f < g.kernel_size; ++f) {
    for (int64_t d = static_cast<int64_t>(g.in.size()) - 1, r = f; d >= 0; --d) {
      offsets[f][d] = r % g.kernel[d];
      r /= g.kernel[d];
    }
  }
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t m = 0; m < out_channels; ++m) {
      A* o = out.data() + (b * out_channels + m) * g.out_plane;
      if (pb) std::fill(o, o + g.out_plane, pb[m]);
      const int64_t grp = m / mg;
      for (int64_t c = 0; c < cg; ++c) {
        const A* xp = px + (b * channels + grp * cg + c) * g.in_plane;
        const A* wp = pw + (m * cg + c) * g.kernel_size;
        for (int64_t f = 0; f < g.kernel_size; ++f) {
          AccumulateShifted(g, offsets[f], wp[f], xp, o);
        }
      }
    }
  }
  return TensorFromAcc<T, A>(std::move(shape), out);
}

}  // namespace

KernelResult RefConv(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const int64_t group = ctx.node.attr_int("group");
  bool ok = IsFloat(x.dtype()) && w.dtype() == x.dtype() && x.rank() >= 3 && w.rank() == x.rank() &&
            group >= 1 && x.shape()[1] == w.shape()[1] * group && w.shape()[0] % group == 0;
  if (ok && ctx.has_input(2)) {
    const Tensor& b = ctx.input(2);
    ok = b.dtype() == x.dtype() && b.rank() == 1 && b.shape()[0] == w.shape()[0];
  }
  if (!ok) {
    return ctx.Error(absl::StrCat("bad operands X ", x.TypeString(), ", W ", w.TypeString(),
                                  " for group ", group));
  }
  if (const std::vector<int64_t>* ks = ctx.node.attr_ints("kernel_shape")) {
    if (!std::equal(ks->begin(), ks->end(), w.shape().begin() + 2, w.shape().end())) {
      return ctx.Error(absl::StrCat("kernel_shape [", absl::StrJoin(*ks, ","),
                                    "] does not match W ", w.TypeString()));
    }
  }
  ASSIGN_OR_RETURN(ConvGeometry g, MakeGeometry(ctx));
  absl::StatusOr<Tensor> out = VisitDType(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return ConvTyped<T>(ctx, g, group);
  });
  if (!out.ok()) return out.status();
  return std::vector<Tensor>{*std::move(out)};
}

}  // namespace kiln::reference
