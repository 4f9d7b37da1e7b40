// Tests of the fused-kernel emitters on small hand-written FusedKernels: the generated source
// names each body node in a comment and computes the expected expressions, the launch
// description carries the broadcast strides and row geometry, every kernel compiles with
// NVRTC, and unsupported bodies are refused naming the op.
#include "codegen/kernel_emitter.h"

#include "absl/strings/match.h"
#include "codegen/nvrtc_compiler.h"
#include "codegen/source_writer.h"
#include "gtest/gtest.h"
#include "ir/parser.h"

namespace kiln {
namespace {

// Parses `text` and emits its (first) FusedKernel.
absl::StatusOr<EmittedKernel> EmitFirst(absl::string_view text,
                                        std::unique_ptr<Graph>* keep = nullptr) {
  absl::StatusOr<std::unique_ptr<Graph>> graph = ParseGraph(text);
  if (!graph.ok()) return graph.status();
  for (const Node* n : (*graph)->nodes()) {
    if (n->op() == OpKind::kFusedKernel) {
      absl::StatusOr<EmittedKernel> k = EmitKernel(*n);
      if (keep != nullptr) *keep = *std::move(graph);
      return k;
    }
  }
  return absl::NotFoundError("no FusedKernel");
}

void ExpectCompiles(const EmittedKernel& k) {
  absl::StatusOr<CompiledModule> m =
      CompileCuda(BuildModuleSource({k}), k.name + ".cu", NvrtcOptions{});
  ASSERT_TRUE(m.ok()) << m.status() << "\n" << BuildModuleSource({k});
  EXPECT_FALSE(m->cubin.empty());
}

constexpr char kElementwise[] = R"(
graph main(%x: f32[batch,4], %y: f16[batch,4], %s: f32[4]) {
  %r: f32[batch,4] = FusedKernel(%x, %y, %s) @fused_add body
    graph fused(%x: f32[batch,4], %y: f16[batch,4], %s: f32[4]) {
      %half: f32[] = Constant() {value=tensor<f32[]> [0.5]} @half_const
      %yf: f32[batch,4] = Cast(%y) {to="f32"} @cast_y
      %a: f32[batch,4] = Add(%x, %yf) @add_xy
      %m: f32[batch,4] = Mul(%a, %half) @scale
      %t: f32[batch,4] = Sub(%m, %s) @sub_bias
      %r: f32[batch,4] = Gelu(%t) {approximate="tanh"} @act
      return %r
    }
  return %r
}
)";

TEST(KernelEmitterTest, ElementwiseKernelCommentsEveryNodeAndBroadcasts) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kElementwise);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->kind, EmittedKernel::Kind::kElementwise);
  EXPECT_EQ(k->name, "kiln_fused_add");
  const std::string& src = k->source;
  EXPECT_TRUE(absl::StrContains(
      src, "extern \"C\" __global__ void __launch_bounds__(256) kiln_fused_add("));
  for (const char* comment :
       {"// cast_y (Cast) -> yf: f32[batch,4]", "// add_xy (Add) -> a", "// scale (Mul) -> m",
        "// sub_bias (Sub) -> t", "// act (Gelu) -> r"}) {
    EXPECT_TRUE(absl::StrContains(src, comment)) << comment << "\n" << src;
  }
  // f16 loads convert through the prelude; the scalar constant is inlined as a literal.
  EXPECT_TRUE(absl::StrContains(src, "kiln_h2f(y[")) << src;
  EXPECT_TRUE(absl::StrContains(src, "const float m = (a * 0.5f);")) << src;
  EXPECT_TRUE(absl::StrContains(src, "kiln_gelu_tanh(t)")) << src;
  EXPECT_TRUE(absl::StrContains(src, "out_r[flat] = r;")) << src;
  // Constant broadcast strides are literals: the [4] operand is read at the last index alone.
  EXPECT_TRUE(absl::StrContains(src, "s[i1]")) << src;
  EXPECT_TRUE(absl::StrContains(src, "x[i0 * (kiln_idx)4 + i1]")) << src;
  // The [4] operand is stretched over batch: stride 0 there, 1 along the last dim.
  ASSERT_EQ(k->input_strides.size(), 3u);
  EXPECT_EQ(k->input_strides[2], (std::vector<DimExpr>{DimExpr(0), DimExpr(1)}));
  EXPECT_EQ(k->input_strides[0], (std::vector<DimExpr>{DimExpr(4), DimExpr(1)}));
  EXPECT_EQ(k->domain, (std::vector<DimExpr>{DimExpr::Symbol("batch"), DimExpr(4)}));
  ASSERT_EQ(k->buffers.size(), 4u);
  EXPECT_TRUE(k->buffers[3].is_output);
  EXPECT_TRUE(absl::StrContains(k->LaunchSummary(), "in_strides[2]=[0, 1]")) << k->LaunchSummary();
  ExpectCompiles(*k);
}

