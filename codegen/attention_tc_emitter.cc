// The tensor-core attention kernel is one template specialised by text substitution (dtype,
// head sizes, layout, mask and bias terms). A block of 4 warps owns 64 queries of one (batch,
// head); each warp owns 16 of them and keeps its Q fragments, running max/sum and output
// accumulators in registers. Key/value tiles of 64 rows are staged in shared memory with
// cp.async: double-buffered when five tiles fit in 48 KB (head sizes up to 64: a 128-key
// sequence arrives in one wait), else with one K buffer and V sharing Q's (see Pipeline).
// Fragment layouts
// are those of PTX mma.m16n8k16 (row g = lane / 4, column pair 2 * (lane % 4)): the fp32
// accumulator tiles of S = Q·Kᵀ are exactly the A fragments of P·V once packed to 16 bits.
#include "codegen/attention_tc_emitter.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "codegen/expr_emitter.h"

namespace kiln {
namespace {

// Helpers shared by every tensor-core attention kernel of a module (dtype-generic): the PTX
// wrappers, then the tile loader.
constexpr char kHelpers[] = R"CUDA(
#ifndef KILN_ATTENTION_MMA_DEFINED
#define KILN_ATTENTION_MMA_DEFINED
// The .shared window address of a generic pointer into shared memory.
__device__ __forceinline__ unsigned kiln_smem_addr(const void* p) {
  unsigned a;
  asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
  return a;
}
// 16-byte global -> shared copy (L2 only); writes zeros instead when !valid.
__device__ __forceinline__ void kiln_cp_async16(unsigned dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
               :: "r"(dst), "l"(src), "r"(valid ? 16 : 0) : "memory");
}
__device__ __forceinline__ void kiln_cp_async_commit() {
  asm volatile("cp.async.commit_group;" ::: "memory");
}
// Waits until at most N committed copy groups of this thread are pending.
template <int N> __device__ __forceinline__ void kiln_cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory");
}
// Four 8x8 b16 matrices, transposed; lanes 8i..8i+7 give the row addresses of matrix i.
__device__ __forceinline__ void kiln_ldsm_x4_t(unsigned addr, unsigned* r) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(addr) : "memory");
}
// c += a (16x16, row-major) * b (16x8, column-major), fp32 accumulators.
__device__ __forceinline__ void kiln_mma_f16(float* c, const unsigned* a, unsigned b0,
                                             unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, "
               "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ void kiln_mma_bf16(float* c, const unsigned* a, unsigned b0,
                                              unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, "
               "{%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
// Two floats as a packed 16-bit pair, `lo` in the low half (the lower column of a fragment).
__device__ __forceinline__ unsigned kiln_pack_f16(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
__device__ __forceinline__ unsigned kiln_pack_bf16(float lo, float hi) {
  unsigned r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
__device__ __forceinline__ float kiln_exp2(float x) {  // 2^x; 2^-inf = 0.
  float r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}
#endif  // KILN_ATTENTION_MMA_DEFINED

// Plain CUDA from here on (codegen/testdata/attention_tc_emulator.inc runs it on the CPU with
// its own versions of the PTX helpers above).
#ifndef KILN_ATTENTION_STAGE_DEFINED
#define KILN_ATTENTION_STAGE_DEFINED
// Stages rows [row0, row0 + ROWS) of a matrix of W-wide 16-bit rows (row i at src + i * stride)
// into dst with row stride W + 8 (the pad spreads 8 consecutive rows over all banks). Rows at or
// past `rows` become zeros so masked keys never bring NaN garbage into P·V. cp.async when `vec`
// (16-byte aligned sources), else plain element copies.
template <int W, int ROWS>
__device__ __forceinline__ void kiln_attn_stage(unsigned short* dst, const unsigned short* src,
                                                kiln_i64 stride, kiln_i64 row0, kiln_i64 rows,
                                                bool vec) {
  constexpr int kChunks = W / 8;  // 16-byte chunks per row.
  for (int c = threadIdx.x; c < ROWS * kChunks; c += 128) {
    const int r = c / kChunks, e = (c % kChunks) * 8;
    const bool ok = row0 + r < rows;
    unsigned short* d = dst + r * (W + 8) + e;
    const unsigned short* s = src + (ok ? (row0 + r) * stride + e : 0);
    if (vec) {
      kiln_cp_async16(kiln_smem_addr(d), s, ok);
    } else {
#pragma unroll
      for (int t = 0; t < 8; ++t) d[t] = ok ? s[t] : (unsigned short)0;
    }
  }
}
#endif  // KILN_ATTENTION_STAGE_DEFINED
)CUDA";

constexpr char kTemplate[] = R"CUDA(
extern "C" __global__ void __launch_bounds__(128)
$NAME(const $T* __restrict__ q, const $T* __restrict__ k, const $T* __restrict__ v,$EXTRA_ARGS
      $T* __restrict__ y, KilnAttentionParams p) {
  // BQ queries per block (16 per warp), BK keys per tile; shared rows padded by 8 elements.
  constexpr int D = $HEADQ, DV = $HEADV, BQ = 64, BK = 64, SD = D + 8, SV = DV + 8;
$SMEM  const float kNegInf = -__int_as_float(0x7f800000);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, tq = lane & 3;
  const kiln_i64 b = blockIdx.z, h = blockIdx.y;
  const kiln_i64 Hq = p.q_heads, Hkv = p.kv_heads, Sq = p.q_seq, Skv = p.kv_seq;
  // Query tiles run last-first: under a causal mask the late tiles have the most keys.
$FIRST_TILE
  const kiln_i64 kvh = h / (Hq / Hkv);
  // Row i of this (batch, head)'s matrices is at base + i * stride.
$BASES
  const unsigned short* qs = (const unsigned short*)(q + q_base);
  const unsigned short* ks = (const unsigned short*)(k + k_base);
  const unsigned short* vs = (const unsigned short*)(v + v_base);
  const bool vec = ((unsigned long long)q | (unsigned long long)k | (unsigned long long)v) % 16 == 0;
  kiln_i64 key_end = Skv;
$CAUSAL_END
$TILES
  // Per key of the tile starting at j0: 1 when kept by padding and length, else 0.
  auto stage_keys = [&](kiln_i64 j0, float* dst) {
    if (tid < BK) {
      const kiln_i64 j = j0 + tid;
      bool ok = j < Skv;
$PADDING
      dst[tid] = ok ? 1.0f : 0.0f;
    }
  };

$PROLOGUE
$PASS_BEGIN  unsigned qf[D / 16][4];
  {
    const unsigned short* r = sq + (warp * 16 + g) * SD + 2 * tq;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      qf[kk][0] = *(const unsigned*)(r + kk * 16);
      qf[kk][1] = *(const unsigned*)(r + 8 * SD + kk * 16);
      qf[kk][2] = *(const unsigned*)(r + kk * 16 + 8);
      qf[kk][3] = *(const unsigned*)(r + 8 * SD + kk * 16 + 8);
    }
  }
$STAGE_NEXT
$AFTER_Q
  // Per thread: rows g and g + 8 of the warp; o[n][0..1] row g, o[n][2..3] row g + 8.
  const kiln_i64 rows[2] = {q0 + warp * 16 + g, q0 + warp * 16 + g + 8};
  float o[DV / 8][4], m[2] = {kNegInf, kNegInf}, l[2] = {0.0f, 0.0f};
#pragma unroll
  for (int n = 0; n < DV / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  for (int t = 0; t < tiles; ++t) {
    const kiln_i64 j0 = (kiln_i64)t * BK;
$TILE_BEGIN
    // Phase 1: S = Q·Kᵀ for 16 rows x BK keys (K fragments straight from shared memory).
    float s[BK / 8][4];
#pragma unroll
    for (int n = 0; n < BK / 8; ++n) {
      s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
      const unsigned short* kr = skt + (n * 8 + g) * SD + 2 * tq;
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        $MMA(s[n], qf[kk], *(const unsigned*)(kr + kk * 16), *(const unsigned*)(kr + kk * 16 + 8));
      }
    }
    // Phase 2: scale (log2 domain), masks, then the online softmax update. A row with nothing
    // kept yet keeps m = -inf and uses 0 as its base so exp2 gives 0 instead of NaN.
    float mt[2] = {m[0], m[1]};
#pragma unroll
    for (int n = 0; n < BK / 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int jj = n * 8 + 2 * tq + (e & 1);
        const kiln_i64 i = rows[e >> 1], j = j0 + jj;
        bool ok = skeyt[jj] != 0.0f;
$CAUSAL_KEY
        float x = s[n][e] * $SCALE_LOG2;
$BIAS
        s[n][e] = ok ? x : kNegInf;
        mt[e >> 1] = fmaxf(mt[e >> 1], s[n][e]);
      }
    }
    float base[2], corr[2], sum[2] = {0.0f, 0.0f};
#pragma unroll
    for (int r = 0; r < 2; ++r) {  // The 4 lanes of a quad share a row.
      mt[r] = fmaxf(mt[r], __shfl_xor_sync(0xffffffffu, mt[r], 1));
      mt[r] = fmaxf(mt[r], __shfl_xor_sync(0xffffffffu, mt[r], 2));
      base[r] = mt[r] == kNegInf ? 0.0f : mt[r];
      corr[r] = kiln_exp2(m[r] - base[r]);
      m[r] = mt[r];
    }
#pragma unroll
    for (int n = 0; n < BK / 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[n][e] = kiln_exp2(s[n][e] - base[e >> 1]);
        sum[e >> 1] += s[n][e];
      }
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) l[r] = l[r] * corr[r] + sum[r];  // Quad-partial sums.
#pragma unroll
    for (int n = 0; n < DV / 8; ++n) {
      o[n][0] *= corr[0];
      o[n][1] *= corr[0];
      o[n][2] *= corr[1];
      o[n][3] *= corr[1];
    }
$BEFORE_PV
    // Phase 3: O += P·V (P packed to 16 bits).
#pragma unroll
    for (int kk = 0; kk < BK / 16; ++kk) {
      const unsigned a[4] = {$PACK(s[2 * kk][0], s[2 * kk][1]), $PACK(s[2 * kk][2], s[2 * kk][3]),
                             $PACK(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                             $PACK(s[2 * kk + 1][2], s[2 * kk + 1][3])};
      const int key = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int n2 = 0; n2 < DV / 16; ++n2) {
        unsigned bv[4];
        kiln_ldsm_x4_t(svt_addr + (key * SV + n2 * 16 + (lane >> 4) * 8) * 2, bv);
        $MMA(o[2 * n2], a, bv[0], bv[1]);
        $MMA(o[2 * n2 + 1], a, bv[2], bv[3]);
      }
    }
$AFTER_PV
  }

  // Epilogue: full row sums across the quad, normalise, store (empty rows per empty_rows).
  // Pairs of outputs go out as one 32-bit store when y allows it.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
  }
  const bool pairs = (unsigned long long)y % 4 == 0;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const kiln_i64 i = rows[r];
    if (i >= Sq) continue;
    $T* yr = y + y_base + i * y_stride;
