// Reference kernel: RotaryEmbedding (opset 23). Each head vector's first rotary_dim entries are
// rotated pairwise by the angle whose cos/sin the caches hold for the token's position; pairs
// are (k, k + rotary_dim/2), or adjacent (2k, 2k+1) when interleaved. The rest is copied.
#include "absl/strings/str_cat.h"
#include "runtime/reference/contraction_util.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

struct RotaryDims {
  bool packed;  // 3-D input [batch, seq, heads * head].
  int64_t batch, heads, seq, head, rot;
};

absl::StatusOr<RotaryDims> GetRotaryDims(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  RotaryDims d;
  d.packed = x.rank() == 3;
  if (x.rank() == 4) {
    d.batch = x.shape()[0];
    d.heads = x.shape()[1];
    d.seq = x.shape()[2];
    d.head = x.shape()[3];
  } else if (x.rank() == 3) {
    d.heads = ctx.node.attr_int_opt("num_heads").value_or(0);
    if (d.heads <= 0 || x.shape()[2] % d.heads != 0) {
      return ctx.Error("3-D input needs num_heads dividing its hidden size");
    }
    d.batch = x.shape()[0];
    d.seq = x.shape()[1];
    d.head = x.shape()[2] / d.heads;
  } else {
    return ctx.Error(absl::StrCat("input must be 3-D or 4-D, got ", x.TypeString()));
  }
  d.rot = ctx.node.attr_int("rotary_embedding_dim");
  if (d.rot == 0) d.rot = d.head;
  if (d.rot < 0 || d.rot % 2 != 0 || d.rot > d.head) {
    return ctx.Error(
        absl::StrCat("rotary dim ", d.rot, " must be even and at most the head size ", d.head));
  }
  const Tensor& cos = ctx.input(1);
  const Tensor& sin = ctx.input(2);
  std::vector<int64_t> want =
      ctx.has_input(3) ? std::vector<int64_t>{cos.rank() == 2 ? cos.shape()[0] : 0, d.rot / 2}
                       : std::vector<int64_t>{d.batch, d.seq, d.rot / 2};
  if (cos.shape() != want || sin.shape() != want || cos.dtype() != x.dtype() ||
      sin.dtype() != x.dtype()) {
    return ctx.Error(absl::StrCat("cos_cache ", cos.TypeString(), " / sin_cache ", sin.TypeString(),
                                  " do not fit the input"));
  }
  if (ctx.has_input(3)) {
    const Tensor& pos = ctx.input(3);
    if (pos.dtype() != DType::kI64 || pos.shape() != std::vector<int64_t>{d.batch, d.seq}) {
      return ctx.Error(absl::StrCat("position_ids ", pos.TypeString(), " must be i64[", d.batch,
                                    ",", d.seq, "]"));
    }
    for (int64_t p : pos.values<int64_t>()) {
      if (p < 0 || p >= want[0]) {
        return ctx.Error(
            absl::StrCat("position id ", p, " is outside the cache of ", want[0], " positions"));
      }
    }
  }
  return d;
}

template <typename T>
absl::StatusOr<Tensor> RotaryTyped(const KernelContext& ctx, const RotaryDims& d) {
  const Tensor& x = ctx.input(0);
  const bool interleaved = ctx.node.attr_int("interleaved") != 0;
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(x.dtype(), x.shape()));
  const T* px = x.data<T>();
  const T* pcos = ctx.input(1).data<T>();
  const T* psin = ctx.input(2).data<T>();
  const int64_t* pos = ctx.has_input(3) ? ctx.input(3).data<int64_t>() : nullptr;
  T* po = out.data<T>();
  const int64_t half = d.rot / 2;
  for (int64_t b = 0; b < d.batch; ++b) {
    for (int64_t s = 0; s < d.seq; ++s) {
      const int64_t cache_row = pos ? pos[b * d.seq + s] : b * d.seq + s;
      const T* c = pcos + cache_row * half;
      const T* sn = psin + cache_row * half;
      for (int64_t h = 0; h < d.heads; ++h) {
        const int64_t off = d.packed ? ((b * d.seq + s) * d.heads + h) * d.head
                                     : ((b * d.heads + h) * d.seq + s) * d.head;
        const T* xi = px + off;
        T* xo = po + off;
        for (int64_t k = 0; k < half; ++k) {
          const int64_t i1 = interleaved ? 2 * k : k;
          const int64_t i2 = interleaved ? 2 * k + 1 : k + half;
          const float x1 = static_cast<float>(xi[i1]), x2 = static_cast<float>(xi[i2]);
          const float cv = static_cast<float>(c[k]), sv = static_cast<float>(sn[k]);
          xo[i1] = FromAcc<T>(cv * x1 - sv * x2);
          xo[i2] = FromAcc<T>(sv * x1 + cv * x2);
        }
        std::copy(xi + d.rot, xi + d.head, xo + d.rot);
      }
    }
  }
  return out;
}

}  // namespace

KernelResult RefRotaryEmbedding(const KernelContext& ctx) {
  const DType t = ctx.input(0).dtype();
  if (t != DType::kF32 && t != DType::kF16 && t != DType::kBF16) {
    return ctx.Error(absl::StrCat("input must be f32, f16 or bf16, got ", DTypeName(t)));
  }
  ASSIGN_OR_RETURN(RotaryDims d, GetRotaryDims(ctx));
  absl::StatusOr<Tensor> out = VisitDType(t, [&](auto tag) -> absl::StatusOr<Tensor> {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<Acc<T>>) {
      return RotaryTyped<T>(ctx, d);
    } else {
      return ctx.Error("input must be a float tensor");
    }
  });
  if (!out.ok()) return out.status();
  return std::vector<Tensor>{*std::move(out)};
}

}  // namespace kiln::reference
