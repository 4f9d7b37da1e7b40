#include "runtime/cuda/gemm_plan.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/status_macros.h"

namespace kiln::cuda {
namespace {

constexpr int64_t kMaxDim = std::numeric_limits<int32_t>::max();

// a * b, or nullopt past 2^62 (no real buffer is that large).
std::optional<int64_t> Mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > (int64_t{1} << 62)) return std::nullopt;
  return r;
}

std::string ShapeStr(absl::Span<const int64_t> s) {
  return absl::StrCat("[", absl::StrJoin(s, ","), "]");
}

absl::Status CheckDesc(const GemmDesc& d) {
  if (d.dtype != DType::kF32 && d.dtype != DType::kF16 && d.dtype != DType::kBF16) {
    return absl::UnimplementedError(absl::StrCat("cuBLASLt GEMM: dtype ", DTypeName(d.dtype),
                                                 " is not supported (f32, f16, bf16)"));
  }
  if (d.allow_tf32 && d.dtype != DType::kF32) {
    return absl::InvalidArgumentError("cuBLASLt GEMM: allow_tf32 applies only to f32");
  }
  if (d.d_dtype() != d.dtype && (d.d_dtype() != DType::kF32 || d.dtype == DType::kF32)) {
    return absl::UnimplementedError(absl::StrCat(
        "cuBLASLt GEMM: ", DTypeName(d.dtype), " operands with a ", DTypeName(d.d_dtype()),
        " output are not supported (only f16/bf16 operands with an f32 output)"));
  }
  for (int64_t v : {d.m, d.n, d.k, d.batch_count}) {
    if (v < 1 || v > kMaxDim) {
      return absl::UnimplementedError(absl::StrCat(
          "cuBLASLt GEMM: m, n, k and batch_count must be in [1, 2^31): m=", d.m, " n=", d.n,
          " k=", d.k, " batch=", d.batch_count));
    }
  }
  for (int64_t s : {d.stride_a, d.stride_b, d.stride_d}) {
    if (s < 0) return absl::InvalidArgumentError("cuBLASLt GEMM: negative batch stride");
  }
  if (!Mul(d.m, d.k) || !Mul(d.k, d.n) || !Mul(d.m, d.n)) {
    return absl::InvalidArgumentError("cuBLASLt GEMM: matrix sizes overflow");
  }
  if (d.batch_count > 1 && d.stride_d < d.m * d.n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cuBLASLt GEMM: output batch stride ", d.stride_d, " overlaps its ", d.m, "x", d.n,
        " matrices"));
  }
  return absl::OkStatus();
}

cudaDataType_t CudaType(DType t) {
  switch (t) {
    case DType::kF16: return CUDA_R_16F;
    case DType::kBF16: return CUDA_R_16BF;
    default: return CUDA_R_32F;
  }
}

// Kiln's row-major stored matrix [rows, cols] read column-major: [cols, rows], ld = cols.
LtMatrix ColumnMajorView(int64_t rows, int64_t cols, int64_t stride) {
  return LtMatrix{static_cast<uint64_t>(cols), static_cast<uint64_t>(rows), cols, stride};
}

}  // namespace

absl::StatusOr<GemmActivation> ParseGemmActivation(absl::string_view name) {
  if (name == "none") return GemmActivation::kNone;
  if (name == "relu") return GemmActivation::kRelu;
  if (name == "gelu") return GemmActivation::kGeluErf;
  if (name == "gelu_tanh") return GemmActivation::kGeluTanh;
  if (name == "silu") return GemmActivation::kSilu;
  return absl::InvalidArgumentError(absl::StrCat("unknown activation '", std::string(name),
                                                 "' (none|relu|gelu|gelu_tanh|silu)"));
}

absl::StatusOr<LtGemmLayout> ToColumnMajor(const GemmDesc& desc) {
  RETURN_IF_ERROR(CheckDesc(desc));
  LtGemmLayout l;
  l.m = desc.n;
  l.n = desc.m;
  l.k = desc.k;
  l.trans_a = desc.trans_b;
  l.trans_b = desc.trans_a;
  // Kiln's b is stored [k, n] ([n, k] when transposed); Kiln's a [m, k] ([k, m]).
  l.a = desc.trans_b ? ColumnMajorView(desc.n, desc.k, desc.stride_b)
                     : ColumnMajorView(desc.k, desc.n, desc.stride_b);
  l.b = desc.trans_a ? ColumnMajorView(desc.k, desc.m, desc.stride_a)
                     : ColumnMajorView(desc.m, desc.k, desc.stride_a);
  l.d = ColumnMajorView(desc.m, desc.n, desc.stride_d);
  l.batch_count = static_cast<int32_t>(desc.batch_count);
  if (l.batch_count == 1) l.a.batch_stride = l.b.batch_stride = l.d.batch_stride = 0;
  return l;
}