#pragma unroll
    for (int n = 0; n < DV / 8; ++n) {
      const int e = n * 8 + 2 * tq;
      float out0 = 0.0f, out1 = 0.0f;
      if (l[r] > 0.0f) {
        const float inv = 1.0f / l[r];
        out0 = o[n][2 * r] * inv;
        out1 = o[n][2 * r + 1] * inv;
      } else {
$EMPTY_ROW
      }
      if (pairs) {
        *(unsigned*)(yr + e) = $PACK(out0, out1);
      } else {
        yr[e] = $STORE(out0);
        yr[e + 1] = $STORE(out1);
      }
    }
  }
$PASS_END}
)CUDA";

// How a block walks its query tiles, spliced into kTemplate before the rest: one tile, or
// KilnAttentionParams::q_tiles consecutive ones over keys that stay resident (tiles <= 2).
struct QueryTiles {
  const char* first_tile;  // Declares q0, the block's first (last-most) query tile.
  const char* tiles;       // Declares `tiles`, the key tiles of the tile at q0.
  const char* pass_begin;
  const char* stage_next;  // Whether key tile 0's step stages the next query tile's Q.
  const char* pass_end;
};

constexpr QueryTiles kOneQueryTile = {
    "  const kiln_i64 q0 = (kiln_i64)(gridDim.x - 1 - blockIdx.x) * BQ;",
    "  const int tiles = (int)((key_end + BK - 1) / BK);", "", "  constexpr bool stage_next = false;",
    ""};