constexpr char kInjective[] = R"(
graph main(%x: f32[2,seq,8], %ids: i64[seq]) {
  %y: f16[seq,16], %z: f16[seq,16] = FusedKernel(%x, %ids) @fused_views body
    graph fused(%x: f32[2,seq,8], %ids: i64[seq]) {
      %t: f32[seq,2,8] = Transpose(%x) {perm=[1, 0, 2]} @tr
      %shape: i64[2] = Constant() {value=tensor<i64[2]> [0, 16]} @shape_const
      %r: f32[seq,16] = Reshape(%t, %shape) @rs
      %c: f32[seq,32] = Concat(%r, %r) {axis=1} @cat
      %st: i64[1] = Constant() {value=tensor<i64[1]> [16]} @st
      %en: i64[1] = Constant() {value=tensor<i64[1]> [32]} @en
      %ax: i64[1] = Constant() {value=tensor<i64[1]> [1]} @ax
      %s: f32[seq,16] = Slice(%c, %st, %en, %ax) @sl
      %one: i64[2] = Constant() {value=tensor<i64[2]> [-1, 1]} @one
      %ids3: i64[seq,1] = Reshape(%ids, %one) @rs_ids
      %shape2: i64[2] = Constant() {value=tensor<i64[2]> [1, 16]} @shape2
      %ids2: i64[seq,16] = Expand(%ids3, %shape2) @ex
      %g: f32[seq,16] = GatherElements(%s, %ids2) {axis=0} @ge
      %y: f16[seq,16] = Cast(%s) {to="f16"} @to_half
      %z: f16[seq,16] = Cast(%g) {to="f16"} @to_half2
      return %y, %z
    }
  return %y, %z
}
)";

TEST(KernelEmitterTest, InjectiveOpsBecomeIndexArithmetic) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kInjective);
  ASSERT_TRUE(k.ok()) << k.status();
  const std::string& src = k->source;
  for (const char* comment :
       {"// tr (Transpose)", "// rs (Reshape)", "// cat (Concat)", "// sl (Slice)",
        "// ge (GatherElements)", "// ex (Expand)", "// to_half (Cast)"}) {
    EXPECT_TRUE(absl::StrContains(src, comment)) << comment << "\n" << src;
  }
  EXPECT_TRUE(absl::StrContains(src, "kiln_wrap_index(")) << src;
  EXPECT_TRUE(absl::StrContains(src, "kiln_round_f16(")) << src;
  EXPECT_TRUE(absl::StrContains(src, "out_y[flat] = kiln_f2h(")) << src;
  ExpectCompiles(*k);
}

constexpr char kSoftmax[] = R"(
graph main(%x: f16[batch,heads,seq,seq], %bias: f16[seq]) {
  %y: f32[batch,heads,seq,seq] = FusedKernel(%x, %bias) @fused_softmax body
    graph fused(%x: f16[batch,heads,seq,seq], %bias: f16[seq]) {
      %a: f16[batch,heads,seq,seq] = Add(%x, %bias) @add_bias
      %s: f16[batch,heads,seq,seq] = Softmax(%a) {axis=-1} @softmax
      %y: f32[batch,heads,seq,seq] = Cast(%s) {to="f32"} @to_float
      return %y
    }
  return %y
}
)";

