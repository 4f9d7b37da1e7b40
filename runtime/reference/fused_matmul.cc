// Reference kernels: GEMM with a fused epilogue,
//   FusedMatMul(a, b[, bias][, residual]) = act(alpha * op(a) @ op(b) + bias) + residual.
// The product uses MatMul's GEMM (contraction_util.h) and the activations the elementwise
// kernels' math (activation_math.h). Each epilogue step rounds to the storage type, as the
// unfused MatMul -> Add -> activation -> Add chain does, so fusing changes no f32 bit and
// 16-bit floats round exactly as before. With `to` (the output dtype O, e.g. f32 from f16
// operands) the product is accumulated as for the operands and every step rounds to O
// instead, so an f32 output never passes through f16.
#include "absl/strings/str_cat.h"
#include "runtime/reference/activation_math.h"
#include "runtime/reference/contraction_util.h"
#include "runtime/reference/convert.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {
namespace {

// The problem after the operand flags: out[batch..., m, n] from a [.., m, k] and b [.., k, n].
struct Problem {
  bool trans_a = false, trans_b = false;
  float alpha = 1;
  std::string activation;
  DType out_dtype = DType::kUndefined;
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> out_shape, a_index, b_index, residual_index;
};

// Matrix `index` of `t` (dtype T, [.., rows, cols]) as a row-major [rows, cols] matrix in the
// accumulation type, or as [cols, rows] when `transpose`.
template <typename T>
const Acc<T>* MatrixOf(const Tensor& t, const Acc<T>* all, int64_t index, bool transpose,
                       std::vector<Acc<T>>& scratch) {
  const int64_t rows = t.shape()[t.rank() - 2], cols = t.shape()[t.rank() - 1];
  const Acc<T>* p = all + index * rows * cols;
  if (!transpose) return p;
  scratch.resize(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) scratch[j * rows + i] = p[i * cols + j];
  }
  return scratch.data();
}

template <typename T>
using ActFn = ComputeType<T> (*)(ComputeType<T>);

template <typename T>
ActFn<T> ActivationFn(const std::string& act) {
  using C = ComputeType<T>;
  if (act == "relu") return &ReluOf<C>;
  if (act == "gelu") return &GeluErfOf<C>;
  if (act == "gelu_tanh") return &GeluTanhOf<C>;
  if (act == "silu") return &SiluOf<C>;
  return nullptr;
}

// `v` rounded to T and back, as storing an intermediate tensor would.
template <typename T>
ComputeType<T> Round(ComputeType<T> v) {
  return static_cast<ComputeType<T>>(FromAcc<T>(v));
}

// Operands of dtype T, output (and bias, residual) of dtype O.
template <typename T, typename O>
absl::StatusOr<Tensor> FusedTyped(const KernelContext& ctx, const Problem& p) {
  using A = Acc<T>;
  using C = ComputeType<O>;
  std::vector<A> a_store, b_store, a_scratch, b_scratch;
  const A* pa = AccView<T>(ctx.input(0), a_store);
  const A* pb = AccView<T>(ctx.input(1), b_store);
  const O* bias = ctx.has_input(2) ? ctx.input(2).data<O>() : nullptr;
  const O* residual = ctx.has_input(3) ? ctx.input(3).data<O>() : nullptr;
  const ActFn<O> act = ActivationFn<O>(p.activation);
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(DTypeOf<O>::value, p.out_shape));
  O* po = out.data<O>();
  const int64_t mn = p.m * p.n;
  std::vector<A> c(static_cast<size_t>(mn));
  for (size_t i = 0; i < p.a_index.size(); ++i) {
    const A* ma = MatrixOf<T>(ctx.input(0), pa, p.a_index[i], p.trans_a, a_scratch);
    const A* mb = MatrixOf<T>(ctx.input(1), pb, p.b_index[i], p.trans_b, b_scratch);
    std::fill(c.begin(), c.end(), A{0});
    GemmAccumulate(ma, mb, c.data(), p.m, p.k, p.n);
    for (int64_t j = 0; j < mn; ++j) {
      const int64_t flat = static_cast<int64_t>(i) * mn + j;
      C v = static_cast<C>(FromAcc<O>(p.alpha == 1.0f ? c[j] : c[j] * static_cast<A>(p.alpha)));
      if (bias != nullptr) v = Round<O>(v + static_cast<C>(bias[j % p.n]));
      if (act != nullptr) v = Round<O>(act(v));
      if (residual != nullptr) v = v + static_cast<C>(residual[p.residual_index[flat]]);
      po[flat] = FromAcc<O>(v);
    }
  }
  return out;
}

