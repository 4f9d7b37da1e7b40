// Reference kernel: Einsum. Operands are folded left to right; each pairwise contraction
// gathers both sides into [batch, m, k] and [batch, k, n] (size-1 dims broadcast by stride 0)
// and runs a batched GEMM, keeping only labels that a later operand or the output needs. A
// single operand is summed and transposed directly.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ir/infer/einsum_equation.h"
#include "runtime/reference/contraction_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

// An operand during evaluation: one label and one extent per axis, row-major data.
template <typename A>
struct Labeled {
  std::vector<int> labels;
  std::vector<int64_t> dims;
  std::vector<A> data;
};

// Copies `x` into the axis order `labels` with `extents`; an axis that `x` lacks or has at
// size 1 repeats (stride 0).
template <typename A>
absl::StatusOr<std::vector<A>> Gather(const Labeled<A>& x, const std::vector<int>& labels,
                                      const std::vector<int64_t>& extents) {
  std::vector<int64_t> src_stride(labels.size(), 0);
  int64_t stride = 1;
  for (size_t i = x.labels.size(); i-- > 0;) {
    auto it = std::find(labels.begin(), labels.end(), x.labels[i]);
    if (it != labels.end() && x.dims[i] != 1) src_stride[it - labels.begin()] = stride;
    stride *= x.dims[i];
  }
  ASSIGN_OR_RETURN(int64_t count, CheckedElementCount(extents, sizeof(A)));
  std::vector<A> out(static_cast<size_t>(count));
  std::vector<int64_t> idx(labels.size(), 0);
  int64_t src = 0;
  for (int64_t flat = 0; flat < count; ++flat) {
    out[flat] = x.data[src];
    for (size_t ax = labels.size(); ax-- > 0;) {
      src += src_stride[ax];
      if (++idx[ax] < extents[ax]) break;
      src -= src_stride[ax] * idx[ax];
      idx[ax] = 0;
    }
  }
  return out;
}

// Sums `x` over the labels not in `keep`, and orders the rest as `keep`.
template <typename A>
Labeled<A> Reduce(const Labeled<A>& x, const std::vector<int>& keep) {
  Labeled<A> out;
  out.labels = keep;
  for (int l : keep) {
    auto it = std::find(x.labels.begin(), x.labels.end(), l);
    out.dims.push_back(it == x.labels.end() ? 1 : x.dims[it - x.labels.begin()]);
  }
  std::vector<int64_t> out_stride(keep.size());
  int64_t stride = 1;
  for (size_t i = keep.size(); i-- > 0;) {
    out_stride[i] = stride;
    stride *= out.dims[i];
  }
  out.data.assign(static_cast<size_t>(stride), A{0});
  // Destination stride of each source axis (0 for summed axes).
  std::vector<int64_t> dst_stride(x.labels.size(), 0);
  for (size_t i = 0; i < x.labels.size(); ++i) {
    auto it = std::find(keep.begin(), keep.end(), x.labels[i]);
    if (it != keep.end()) dst_stride[i] = out_stride[it - keep.begin()];
  }
  std::vector<int64_t> idx(x.labels.size(), 0);
  int64_t dst = 0;
  for (size_t flat = 0; flat < x.data.size(); ++flat) {
    out.data[dst] += x.data[flat];
    for (size_t ax = x.labels.size(); ax-- > 0;) {
      dst += dst_stride[ax];
      if (++idx[ax] < x.dims[ax]) break;
      dst -= dst_stride[ax] * idx[ax];
      idx[ax] = 0;
    }
  }
  return out;
}