TEST(KernelEmitterTest, SoftmaxRowKernelWithPrologueAndEpilogue) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kSoftmax);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->kind, EmittedKernel::Kind::kRowReduction);
  EXPECT_EQ(k->cols, DimExpr::Symbol("seq"));
  EXPECT_EQ(k->rows, DimExpr::Symbol("batch") * DimExpr::Symbol("heads") * DimExpr::Symbol("seq"));
  const std::string& src = k->source;
  for (const char* s :
       {"// add_bias (Add)", "// softmax (Softmax)", "// to_float (Cast)",
        "kiln_block_max(row_max)", "kiln_block_sum(row_sum)", "out_y[row * p.cols + c] = "}) {
    EXPECT_TRUE(absl::StrContains(src, s)) << s << "\n" << src;
  }
  ExpectCompiles(*k);
}

constexpr char kSkipNorm[] = R"(
graph main(%x: bf16[batch,seq,64], %skip: bf16[batch,seq,64]) {
  %y: bf16[batch,seq,64], %sum: bf16[batch,seq,64] = FusedKernel(%x, %skip) @fused_norm body
    graph fused(%x: bf16[batch,seq,64], %skip: bf16[batch,seq,64]) {
      %w: bf16[64] = Constant() {value=tensor<bf16[64]> elided} @w
      %y: bf16[batch,seq,64], %sum: bf16[batch,seq,64] = SkipNormalization(%x, %skip, %w) {epsilon=1e-06, norm="rms"} @rms
      return %y, %sum
    }
  return %y, %sum
}
)";

TEST(KernelEmitterTest, SkipRmsNormStoresBothOutputs) {
  std::string text = kSkipNorm;
  std::string ones;
  for (int i = 0; i < 64; ++i) ones += i ? ", 1" : "1";
  text.replace(text.find("elided"), 6, "[" + ones + "]");
  absl::StatusOr<EmittedKernel> k = EmitFirst(text);
  ASSERT_TRUE(k.ok()) << k.status();
  // 64 constant bf16 columns: eight 16-byte vectors, one per thread of a 32-thread block, read
  // and written whole and cached in registers.
  EXPECT_EQ(k->block_size, 32);
  EXPECT_EQ(k->vector_width, 8);
  const std::string& src = k->source;
  for (const char* s : {"// rms (SkipNormalization)", "kiln_round_bf16(", "rsqrtf(",
                        "float xs[8];", "if (vc < p.cols / 8)",
                        "kiln_load16(x + row * p.cols + vc * 8)",
                        "kiln_load16(skip + row * p.cols + vc * 8)",
                        "out_y_lanes[j] = kiln_f2bf(", "out_sum_lanes[j] = kiln_f2bf(",
                        "kiln_store16(out_y + row * p.cols + vc * 8, out_y_vec[0]);",
                        "kiln_store16(out_sum + row * p.cols + vc * 8, out_sum_vec[0]);",
                        "__device__ __align__(16) const float kiln_fused_norm_w[64]"}) {
    EXPECT_TRUE(absl::StrContains(src, s)) << s << "\n" << src;
  }
  ExpectCompiles(*k);
}

constexpr char kNormViews[] = R"(
graph main(%x: f32[batch,seq,8], %skip: f32[batch,seq,8]) {
  %y: f32[batch,seq,8], %flat: f32[batch*seq,8], %first: f32[batch,8] = FusedKernel(%x, %skip) @fused_ln body
    graph fused(%x: f32[batch,seq,8], %skip: f32[batch,seq,8]) {
      %w: f32[8] = Constant() {value=tensor<f32[8]> [1, 2, 3, 4, 5, 6, 7, 8]} @w
      %y: f32[batch,seq,8], %sum: f32[batch,seq,8] = SkipNormalization(%x, %skip, %w) {norm="layer"} @ln
      %shape: i64[2] = Constant() {value=tensor<i64[2]> [-1, 8]} @shape
      %flat: f32[batch*seq,8] = Reshape(%y, %shape) @view
      %zero: i64[] = Constant() {value=tensor<i64[]> [0]} @zero
      %first: f32[batch,8] = Gather(%y, %zero) {axis=1} @cls
      return %y, %flat, %first
    }
  return %y, %flat, %first
}
)";