// Validates the inputs against the attributes and fills the problem's shapes.
absl::Status Plan(const KernelContext& ctx, Problem& p) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!IsFloat(a.dtype()) || a.dtype() != b.dtype() || a.rank() < 2 || b.rank() < 2) {
    return ctx.Error(absl::StrCat("needs float operands of rank >= 2 and one dtype, got ",
                                  a.TypeString(), " and ", b.TypeString()));
  }
  p.trans_a = ctx.node.attr_int("trans_a") != 0;
  p.trans_b = ctx.node.attr_int("trans_b") != 0;
  p.alpha = ctx.node.attr_float("alpha");
  p.activation = ctx.node.attr_string("activation");
  if (p.activation != "none" && ActivationFn<float>(p.activation) == nullptr) {
    return ctx.Error(absl::StrCat("unknown activation '", p.activation, "'"));
  }
  p.out_dtype = a.dtype();
  if (const std::string* to = ctx.node.attrs().FindAs<std::string>("to")) {
    std::optional<DType> dt = ParseDType(*to);
    if (!dt || !IsFloat(*dt)) return ctx.Error(absl::StrCat("to '", *to, "' is not a float dtype"));
    p.out_dtype = *dt;
  }
  const int64_t ra = a.rank(), rb = b.rank();
  p.m = a.shape()[p.trans_a ? ra - 1 : ra - 2];
  p.k = a.shape()[p.trans_a ? ra - 2 : ra - 1];
  const int64_t kb = b.shape()[p.trans_b ? rb - 1 : rb - 2];
  p.n = b.shape()[p.trans_b ? rb - 2 : rb - 1];
  if (kb != p.k) {
    return ctx.Error(absl::StrCat("inner dimensions differ: ", p.k, " vs ", kb, " (",
                                  a.TypeString(), " @ ", b.TypeString(), ")"));
  }
  std::vector<int64_t> a_batch(a.shape().begin(), a.shape().end() - 2);
  std::vector<int64_t> b_batch(b.shape().begin(), b.shape().end() - 2);
  auto batch = BroadcastBatch(a_batch, b_batch);
  if (!batch.ok()) return ctx.Error(batch.status().message());
  p.out_shape = *batch;
  p.out_shape.push_back(p.m);
  p.out_shape.push_back(p.n);
  RETURN_IF_ERROR(CheckedElementCount(p.out_shape, DTypeSize(p.out_dtype)).status());
  if (ctx.has_input(2)) {
    const Tensor& bias = ctx.input(2);
    if (bias.dtype() != p.out_dtype || bias.rank() != 1 || bias.shape()[0] != p.n) {
      return ctx.Error(absl::StrCat("bias ", bias.TypeString(), " must be [", p.n, "] of ",
                                    DTypeName(p.out_dtype)));
    }
  }
  if (ctx.has_input(3)) {
    const Tensor& r = ctx.input(3);
    auto widened = BroadcastBatch(p.out_shape, r.shape());
    if (r.dtype() != p.out_dtype || !widened.ok() || *widened != p.out_shape) {
      return ctx.Error(
          absl::StrCat("residual ", r.TypeString(), " does not broadcast to the output"));
    }
    p.residual_index = BroadcastIndices(p.out_shape, r.shape());
  }
  p.a_index = BroadcastIndices(*batch, a_batch);
  p.b_index = BroadcastIndices(*batch, b_batch);
  return absl::OkStatus();
}

}  // namespace

KernelResult RefFusedMatMul(const KernelContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.Error("needs both operands");
  Problem p;
  RETURN_IF_ERROR(Plan(ctx, p));
  absl::StatusOr<Tensor> out =
      VisitDType(ctx.input(0).dtype(), [&](auto tag) -> absl::StatusOr<Tensor> {
        using T = decltype(tag);
        if constexpr (kIsFloatLike<T>) {
          return VisitDType(p.out_dtype, [&](auto out_tag) -> absl::StatusOr<Tensor> {
            using O = decltype(out_tag);
            if constexpr (kIsFloatLike<O>) {
              return FusedTyped<T, O>(ctx, p);
            } else {
              return ctx.Error("needs a float output dtype");
            }
          });
        } else {
          return ctx.Error("needs float operands");
        }
      });
  if (!out.ok()) return out.status();
  return std::vector<Tensor>{*std::move(out)};
}

}  // namespace kiln::reference