absl::StatusOr<cublasLtEpilogue_t> SelectEpilogue(GemmActivation act, bool has_bias,
                                                  bool has_residual) {
  if (has_residual && act != GemmActivation::kNone) {
    return absl::UnimplementedError(
        "cuBLASLt GEMM: a residual with an activation: cuBLASLt adds C before its epilogue "
        "activation, the contract after it; add the residual separately");
  }
  switch (act) {
    case GemmActivation::kNone:
      return has_bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
    case GemmActivation::kRelu:
      return has_bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
    case GemmActivation::kGeluTanh:
      return has_bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
    case GemmActivation::kGeluErf:
      return absl::UnimplementedError(
          "cuBLASLt GEMM: activation 'gelu' (erf) has no cuBLASLt epilogue; its GELU is the "
          "tanh approximation (gelu_tanh)");
    case GemmActivation::kSilu:
      return absl::UnimplementedError("cuBLASLt GEMM: activation 'silu' has no cuBLASLt epilogue");
  }
  return absl::InternalError("cuBLASLt GEMM: unhandled activation");
}

absl::StatusOr<LtGemmPlan> PlanLtGemm(const GemmDesc& desc) {
  LtGemmPlan plan;
  ASSIGN_OR_RETURN(plan.layout, ToColumnMajor(desc));
  ASSIGN_OR_RETURN(plan.epilogue, SelectEpilogue(desc.activation, desc.has_bias,
                                                 desc.has_residual));
  plan.data_type = CudaType(desc.dtype);
  plan.out_type = CudaType(desc.d_dtype());
  plan.compute_type = desc.allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  plan.beta = desc.has_residual ? 1.0f : 0.0f;
  return plan;
}

int PointerAlignment(const void* p) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  int align = 256;
  while (align > 1 && v % align != 0) align /= 2;
  return align;
}

std::string AlgoCacheKey(const LtGemmPlan& plan, const GemmAlignment& al) {
  const LtGemmLayout& l = plan.layout;
  auto mat = [](const LtMatrix& x) {
    return absl::StrCat(x.rows, "x", x.cols, "/", x.ld, "/", x.batch_stride);
  };
  return absl::StrCat(static_cast<int>(plan.data_type), ">", static_cast<int>(plan.out_type), ":",
                      static_cast<int>(plan.compute_type),
                      ":e", static_cast<int>(plan.epilogue), ":beta", plan.beta != 0, ":",
                      l.m, ",", l.n, ",", l.k, ":t", l.trans_a, l.trans_b, ":b", l.batch_count,
                      ":A", mat(l.a), ":B", mat(l.b), ":D", mat(l.d), ":al", al.a, ",", al.b,
                      ",", al.c, ",", al.d, ",", al.bias);
}

namespace {

// The stride of an operand whose batch dims are `batch` against the output's `out_batch`:
// dense when they match (after left-padding with 1s), 0 for a single matrix.
absl::StatusOr<int64_t> BatchStride(const char* name, absl::Span<const int64_t> shape,
                                    const std::vector<int64_t>& out_batch, int64_t matrix) {
  const absl::Span<const int64_t> batch = shape.subspan(0, shape.size() - 2);
  int64_t count = 1;
  for (int64_t d : batch) count *= d;
  if (count == 1) return 0;
  const size_t pad = out_batch.size() - batch.size();
  for (size_t i = 0; i < out_batch.size(); ++i) {
    const int64_t d = i < pad ? 1 : batch[i - pad];
    if (d != out_batch[i]) {
      return absl::UnimplementedError(absl::StrCat(
          "cuBLASLt GEMM: ", name, " ", ShapeStr(shape), " broadcasts only part of the batch ",
          ShapeStr(out_batch), "; one strided batch needs all or none of it"));
    }
  }
  return matrix;
}

// The numpy broadcast of the two operands' batch dims (all but the last two).
absl::StatusOr<std::vector<int64_t>> BroadcastBatch(absl::Span<const int64_t> a,
                                                    absl::Span<const int64_t> b) {
  const size_t ra = a.size() - 2, rb = b.size() - 2, rank = std::max(ra, rb);
  std::vector<int64_t> out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t x = i + ra >= rank ? a[i + ra - rank] : 1;
    const int64_t y = i + rb >= rank ? b[i + rb - rank] : 1;
    if (x != y && x != 1 && y != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "FusedMatMul: batch dims of ", ShapeStr(a), " and ", ShapeStr(b), " do not broadcast"));
    }
    out[i] = x == 1 ? y : x;
  }
  return out;
}

}  // namespace