TEST(KernelEmitterTest, RowKernelStoresViewsAndRowSelections) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kNormViews);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->kind, EmittedKernel::Kind::kRowReduction);
  EXPECT_EQ(k->block_size, 32);
  const std::string& src = k->source;
  // The view is the row value stored at the same offset (both as 16-byte vectors of four
  // floats); the Gather of token 0 is stored only by the rows of token 0, at its own offset.
  EXPECT_EQ(k->vector_width, 4);
  for (const char* s : {"out_flat_lanes[j] = y;", "out_y_lanes[j] = y;",
                        "kiln_store16(out_flat + row * p.cols + vc * 4, out_flat_vec[0]);",
                        "if ((kiln_i64)j1 == ((kiln_i64)0 < 0 ? (kiln_i64)0 + p.dims[0]", "out_first[(rest) * (kiln_idx)8 + c] = y;",
                        "const float y = (xs[i] - mean) * inv_std * (float)w;"}) {
    EXPECT_TRUE(absl::StrContains(src, s)) << s << "\n" << src;
  }
  ExpectCompiles(*k);
}

// A model's last norm computed in f16 with an f32 output: each run of eight columns is stored
// as two 16-byte vectors.
TEST(KernelEmitterTest, RowKernelStoresWideOutputsAsTwoVectors) {
  constexpr char kWide[] = R"(
graph main(%x: f16[rows,64]) {
  %y: f32[rows,64] = FusedKernel(%x) @fused_ln body
    graph fused(%x: f16[rows,64]) {
      %n: f16[rows,64] = RMSNormalization(%x, %w) {axis=-1, epsilon=1e-06} @rms
      %y: f32[rows,64] = Cast(%n) {to="f32"} @cast
      return %y
    }
  return %y
}
)";
  std::string text = kWide;
  std::string ones;
  for (int i = 0; i < 64; ++i) ones += i ? ", 1" : "1";
  text.replace(text.find("%n: f16"), 0,
               "%w: f16[64] = Constant() {value=tensor<f16[64]> [" + ones + "]} @w\n      ");
  absl::StatusOr<EmittedKernel> k = EmitFirst(text);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->vector_width, 8);
  for (const char* s : {"kiln_vec16 out_y_vec[2];", "out_y_lanes[j] = ",
                        "kiln_store16(out_y + row * p.cols + vc * 8, out_y_vec[0]);",
                        "kiln_store16(out_y + row * p.cols + vc * 8 + 4, out_y_vec[1]);"}) {
    EXPECT_TRUE(absl::StrContains(k->source, s)) << s << "\n" << k->source;
  }
  ExpectCompiles(*k);
}

// Rows that 16-byte vectors do not tile (60 f16 columns), and a row computed by a prologue
// (a Gather), stay scalar: cached in registers, column c = threadIdx.x + i * block.
TEST(KernelEmitterTest, RowKernelStaysScalarWhenVectorsDoNotFit) {
  // Rows of 60 halves are not whole vectors; a row assembled by a Concat of two gathered
  // halves is not one gathered row.
  constexpr char kOdd[] = R"(
graph main(%x: f16[rows,60]) {
  %y: f16[rows,60] = FusedKernel(%x) @fused_sm body
    graph fused(%x: f16[rows,60]) {
      %y: f16[rows,60] = Softmax(%x) {axis=-1} @sm
      return %y
    }
  return %y
}
)";
  constexpr char kConcat[] = R"(