constexpr QueryTiles kQueryTiles = {
    R"CUDA(  const int passes = (int)p.q_tiles;
  kiln_i64 q0 = ((Sq + BQ - 1) / BQ - 1 - (kiln_i64)blockIdx.x * passes) * BQ;)CUDA",
    R"CUDA(  int tiles = (int)((key_end + BK - 1) / BK);
  if (tiles > 2) __trap();  // The launcher packs query tiles only over resident keys.)CUDA",
    "  for (int pass = 0;; ++pass) {\n",
    R"CUDA(  // The block's next query tile, staged into Q's region during key tile 0.
  const bool stage_next = pass + 1 < passes && q0 >= BQ;)CUDA",
    R"CUDA(  if (!stage_next) break;
  // The next query tile: its Q was staged during key tile 0. A tile without key tiles stages
  // none, but every later one has none either (key_end only falls as q0 does), so reads no Q.
  q0 -= BQ;
  kiln_cp_async_commit();
  kiln_cp_async_wait<0>();
  __syncthreads();
  key_end = Skv;
$CAUSAL_END
  tiles = (int)((key_end + BK - 1) / BK);
  }
)CUDA"};

// The two key/value pipelines, spliced into kTemplate. Both stage tiles with cp.async; tile t's
// K is `skt`, its key flags `skeyt`, its V at shared address `svt_addr`.
struct Pipeline {
  const char* smem;
  const char* prologue;    // Stages Q (into `sq`) and the first tiles; Q is readable after it.
  const char* after_q;     // Once every warp holds its Q fragments.
  const char* tile_begin;  // Waits for tile t and points at it.
  const char* before_pv;   // After the softmax of tile t, before O += P·V.
  const char* after_pv;
};

