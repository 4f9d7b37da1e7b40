// Host-side launch parameters of generated kernels (no GPU needed): the params words match the
// struct the emitted source declares (its template arguments), broadcast strides and symbolic
// dims are evaluated under the bindings, unbound symbols are errors, and the grid is sized for
// the work (vector width, one block per row) within its cap.
#include "runtime/cuda/kernel_launcher.h"

#include <regex>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ir/parser.h"

namespace kiln::cuda {
namespace {

constexpr char kElementwise[] = R"(
graph main(%x: f32[batch,4], %s: f32[4]) {
  %r: f32[batch,4] = FusedKernel(%x, %s) @fused_add body
    graph fused(%x: f32[batch,4], %s: f32[4]) {
      %a: f32[batch,4] = Sub(%x, %s) @sub_bias
      %r: f32[batch,4] = Relu(%a) @act
      return %r
    }
  return %r
}
)";

constexpr char kSoftmax[] = R"(
graph main(%x: f16[batch,heads,seq,seq]) {
  %y: f32[batch,heads,seq,seq] = FusedKernel(%x) @fused_softmax body
    graph fused(%x: f16[batch,heads,seq,seq]) {
      %s: f16[batch,heads,seq,seq] = Softmax(%x) {axis=-1} @softmax
      %y: f32[batch,heads,seq,seq] = Cast(%s) {to="f32"} @to_float
      return %y
    }
  return %y
}
)";

absl::StatusOr<EmittedKernel> EmitFirst(absl::string_view text) {
  absl::StatusOr<std::unique_ptr<Graph>> graph = ParseGraph(text);
  if (!graph.ok()) return graph.status();
  for (const Node* n : (*graph)->nodes()) {
    if (n->op() == OpKind::kFusedKernel) return EmitKernel(*n);
  }
  return absl::NotFoundError("no FusedKernel");
}

// The integer template arguments of `struct_name<...>` in the kernel's parameter list.
std::vector<int> TemplateArgs(const std::string& source, const std::string& struct_name) {
  std::smatch m;
  std::vector<int> args;
  if (!std::regex_search(source, m, std::regex(struct_name + "<([0-9, ]+)> p"))) return args;
  std::string list = m[1].str();
  std::regex number("[0-9]+");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), number);
       it != std::sregex_iterator(); ++it) {
    args.push_back(std::stoi(it->str()));
  }
  return args;
}

TEST(KernelLauncherTest, ElementwiseParamsMatchTheEmittedStruct) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kElementwise);
  ASSERT_TRUE(k.ok()) << k.status();
  std::vector<int> rkd = TemplateArgs(k->source, "KilnElementwiseParams");
  ASSERT_EQ(rkd.size(), 3u) << k->source;
  absl::StatusOr<KernelParams> p = BuildKernelParams(*k, {{"batch", 3}});
  ASSERT_TRUE(p.ok()) << p.status();
  const int r = rkd[0], kk = rkd[1], d = rkd[2];
  ASSERT_EQ(p->words.size(), static_cast<size_t>(1 + r + kk * r + d));
  ASSERT_EQ(r, 2);
  ASSERT_EQ(kk, 2);
  EXPECT_EQ(p->words[0], 12);  // n = 3 * 4
  EXPECT_EQ(p->words[1], 3);   // out_dims
  EXPECT_EQ(p->words[2], 4);
  EXPECT_EQ(p->words[3], 4);  // x strides
  EXPECT_EQ(p->words[4], 1);
  EXPECT_EQ(p->words[5], 0);  // s: stretched over batch
  EXPECT_EQ(p->words[6], 1);
  EXPECT_EQ(p->work_items, 12 / k->vector_width);
}

TEST(KernelLauncherTest, RowParamsMatchTheEmittedStruct) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kSoftmax);
  ASSERT_TRUE(k.ok()) << k.status();
  ASSERT_EQ(k->kind, EmittedKernel::Kind::kRowReduction);
  std::vector<int> d = TemplateArgs(k->source, "KilnRowParams");
  ASSERT_EQ(d.size(), 1u) << k->source;
  absl::StatusOr<KernelParams> p = BuildKernelParams(*k, {{"batch", 2}, {"heads", 3}, {"seq", 5}});
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->words.size(), static_cast<size_t>(2 + d[0]));
  EXPECT_EQ(p->words[0], 2 * 3 * 5);  // rows
  EXPECT_EQ(p->words[1], 5);          // cols
  EXPECT_EQ(p->work_items, 30);
  EXPECT_EQ(GridBlocks(*k, p->work_items), 30);  // One block per row.
}