graph main(%t1: f16[100,32], %t2: f16[100,32], %ids: i64[batch,seq]) {
  %y: f16[batch,seq,64] = FusedKernel(%t1, %t2, %ids) @fused_cat body
    graph fused(%t1: f16[100,32], %t2: f16[100,32], %ids: i64[batch,seq]) {
      %a: f16[batch,seq,32] = Gather(%t1, %ids) {axis=0} @ga
      %b: f16[batch,seq,32] = Gather(%t2, %ids) {axis=0} @gb
      %e: f16[batch,seq,64] = Concat(%a, %b) {axis=-1} @cat
      %y: f16[batch,seq,64] = Softmax(%e) {axis=-1} @sm
      return %y
    }
  return %y
}
)";
  for (const char* text : {kOdd, kConcat}) {
    absl::StatusOr<EmittedKernel> k = EmitFirst(text);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(k->vector_width, 1);
    EXPECT_TRUE(absl::StrContains(k->source, "const kiln_i64 c = threadIdx.x + (kiln_i64)i * "))
        << k->source;
    EXPECT_FALSE(absl::StrContains(k->source, "kiln_load16")) << k->source;
    ExpectCompiles(*k);
  }
}

TEST(KernelEmitterTest, RowKernelLoadsGatheredTableRowsAsVectors) {
  // An embedding LayerNorm's prologue: two gathered tables (one broadcast over the batch)
  // added. Each table row is found once per row, wrapped as Gather wraps it, and read as
  // 16-byte vectors.
  constexpr char kGathered[] = R"(
graph main(%words: f16[100,64], %pos: f16[16,64], %ids: i64[batch,seq], %pids: i64[1,seq]) {
  %y: f16[batch,seq,64] = FusedKernel(%words, %pos, %ids, %pids) @fused_emb body
    graph fused(%words: f16[100,64], %pos: f16[16,64], %ids: i64[batch,seq], %pids: i64[1,seq]) {
      %e: f16[batch,seq,64] = Gather(%words, %ids) {axis=0} @emb
      %p: f16[1,seq,64] = Gather(%pos, %pids) {axis=0} @pemb
      %s: f16[batch,seq,64] = Add(%e, %p) @add
      %w: f16[64] = Constant() {value=tensor<f16[64]> elided} @w
      %y: f16[batch,seq,64] = RMSNormalization(%s, %w) {axis=-1, epsilon=1e-06} @rms
      return %y
    }
  return %y
}
)";
  std::string gathered = kGathered;
  std::string ones;
  for (int i = 0; i < 64; ++i) ones += i ? ", 1" : "1";
  gathered.replace(gathered.find("elided"), 6, "[" + ones + "]");
  absl::StatusOr<EmittedKernel> k = EmitFirst(gathered);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->vector_width, 8);
  for (const char* want :
       {"kiln_wrap_index((kiln_i64)ids_1, (kiln_i64)100)", "kiln_load16(words + table_row * p.cols",
        "kiln_wrap_index((kiln_i64)pids_1, (kiln_i64)16)", "kiln_load16(pos + table_row_1 * p.cols"}) {
    EXPECT_TRUE(absl::StrContains(k->source, want)) << want << "\n" << k->source;
  }
  ExpectCompiles(*k);
}

constexpr char kTwoShapes[] = R"(
graph main(%x: f32[batch,4,8]) {
  %a: f32[batch,4,8], %b: f32[batch,32] = FusedKernel(%x) @fused_relu body
    graph fused(%x: f32[batch,4,8]) {
      %a: f32[batch,4,8] = Relu(%x) @relu
      %shape: i64[2] = Constant() {value=tensor<i64[2]> [0, 32]} @shape
      %b: f32[batch,32] = Reshape(%a, %shape) @view
      return %a, %b
    }
  return %a, %b
}
)";

TEST(KernelEmitterTest, ElementwiseOutputsOfOtherShapesShareTheFlatOffset) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kTwoShapes);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(absl::StrContains(k->source, "out_b[flat] = ")) << k->source;
  EXPECT_TRUE(absl::StrContains(k->source, "// view (Reshape) -> b: f32[batch,32]")) << k->source;
  ExpectCompiles(*k);
}

constexpr char kSwiGlu[] = R"(
graph main(%g: f16[batch,seq,176], %u: f16[batch,seq,176]) {
  %y: f16[batch,seq,176] = FusedKernel(%g, %u) @fused_swiglu body
    graph fused(%g: f16[batch,seq,176], %u: f16[batch,seq,176]) {
      %two: f16[] = Constant() {value=tensor<f16[]> [2]} @two
      %s: f16[batch,seq,176] = SwiGlu(%g, %u) @swiglu
      %y: f16[batch,seq,176] = Mul(%s, %two) @twice
      return %y
    }
  return %y
}
)";