// One K buffer, and one region that holds Q until it is read, then V: fits every head size up
// to 128 in 48 KB. V of tile t streams in while Q·Kᵀ runs, K of tile t+1 while P·V runs.
constexpr Pipeline kSingleBuffered = {
    R"CUDA(  constexpr int kQV = BQ * SD > BK * SV ? BQ * SD : BK * SV;
  __shared__ __align__(16) unsigned short sk[BK * SD];
  __shared__ __align__(16) unsigned short sq[kQV];  // The Q tile until read, then V tiles.
  __shared__ float skey[BK];
)CUDA",
    R"CUDA(  // Prologue: Q and the first K tile; this warp's Q rows become A fragments in registers.
  kiln_attn_stage<D, BQ>(sq, qs, q_stride, q0, Sq, vec);
  if (tiles > 0) {
    kiln_attn_stage<D, BK>(sk, ks, k_stride, 0, Skv, vec);
    stage_keys(0, skey);
  }
  kiln_cp_async_commit();
  kiln_cp_async_wait<0>();
  __syncthreads();)CUDA",
    R"CUDA(  __syncthreads();  // Every warp has its Q: the region now takes V.
  if (tiles > 0) kiln_attn_stage<DV, BK>(sq, vs, v_stride, 0, Skv, vec);
  kiln_cp_async_commit();
  const unsigned short* const skt = sk;
  const float* const skeyt = skey;
  const unsigned svt_addr = kiln_smem_addr(sq);
)CUDA",
    "",
    R"CUDA(    // Wait for this V tile, then start the next K tile.
    kiln_cp_async_wait<0>();
    __syncthreads();
    if (t + 1 < tiles) {
      kiln_attn_stage<D, BK>(sk, ks, k_stride, j0 + BK, Skv, vec);
      stage_keys(j0 + BK, skey);
    }
    kiln_cp_async_commit();)CUDA",
    R"CUDA(    // Phase 4: once every warp is done with V, start the next V tile and wait for the next K.
    __syncthreads();
    if (t + 1 < tiles) kiln_attn_stage<DV, BK>(sq, vs, v_stride, j0 + BK, Skv, vec);
    kiln_cp_async_commit();
    kiln_cp_async_wait<1>();
    __syncthreads();)CUDA"};