// BERT-base's LayerNorm rows (768 f16 columns: 96 vectors, 96 threads) run a warp per row only
// when their blocks would not all be resident (132 SMs x 2048 threads on the H100).
TEST(KernelLauncherTest, ShortVectorRowsRunAWarpPerRowWhenRowsArePlentiful) {
  constexpr char kNorm[] = R"(
graph main(%x: f16[rows,768]) {
  %y: f16[rows,768] = FusedKernel(%x) @fused_sm body
    graph fused(%x: f16[rows,768]) {
      %y: f16[rows,768] = Softmax(%x) {axis=-1} @sm
      return %y
    }
  return %y
}
)";
  absl::StatusOr<EmittedKernel> k = EmitFirst(kNorm);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->block_size, 96);
  EXPECT_TRUE(k->warp_rows);
  EXPECT_TRUE(absl::StrContains(k->source, "vc = threadIdx.x + (kiln_i64)k * blockDim.x"))
      << k->source;
  EXPECT_TRUE(absl::StrContains(
      k->source, "(blockDim.x == 32 ? kiln_warp_max(row_max) : kiln_block_max(row_max))"));
  const int64_t h100 = 132 * 2048;
  EXPECT_EQ(RowBlockSize(*k, 32 * 128, h100), 32);  // Batch 32: 393216 threads > 270336.
  EXPECT_EQ(RowBlockSize(*k, 128, h100), 96);       // Batch 1.
  EXPECT_EQ(RowBlockSize(*k, 32 * 128, 0), 32);     // No device: either is correct.
  // A kernel without warp_rows (rows of more than four vectors per lane) keeps its block.
  EmittedKernel wide = *k;
  wide.warp_rows = false;
  EXPECT_EQ(RowBlockSize(wide, 1 << 20, h100), 96);
}

TEST(KernelLauncherTest, HandMadeDescriptionPadsArraysAndEvaluatesDims) {
  EmittedKernel k;
  k.name = "k";
  k.domain = {};  // A scalar: one element, out_dims padded with 1.
  k.dims = {DimExpr::Symbol("a") * DimExpr::Symbol("b"), DimExpr(7)};
  absl::StatusOr<KernelParams> p = BuildKernelParams(k, {{"a", 2}, {"b", 5}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->words, (std::vector<int64_t>{1, 1, 0, 10, 7}));
}

TEST(KernelLauncherTest, UnboundSymbolIsAnErrorNamingTheKernel) {
  absl::StatusOr<EmittedKernel> k = EmitFirst(kElementwise);
  ASSERT_TRUE(k.ok()) << k.status();
  absl::StatusOr<KernelParams> p = BuildKernelParams(*k, {{"seq", 3}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find(k->name), std::string::npos) << p.status();
  EXPECT_NE(p.status().message().find("batch"), std::string::npos) << p.status();
}

TEST(KernelLauncherTest, BadBlockSizeIsRejected) {
  EmittedKernel k;
  k.name = "k";
  k.block_size = 512;  // Above the emitted __launch_bounds__(256).
  EXPECT_FALSE(BuildKernelParams(k, {}).ok());
  k.block_size = 100;  // Not whole warps.
  EXPECT_FALSE(BuildKernelParams(k, {}).ok());
}

TEST(KernelLauncherTest, GridCoversTheWorkWithinItsCap) {
  EmittedKernel k;
  k.block_size = 256;
  EXPECT_EQ(GridBlocks(k, 0), 1);
  EXPECT_EQ(GridBlocks(k, 256), 1);
  EXPECT_EQ(GridBlocks(k, 257), 2);
  EXPECT_EQ(GridBlocks(k, int64_t{1} << 40), 65535);
  k.kind = EmittedKernel::Kind::kRowReduction;
  EXPECT_EQ(GridBlocks(k, 257), 257);
}

}  // namespace
}  // namespace kiln::cuda