// Contracts x and y over every label not in `keep`; the result's axes are batch labels (in
// both, kept), then x-only kept labels, then y-only kept labels, at their broadcast `size`.
template <typename A>
absl::StatusOr<Labeled<A>> Contract(const Labeled<A>& x, const Labeled<A>& y,
                                    const std::vector<bool>& keep,
                                    const std::vector<int64_t>& size) {
  auto dim_of = [](const Labeled<A>& t, int l) -> int64_t {
    auto it = std::find(t.labels.begin(), t.labels.end(), l);
    return it == t.labels.end() ? int64_t{-1} : t.dims[it - t.labels.begin()];
  };
  std::vector<int> batch, m_labels, n_labels, k_labels;
  std::vector<int> all = x.labels;
  for (int l : y.labels) {
    if (std::find(all.begin(), all.end(), l) == all.end()) all.push_back(l);
  }
  const std::vector<int64_t>& extent = size;
  for (int l : all) {
    const int64_t dx = dim_of(x, l), dy = dim_of(y, l);
    if (!keep[l]) {
      k_labels.push_back(l);
    } else if (dx >= 0 && dy >= 0) {
      batch.push_back(l);
    } else {
      (dx >= 0 ? m_labels : n_labels).push_back(l);
    }
  }
  auto extents_of = [&](const std::vector<int>& ls, int64_t* product) {
    *product = 1;
    std::vector<int64_t> e;
    for (int l : ls) {
      e.push_back(extent[l]);
      *product *= extent[l];
    }
    return e;
  };
  int64_t nb, nm, nn, nk;
  std::vector<int64_t> eb = extents_of(batch, &nb), em = extents_of(m_labels, &nm);
  std::vector<int64_t> en = extents_of(n_labels, &nn), ek = extents_of(k_labels, &nk);
  auto cat = [](std::vector<int> a, const std::vector<int>& b, const std::vector<int>& c) {
    a.insert(a.end(), b.begin(), b.end());
    a.insert(a.end(), c.begin(), c.end());
    return a;
  };
  auto cat_dims = [](std::vector<int64_t> a, const std::vector<int64_t>& b,
                     const std::vector<int64_t>& c) {
    a.insert(a.end(), b.begin(), b.end());
    a.insert(a.end(), c.begin(), c.end());
    return a;
  };
  ASSIGN_OR_RETURN(std::vector<A> gx,
                   Gather(x, cat(batch, m_labels, k_labels), cat_dims(eb, em, ek)));
  ASSIGN_OR_RETURN(std::vector<A> gy,
                   Gather(y, cat(batch, k_labels, n_labels), cat_dims(eb, ek, en)));
  Labeled<A> out;
  out.labels = cat(batch, m_labels, n_labels);
  out.dims = cat_dims(eb, em, en);
  ASSIGN_OR_RETURN(int64_t count, CheckedElementCount(out.dims, sizeof(A)));
  out.data.assign(static_cast<size_t>(count), A{0});
  for (int64_t b = 0; b < nb; ++b) {
    GemmAccumulate(gx.data() + b * nm * nk, gy.data() + b * nk * nn, out.data.data() + b * nm * nn,
                   nm, nk, nn);
  }
  return out;
}

template <typename T>
absl::StatusOr<Tensor> EinsumTyped(const KernelContext& ctx, const EinsumLayout& layout,
                                   const std::vector<int64_t>& size) {
  using A = Acc<T>;
  const int n = static_cast<int>(ctx.inputs.size());
  std::vector<Labeled<A>> ops;
  for (int i = 0; i < n; ++i) {
    ops.push_back({layout.inputs[i], ctx.input(i).shape(), ToAccVector<T>(ctx.input(i))});
  }
  Labeled<A> cur = std::move(ops[0]);
  for (int i = 1; i < n; ++i) {
    // Keep labels of the output and of operands not yet folded in.
    std::vector<bool> keep(layout.num_labels, false);
    for (int l : layout.output) keep[l] = true;
    for (int j = i + 1; j < n; ++j) {
      for (int l : layout.inputs[j]) keep[l] = true;
    }
    ASSIGN_OR_RETURN(cur, Contract(cur, ops[i], keep, size));
  }
  Labeled<A> out = Reduce(cur, layout.output);
  return TensorFromAcc<T, A>(out.dims, out.data);
}

}  // namespace

KernelResult RefEinsum(const KernelContext& ctx) {
  const std::string equation = ctx.node.attr_string("equation");
  const int n = static_cast<int>(ctx.inputs.size());
  std::vector<int64_t> ranks;
  for (int i = 0; i < n; ++i) {
    if (!ctx.has_input(i) || ctx.input(i).dtype() != ctx.input(0).dtype() ||
        ctx.input(i).dtype() == DType::kBool) {
      return ctx.Error("Einsum inputs must be present and share one numeric dtype");
    }
    ranks.push_back(ctx.input(i).rank());
  }
  auto eq = ParseEinsumEquation(equation, n);
  if (!eq.ok()) {
    std::string what = absl::StrCat("equation '", equation, "': ", eq.status().message());
    return absl::IsUnimplemented(eq.status()) ? ctx.Unsupported(what) : ctx.Error(what);
  }
  auto layout = ResolveEinsum(*eq, ranks);
  if (!layout.ok()) return ctx.Error(layout.status().message());
  // Every dim of a label is 1 or the label's size.
  std::vector<int64_t> size(layout->num_labels, 1);
  for (int i = 0; i < n; ++i) {
    for (size_t d = 0; d < layout->inputs[i].size(); ++d) {
      int64_t& s = size[layout->inputs[i][d]];
      const int64_t dim = ctx.input(i).shape()[d];
      if (dim != 1 && s != 1 && dim != s) {
        return ctx.Error(absl::StrCat("equation '", equation, "': operand ", i, " dim ", d, " is ",
                                      dim, ", another operand has ", s));
      }
      if (dim != 1) s = dim;
    }
  }
  absl::StatusOr<Tensor> out = VisitDType(ctx.input(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    return EinsumTyped<T>(ctx, *layout, size);
  });
  if (!out.ok()) return out.status();
  return std::vector<Tensor>{*std::move(out)};
}

}  // namespace kiln::reference