TEST(KernelEmitterTest, PureMapsUse16ByteVectors) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kSwiGlu);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->vector_width, 8);
  const std::string& src = k->source;
  for (const char* s : {"vec < (kiln_uidx)(p.n / 8)", "kiln_load16(g + vec * 8)", "// lane 7",
                        "kiln_store16(out_y + vec * 8, out_y_vec);",
                        "for (kiln_uidx flat_u = (kiln_uidx)(p.n / 8 * 8) + ", "(kiln_silu(g_",
                        " * 2.0f)"}) {
    EXPECT_TRUE(absl::StrContains(src, s)) << s << "\n" << src;
  }
  ExpectCompiles(*k);
  // A broadcast operand keeps the scalar loop.
  absl::StatusOr<EmittedKernel> broadcast = EmitFirst(kElementwise);
  ASSERT_TRUE(broadcast.ok());
  EXPECT_EQ(broadcast->vector_width, 1);
}

TEST(KernelEmitterTest, RefusesWhatItCannotEmit) {
  constexpr char kReduceSum[] = R"(
graph main(%x: f32[4,8]) {
  %y: f32[4,1] = FusedKernel(%x) @fused_sum body
    graph fused(%x: f32[4,8]) {
      %ax: i64[1] = Constant() {value=tensor<i64[1]> [1]} @ax
      %y: f32[4,1] = ReduceSum(%x, %ax) @reduce
      return %y
    }
  return %y
}
)";
  absl::StatusOr<EmittedKernel> k = EmitFirst(kReduceSum);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(k.status().message(), "ReduceSum")) << k.status();

  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(R"(
graph main(%x: f32[4]) {
  %y: f32[4] = Relu(%x)
  return %y
}
)");
  ASSERT_TRUE(g.ok());
  absl::StatusOr<EmittedKernel> not_fused = EmitKernel(**(*g)->nodes().begin());
  EXPECT_EQ(not_fused.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SourceWriterTest, IndentsAndHandsOutFreshNames) {
  SourceWriter w;
  w.Open("if (x)");
  w.Line("y = 1;");
  w.Comment("two\nlines");
  w.Close();
  EXPECT_EQ(w.str(), "if (x) {\n  y = 1;\n  // two lines\n}\n");
  EXPECT_EQ(w.FreshName("/m/Add_output_0"), "_m_Add_output_0");
  EXPECT_EQ(w.FreshName("/m/Add_output_0"), "_m_Add_output_0_1");
  EXPECT_EQ(w.FreshName("_m_Add_output_0_1"), "_m_Add_output_0_1_1");
  EXPECT_EQ(w.FreshName("2x"), "_2x");
  EXPECT_EQ(SanitizeIdentifier(""), "v");
}

// Non-finite constants in a table (an additive causal mask) and an empty constant: the table
// initializers must be constant expressions and no array may have zero length.
constexpr char kNonFiniteTable[] = R"(
graph main(%x: f32[2,3]) {
  %r: f32[2,3] = FusedKernel(%x) @fused_mask body
    graph fused(%x: f32[2,3]) {
      %m: f32[2,3] = Constant() {value=tensor<f32[2,3]> [0, -inf, -inf, 0, 0, nan]} @mask
      %e: f32[2,0] = Constant() {value=tensor<f32[2,0]> []} @empty
      %c: f32[2,3] = Concat(%x, %e) {axis=1} @cat
      %r: f32[2,3] = Add(%c, %m) @add_mask
      return %r
    }
  return %r
}
)";

TEST(KernelEmitterTest, NonFiniteAndEmptyConstantTablesCompile) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kNonFiniteTable);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(absl::StrContains(k->source, "(-__builtin_bit_cast(float, 0x7f800000u))"));
  EXPECT_TRUE(absl::StrContains(k->source, "__builtin_bit_cast(float, 0x7fc00000u)"));
  EXPECT_FALSE(absl::StrContains(k->source, "[0] ="));
  ExpectCompiles(*k);
}

}  // namespace
}  // namespace kiln
