// Device-free half of the cuBLASLt GEMM layer: the problem description (GemmDesc), how
// FusedMatMul's shapes become one, how Kiln's row-major operands map onto cuBLASLt's
// column-major API, which cuBLASLt epilogue implements the activation, and the key of the
// algorithm cache. Nothing here calls CUDA, so all of it is unit-tested without a GPU.
//
// Row-major -> column-major: a row-major [r, c] buffer read column-major is its transpose, a
// [c, r] matrix with leading dimension c. Kiln wants D = op(a) @ op(b), row-major [M, N], i.e.
// column-major D^T [N, M]. cuBLASLt therefore computes D^T = op(b)^T @ op(a)^T: its "A" is
// Kiln's b, its "B" is Kiln's a, its (m, n, k) is Kiln's (N, M, K), and each operand keeps its
// own transpose flag (a stored-transposed row-major operand is an untransposed column-major one
// and vice versa, and the two transposes cancel).
//
// Activation -> cuBLASLt epilogue (cuBLASLt applies bias and activation after
// alpha * A @ B + beta * C, matching act(alpha * a @ b + bias) with beta = 0):
//   none       -> DEFAULT, or BIAS with a bias
//   relu       -> RELU, or RELU_BIAS
//   gelu_tanh  -> GELU, or GELU_BIAS: cuBLASLt's GELU is the tanh approximation
//                 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), i.e. Kiln's gelu_tanh.
//   gelu (erf) -> Unimplemented: cuBLASLt has no erf GELU, and the tanh form differs from it
//                 by up to ~5e-4 absolute, beyond f32 tolerance.
//   silu       -> Unimplemented: cuBLASLt has no SiLU epilogue.
// The residual becomes C with beta = 1, which cuBLASLt adds *before* the activation, so a
// residual is only fused with activation none; with an activation it is Unimplemented (the
// caller adds it separately). It must have the output's shape.
//
// Output dtype: D may be f32 while A and B are f16 or bf16 (FusedMatMul's `to`, a Cast folded
// into the GEMM): cuBLASLt's table of supported types has, for compute 32F and scale 32F,
// A/B 16F or 16BF with C/D 32F. C (the residual) and the bias then have D's type (cuBLASLt:
// "bias vector elements are the same type as the elements of output matrix (Dtype)").
#ifndef KILN_RUNTIME_CUDA_GEMM_PLAN_H_
#define KILN_RUNTIME_CUDA_GEMM_PLAN_H_

#include <cublasLt.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "ir/dtype.h"

namespace kiln::cuda {

// FusedMatMul's activation attribute.
enum class GemmActivation { kNone, kRelu, kGeluErf, kGeluTanh, kSilu };

// Parses none|relu|gelu|gelu_tanh|silu.
absl::StatusOr<GemmActivation> ParseGemmActivation(absl::string_view name);

// One (strided-batched) GEMM over row-major operands, in Kiln's terms:
//   D[i] = act(alpha * op(A[i]) @ op(B[i]) + bias) + residual[i],  i < batch_count,
// op(A) [m, k], op(B) [k, n], D [m, n]; A is stored [m, k] ([k, m] when trans_a), B [k, n]
// ([n, k] when trans_b); matrices are densely packed (leading dimension = stored row length).
// Strides are in elements between consecutive batch matrices; 0 reuses one matrix (broadcast).
// The bias is a vector of n elements; the residual, when present, has D's layout.
struct GemmDesc {
  DType dtype = DType::kF32;  // Of a and b (and the rest unless out_dtype): f32, f16 or bf16.
  // Of D, bias and residual when it differs from dtype (f32 from f16/bf16); kUndefined: dtype.
  DType out_dtype = DType::kUndefined;
  bool allow_tf32 = false;    // f32 only: let cuBLASLt round the operands to TF32.
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  int64_t batch_count = 1;
  int64_t stride_a = 0, stride_b = 0, stride_d = 0;
  float alpha = 1;
  bool has_bias = false;
  bool has_residual = false;
  GemmActivation activation = GemmActivation::kNone;

  // The dtype of D, bias and residual.
  DType d_dtype() const { return out_dtype == DType::kUndefined ? dtype : out_dtype; }
};

// One matrix as cuBLASLt sees it (column-major).
struct LtMatrix {
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0;
  int64_t batch_stride = 0;
  bool operator==(const LtMatrix&) const = default;
};

// The column-major problem handed to cublasLtMatmul.
struct LtGemmLayout {
  int64_t m = 0, n = 0, k = 0;        // cuBLASLt's: Kiln's (n, m, k).
  bool trans_a = false, trans_b = false;  // cuBLASLt's op flags: Kiln's (trans_b, trans_a).
  LtMatrix a, b, d;                    // a is Kiln's B, b is Kiln's A; C (residual) is as d.
  int32_t batch_count = 1;
};

// Everything cublasLtMatmul needs besides pointers.
struct LtGemmPlan {
  LtGemmLayout layout;
  cudaDataType_t data_type = CUDA_R_32F;  // A and B.
  cudaDataType_t out_type = CUDA_R_32F;   // C, D and bias.
  cublasComputeType_t compute_type = CUBLAS_COMPUTE_32F;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  float beta = 0;  // 1 with a residual (C = residual), else 0.
};

// Maps the row-major problem onto cuBLASLt's column-major one (see the file comment).
absl::StatusOr<LtGemmLayout> ToColumnMajor(const GemmDesc& desc);

// The cuBLASLt epilogue for an activation, with or without bias and residual.
absl::StatusOr<cublasLtEpilogue_t> SelectEpilogue(GemmActivation act, bool has_bias,
                                                  bool has_residual);

// Validates `desc` and builds the full launch description; the errors unsupported
// combinations give (Unimplemented) come from here, before any CUDA call.
absl::StatusOr<LtGemmPlan> PlanLtGemm(const GemmDesc& desc);

// Byte alignment of the operand pointers (a power of two, at most 256); heuristics depend on it.
struct GemmAlignment {
  int a = 256, b = 256, c = 256, d = 256, bias = 256;
};

// The largest power of two <= 256 dividing `p` (256 for null).
int PointerAlignment(const void* p);

// Key of the algorithm cache: every property cuBLASLt's heuristic sees (layouts, types,
// epilogue, beta != 0, alignments) and nothing it does not (alpha, pointer values).
std::string AlgoCacheKey(const LtGemmPlan& plan, const GemmAlignment& alignment);

// FusedMatMul(a, b[, bias][, residual]) with these shapes and attributes as one GemmDesc.
// Batch dims broadcast numpy-style; each operand's batch must be the full output batch or a
// single matrix (stride 0); other broadcasts are Unimplemented. A single b against a batched,
// untransposed a folds the batch into m. `out_dtype` is FusedMatMul's `to` (kUndefined or
// `dtype`: the same).
absl::StatusOr<GemmDesc> PlanFusedMatMul(DType dtype, absl::Span<const int64_t> a_shape,
                                         absl::Span<const int64_t> b_shape,
                                         std::optional<std::vector<int64_t>> bias_shape,
                                         std::optional<std::vector<int64_t>> residual_shape,
                                         bool trans_a, bool trans_b, float alpha,
                                         absl::string_view activation, bool allow_tf32 = false,
                                         DType out_dtype = DType::kUndefined);

}  // namespace kiln::cuda

#endif  // KILN_RUNTIME_CUDA_GEMM_PLAN_H_
