#include "codegen/prelude.h"

namespace kiln {
namespace {

// Names start with kiln_ so generated code (whose identifiers come from graph names, sanitized
// and never prefixed so) cannot collide with them.
constexpr char kPreludeHead[] = R"CUDA(// ---- Kiln CUDA prelude (no CUDA headers) ----
typedef long long kiln_i64;
typedef unsigned long long kiln_u64;
)CUDA";

// Index arithmetic of the generated kernels: 32-bit when the plan proved every tensor has
// fewer than 2^31 elements at its bounds (much cheaper division and modulo), else 64-bit.
// kiln_uidx is the grid-stride loop counter: unsigned, so `flat + stride` (below 2^31 + 2^24
// with 32 bits) cannot overflow.
constexpr char kIndex32[] = R"CUDA(typedef int kiln_idx;
typedef unsigned int kiln_uidx;
)CUDA";
constexpr char kIndex64[] = R"CUDA(typedef long long kiln_idx;
typedef unsigned long long kiln_uidx;
)CUDA";

constexpr char kPreludeBody[] = R"CUDA(

// 16-bit float storage: plain bits; arithmetic happens in fp32.
struct kiln_half { unsigned short bits; };
struct kiln_bf16 { unsigned short bits; };

__device__ __forceinline__ float kiln_h2f(kiln_half h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
  return f;
}
__device__ __forceinline__ kiln_half kiln_f2h(float f) {
  kiln_half h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
  return h;
}
__device__ __forceinline__ float kiln_bf2f(kiln_bf16 h) {
  float f;
  asm("cvt.f32.bf16 %0, %1;" : "=f"(f) : "h"(h.bits));
  return f;
}
__device__ __forceinline__ kiln_bf16 kiln_f2bf(float f) {
  kiln_bf16 h;
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
  return h;
}
// Rounds through the 16-bit type (what a Cast to f16/bf16 means when math stays in fp32).
__device__ __forceinline__ float kiln_round_f16(float f) { return kiln_h2f(kiln_f2h(f)); }
__device__ __forceinline__ float kiln_round_bf16(float f) { return kiln_bf2f(kiln_f2bf(f)); }

// Activations (fp32 and fp64).
__device__ __forceinline__ float kiln_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ __forceinline__ double kiln_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
__device__ __forceinline__ float kiln_silu(float x) { return x / (1.0f + expf(-x)); }
__device__ __forceinline__ double kiln_silu(double x) { return x / (1.0 + exp(-x)); }
__device__ __forceinline__ float kiln_gelu(float x) {
  return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}
__device__ __forceinline__ double kiln_gelu(double x) {
  return 0.5 * x * (1.0 + erf(x * 0.70710678118654752));
}
__device__ __forceinline__ float kiln_gelu_tanh(float x) {
  return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}
__device__ __forceinline__ double kiln_gelu_tanh(double x) {
  return 0.5 * x * (1.0 + tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)));
}

// Integer helpers with ONNX semantics (Mod with fmod=0 takes the divisor's sign).
template <typename T> __device__ __forceinline__ T kiln_min(T a, T b) { return b < a ? b : a; }
template <typename T> __device__ __forceinline__ T kiln_max(T a, T b) { return a < b ? b : a; }
template <typename T> __device__ __forceinline__ T kiln_imod(T a, T b) {
  T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
// Clamps a gathered index into [0, n) after wrapping negatives (no device-side errors here).
__device__ __forceinline__ kiln_i64 kiln_wrap_index(kiln_i64 i, kiln_i64 n) {
  if (i < 0) i += n;
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

// Block-wide fp32 reductions through warp shuffles; every thread of the block must call them.
__device__ __forceinline__ float kiln_warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float kiln_warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float kiln_block_sum(float v) {
  __shared__ float partial[32];
  v = kiln_warp_sum(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // A previous call may still be reading `partial`.
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < ((blockDim.x + 31) >> 5) ? partial[lane] : 0.0f;
  return kiln_warp_sum(v);
}
__device__ __forceinline__ float kiln_block_max(float v) {
  __shared__ float partial[32];
  v = kiln_warp_max(v);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < ((blockDim.x + 31) >> 5) ? partial[lane] : -__int_as_float(0x7f800000);
  return kiln_warp_max(v);
}

// 16-byte vector access (the pointer must be 16-byte aligned).
struct alignas(16) kiln_vec16 { unsigned int x, y, z, w; };
__device__ __forceinline__ kiln_vec16 kiln_load16(const void* p) {
  return *reinterpret_cast<const kiln_vec16*>(p);
}
__device__ __forceinline__ void kiln_store16(void* p, kiln_vec16 v) {
  *reinterpret_cast<kiln_vec16*>(p) = v;
}

// Launch parameters, passed by value. R: iteration rank, K: inputs, D: runtime dims.
template <int R, int K, int D> struct KilnElementwiseParams {
  kiln_i64 n;                // Elements in the iteration domain.
  kiln_i64 out_dims[R];      // The domain's dims.
  kiln_i64 in_strides[K][R]; // Per input: element stride per domain dim (0 where broadcast).
  kiln_i64 dims[D];          // Symbolic dims used by index arithmetic.
};
template <int D> struct KilnRowParams {
  kiln_i64 rows;
  kiln_i64 cols;
  kiln_i64 dims[D];
};
// ---- end of prelude ----
)CUDA";

}  // namespace

const std::string& CudaPrelude(IndexWidth width) {
  static const std::string* prelude32 =
      new std::string(std::string(kPreludeHead) + kIndex32 + kPreludeBody);
  static const std::string* prelude64 =
      new std::string(std::string(kPreludeHead) + kIndex64 + kPreludeBody);
  return width == IndexWidth::k32 ? *prelude32 : *prelude64;
}

}  // namespace kiln