// Q in its own region and two K/V buffers (tile t in buffer t % 2): the prologue stages Q and
// tiles 0 and 1 at once, and tile t+2 streams in while tile t+1 is computed, so a sequence of
// up to two tiles (128 keys) waits for memory once. One commit group per tile (the first with
// Q), committed even when empty, so "all but the newest group" is always up to tile t.
constexpr Pipeline kDoubleBuffered = {
    R"CUDA(  __shared__ __align__(16) unsigned short sq[BQ * SD];
  __shared__ __align__(16) unsigned short sk[2][BK * SD];
  __shared__ __align__(16) unsigned short sv[2][BK * SV];
  __shared__ float skey[2][BK];
)CUDA",
    R"CUDA(  // Prologue: Q with tile 0, then tile 1; this warp's Q rows become A fragments in registers.
  kiln_attn_stage<D, BQ>(sq, qs, q_stride, q0, Sq, vec);
  for (int f = 0; f < 2; ++f) {
    if (f < tiles) {
      kiln_attn_stage<D, BK>(sk[f], ks, k_stride, (kiln_i64)f * BK, Skv, vec);
      kiln_attn_stage<DV, BK>(sv[f], vs, v_stride, (kiln_i64)f * BK, Skv, vec);
      stage_keys((kiln_i64)f * BK, skey[f]);
    }
    kiln_cp_async_commit();
  }
  kiln_cp_async_wait<1>();
  __syncthreads();)CUDA",
    "",
    R"CUDA(    const int buf = t & 1;
    kiln_cp_async_wait<1>();  // Every group but the newest (tile t + 1) has landed.
    __syncthreads();
    const unsigned short* const skt = sk[buf];
    const float* const skeyt = skey[buf];
    const unsigned svt_addr = kiln_smem_addr(sv[buf]);)CUDA",
    "",
    R"CUDA(    // Once every warp is done with buffer `buf`, tile t + 2 streams into it.
    __syncthreads();
    if (t + 2 < tiles) {
      kiln_attn_stage<D, BK>(sk[buf], ks, k_stride, j0 + 2 * BK, Skv, vec);
      kiln_attn_stage<DV, BK>(sv[buf], vs, v_stride, j0 + 2 * BK, Skv, vec);
      stage_keys(j0 + 2 * BK, skey[buf]);
    } else if (t == 0 && stage_next) {  // Keys stay resident; Q's region takes the next tile.
      kiln_attn_stage<D, BQ>(sq, qs, q_stride, q0 - BQ, Sq, vec);
    }
    kiln_cp_async_commit();)CUDA"};

// Bytes of shared memory the double-buffered pipeline needs (Q, two K and two V tiles of 64
// rows padded by 8 elements, two key-flag rows); it is used when that fits the 48 KB a kernel
// may declare statically.
constexpr int kStaticSharedBytes = 48 * 1024;
int DoubleBufferedBytes(const AttentionConfig& c) {
  return (64 * (c.head_dim + 8) * 3 + 2 * 64 * (c.v_head_dim + 8)) * 2 + 2 * 64 * 4;
}

// Base offset and row stride of (batch b, head `head`)'s [seq, dim] matrix in a bhsd tensor,
// or in a bsd one whose tokens are `row` elements apart (dense when empty).
std::string Bases(bool bsd, const std::string& name, const std::string& head,
                  const std::string& heads, const std::string& seq, const std::string& dim,
                  const std::string& row = "") {
  if (bsd) {
    std::string r = row.empty() ? absl::StrCat(heads, " * ", dim) : row;
    return absl::StrCat("  const kiln_i64 ", name, "_base = b * ", seq, " * ", r, " + ", head,
                        " * ", dim, ", ", name, "_stride = ", r, ";\n");
  }
  return absl::StrCat("  const kiln_i64 ", name, "_base = (b * ", heads, " + ", head, ") * ", seq,
                      " * ", dim, ", ", name, "_stride = ", dim, ";\n");
}

}  // namespace

std::string TensorCoreAttentionTilesName(const std::string& name) {
  return absl::StrCat(name, "_tiles");
}

int TensorCoreAttentionResidentKeys(const AttentionConfig& c) {
  return DoubleBufferedBytes(c) <= kStaticSharedBytes ? 128 : 0;  // Two 64-key buffers.
}

bool TensorCoreAttentionCovers(const AttentionConfig& c) {
  return (c.dtype == DType::kF16 || c.dtype == DType::kBF16) && c.head_dim > 0 &&
         c.head_dim % 16 == 0 && c.head_dim <= kAttentionMaxHeadDim && c.v_head_dim > 0 &&
         c.v_head_dim % 16 == 0 && c.v_head_dim <= kAttentionMaxHeadDim;
}