absl::StatusOr<GemmDesc> PlanFusedMatMul(DType dtype, absl::Span<const int64_t> a_shape,
                                         absl::Span<const int64_t> b_shape,
                                         std::optional<std::vector<int64_t>> bias_shape,
                                         std::optional<std::vector<int64_t>> residual_shape,
                                         bool trans_a, bool trans_b, float alpha,
                                         absl::string_view activation, bool allow_tf32,
                                         DType out_dtype) {
  if (a_shape.size() < 2 || b_shape.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat("FusedMatMul: operands ", ShapeStr(a_shape),
                                                   " and ", ShapeStr(b_shape),
                                                   " must have rank >= 2"));
  }
  for (auto s : {a_shape, b_shape}) {
    for (int64_t d : s) {
      if (d < 0) return absl::InvalidArgumentError("FusedMatMul: negative dimension");
    }
  }
  GemmDesc d;
  d.dtype = dtype;
  d.out_dtype = out_dtype == dtype ? DType::kUndefined : out_dtype;
  d.allow_tf32 = allow_tf32;
  d.trans_a = trans_a;
  d.trans_b = trans_b;
  d.alpha = alpha;
  ASSIGN_OR_RETURN(d.activation, ParseGemmActivation(activation));
  const size_t ra = a_shape.size(), rb = b_shape.size();
  d.m = trans_a ? a_shape[ra - 1] : a_shape[ra - 2];
  d.k = trans_a ? a_shape[ra - 2] : a_shape[ra - 1];
  const int64_t kb = trans_b ? b_shape[rb - 1] : b_shape[rb - 2];
  d.n = trans_b ? b_shape[rb - 2] : b_shape[rb - 1];
  if (kb != d.k) {
    return absl::InvalidArgumentError(absl::StrCat("FusedMatMul: inner dimensions differ: ",
                                                   ShapeStr(a_shape), " and ", ShapeStr(b_shape)));
  }
  ASSIGN_OR_RETURN(const std::vector<int64_t> out_batch, BroadcastBatch(a_shape, b_shape));
  std::vector<int64_t> out_shape = out_batch;
  out_shape.push_back(d.m);
  out_shape.push_back(d.n);
  d.batch_count = 1;
  for (int64_t b : out_batch) {
    auto c = Mul(d.batch_count, b);
    if (!c) return absl::InvalidArgumentError("FusedMatMul: batch size overflows");
    d.batch_count = *c;
  }
  auto mk = Mul(d.m, d.k), kn = Mul(d.k, d.n), mn = Mul(d.m, d.n);
  if (!mk || !kn || !mn) return absl::InvalidArgumentError("FusedMatMul: matrix sizes overflow");
  ASSIGN_OR_RETURN(d.stride_a, BatchStride("a", a_shape, out_batch, *mk));
  ASSIGN_OR_RETURN(d.stride_b, BatchStride("b", b_shape, out_batch, *kn));
  d.stride_d = *mn;
  if (bias_shape) {
    if (*bias_shape != std::vector<int64_t>{d.n}) {
      return absl::InvalidArgumentError(absl::StrCat("FusedMatMul: bias ", ShapeStr(*bias_shape),
                                                     " must be [", d.n, "]"));
    }
    d.has_bias = true;
  }
  if (residual_shape) {
    if (*residual_shape != out_shape) {
      return absl::UnimplementedError(absl::StrCat(
          "cuBLASLt GEMM: residual ", ShapeStr(*residual_shape), " does not have the output's "
          "shape ", ShapeStr(out_shape), "; add the broadcast residual separately"));
    }
    d.has_residual = true;
  }
  // A batched, untransposed a against one b is a single [batch*m, k] @ [k, n] GEMM.
  if (d.batch_count > 1 && d.stride_b == 0 && d.stride_a != 0 && !trans_a) {
    auto rows = Mul(d.m, d.batch_count);
    if (rows && *rows <= kMaxDim) {
      d.m = *rows;
      d.batch_count = 1;
      d.stride_a = d.stride_d = 0;
    }
  }
  RETURN_IF_ERROR(PlanLtGemm(d).status());
  return d;
}

}  // namespace kiln::cuda