std::string EmitTensorCoreAttentionSource(const AttentionConfig& c, const std::string& name) {
  const bool bf16 = c.dtype == DType::kBF16;
  std::string extra, padding, bias, causal_end, causal_key, empty_row;
  if (c.key_mask_dtype != DType::kUndefined) {
    extra += absl::StrCat(" const ", StorageType(c.key_mask_dtype), "* __restrict__ key_mask,");
    padding = absl::StrCat("      if (ok && !(",
                           LoadConvert(c.key_mask_dtype, "key_mask[b * Skv + j]"),
                           " != 0)) ok = false;");
  }
  if (c.bias_dtype != DType::kUndefined) {
    extra += absl::StrCat(" const ", StorageType(c.bias_dtype), "* __restrict__ bias,");
    // Rows past Sq are computed but never stored: their bias is not read.
    bias = absl::StrCat(
        "        if (ok && i < Sq) x += 1.44269504088896341f * (float)",
        LoadConvert(c.bias_dtype,
                    "bias[b * p.bias_stride[0] + h * p.bias_stride[1] + i * p.bias_stride[2] + "
                    "j * p.bias_stride[3]]"),
        ";");
  }
  if (c.causal) {
    // Keys past the block's last query's diagonal are never needed.
    causal_end =
        "  {\n    const kiln_i64 last_q = (q0 + BQ < Sq ? q0 + BQ : Sq) - 1;\n"
        "    const kiln_i64 end = last_q + Skv - Sq + 1;\n"
        "    key_end = end < 0 ? 0 : (end < Skv ? end : Skv);\n  }";
    causal_key = "        ok = ok && j <= i + Skv - Sq;";
  }
  if (c.uniform_empty) {
    empty_row = absl::StrCat(
        "        for (kiln_i64 jv = 0; jv < Skv; ++jv) {\n"
        "          out0 += ", LoadConvert(c.dtype, "v[v_base + jv * v_stride + e]"), ";\n",
        "          out1 += ", LoadConvert(c.dtype, "v[v_base + jv * v_stride + e + 1]"), ";\n",
        "        }\n"
        "        if (Skv > 0) out0 /= (float)Skv, out1 /= (float)Skv;");
  }
  std::string bases = Bases(c.bsd, "q", "h", "Hq", "Sq", "D", "p.row_stride[0]") +
                      Bases(c.bsd, "k", "kvh", "Hkv", "Skv", "D", "p.row_stride[1]") +
                      Bases(c.bsd, "v", "kvh", "Hkv", "Skv", "DV", "p.row_stride[2]") +
                      Bases(c.bsd, "y", "h", "Hq", "Sq", "DV");
  const double scale_log2 = static_cast<double>(c.scale) * 1.4426950408889634;
  const Pipeline& pipe =
      DoubleBufferedBytes(c) <= kStaticSharedBytes ? kDoubleBuffered : kSingleBuffered;
  const std::string head_q = absl::StrCat(c.head_dim), head_v = absl::StrCat(c.v_head_dim);
  const std::string scale = Literal(DType::kF32, scale_log2), type = StorageType(c.dtype);
  std::vector<std::pair<absl::string_view, absl::string_view>> subs = {
      {"$T", type},
      {"$EXTRA_ARGS", extra},
      {"$HEADQ", head_q},
      {"$HEADV", head_v},
      {"$SMEM", pipe.smem},
      {"$PROLOGUE", pipe.prologue},
      {"$AFTER_Q", pipe.after_q},
      {"$TILE_BEGIN", pipe.tile_begin},
      {"$BEFORE_PV", pipe.before_pv},
      {"$AFTER_PV", pipe.after_pv},
      {"$BASES", bases},
      {"$CAUSAL_END", causal_end},
      {"$PADDING", padding},
      {"$CAUSAL_KEY", causal_key},
      {"$SCALE_LOG2", scale},
      {"$BIAS", bias},
      {"$MMA", bf16 ? "kiln_mma_bf16" : "kiln_mma_f16"},
      {"$PACK", bf16 ? "kiln_pack_bf16" : "kiln_pack_f16"},
      {"$EMPTY_ROW", empty_row},
      {"$STORE", bf16 ? "kiln_f2bf" : "kiln_f2h"},
  };
  auto kernel = [&](const std::string& kernel_name, const QueryTiles& walk) {
    subs.emplace_back("$NAME", kernel_name);
    std::string text = absl::StrReplaceAll(
        absl::StrReplaceAll(kTemplate, {{"$FIRST_TILE", walk.first_tile},
                                        {"$TILES", walk.tiles},
                                        {"$PASS_BEGIN", walk.pass_begin},
                                        {"$STAGE_NEXT", walk.stage_next},
                                        {"$PASS_END", walk.pass_end}}),
        subs);
    subs.pop_back();
    return text;
  };
  std::string source = std::string(kHelpers) + kernel(name, kOneQueryTile);
  if (TensorCoreAttentionResidentKeys(c) > 0) {
    source += kernel(TensorCoreAttentionTilesName(name), kQueryTiles);
  }
  return source;
}

}  // namespace kiln
