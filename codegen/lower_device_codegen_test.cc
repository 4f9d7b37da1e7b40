// The runtime's contract on generated kernels: a FusedKernel never loads a body input whose
// value has symbolic contents (a host value such as DimValues); it reads the symbols from the
// params' dims instead, so the runtime may pass a null pointer for that input. Also Range
// (start/delta constant or host values) and Split emitted inside a kernel.
#include "absl/strings/match.h"
#include "codegen/kernel_emitter.h"
#include "codegen/nvrtc_compiler.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "passes/lower_device.h"
#include "passes/passes.h"
#include "tests/lower_device_test_util.h"

namespace kiln {
namespace {

// Lowers `text` and emits every FusedKernel (checking the contract on each); compiles them.
std::vector<EmittedKernel> LowerAndEmit(const std::string& text) {
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(text);
  EXPECT_TRUE(g.ok()) << g.status();
  if (!g.ok()) return {};
  PassContext ctx;
  EXPECT_TRUE(CreateLowerDevice()->Run(**g, ctx).ok());
  EXPECT_TRUE(CheckDeviceExecutable(**g).ok()) << CheckDeviceExecutable(**g);
  std::vector<EmittedKernel> kernels;
  for (const Node* n : (*g)->nodes()) {
    if (n->op() != OpKind::kFusedKernel) continue;
    absl::StatusOr<EmittedKernel> k = EmitKernel(*n, absl::StrCat("kiln_k", kernels.size()));
    EXPECT_TRUE(k.ok()) << k.status();
    if (!k.ok()) continue;
    EXPECT_EQ(testing::LoadsHostInput(*n, *k), "") << k->source;
    kernels.push_back(*std::move(k));
  }
  absl::StatusOr<CompiledModule> compiled =
      CompileCuda(BuildModuleSource(kernels), "host_values.cu", NvrtcOptions{});
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return kernels;
}

TEST(LowerDeviceCodegenTest, HostValuesUsedAsDataAreReadFromDims) {
  std::vector<EmittedKernel> kernels = LowerAndEmit(R"(graph main(%x: f32[b,2]) {
  %zero: i64[] = Constant() {value=tensor<i64[]> [0]}
  %one: i64[] = Constant() {value=tensor<i64[]> [1]}
  %n: i64[] = DimValues() {scalar=1, value=dims[b]}
  %pair: i64[2] = DimValues() {value=dims[b, 7]}
  %shape: i64[2] = DimValues() {value=dims[b, 2]}
  %r: i64[b] = Range(%zero, %n, %one)
  %axes: i64[1] = Constant() {value=tensor<i64[1]> [1]}
  %ru: i64[b,1] = Unsqueeze(%r, %axes)
  %rf: f32[b,1] = Cast(%ru) {to="f32"}
  %pf: f32[2] = Cast(%pair) {to="f32"}
  %nf: f32[] = Cast(%n) {to="f32"}
  %e: f32[b,2] = Expand(%nf, %shape)
  %a: f32[b,2] = Add(%x, %pf)
  %c: f32[b,2] = Mul(%a, %rf)
  %y: f32[b,2] = Add(%c, %e)
  return %y
})");
  ASSERT_EQ(kernels.size(), 1u);
  const EmittedKernel& k = kernels[0];
  // n, pair and shape are kernel inputs that are never dereferenced; b comes from p.dims.
  EXPECT_EQ(k.buffers.size(), 5u);
  EXPECT_TRUE(absl::StrContains(k.source, "p.dims[")) << k.source;
  EXPECT_TRUE(absl::StrContains(k.source, "(kiln_i64)7")) << k.source;
}

TEST(LowerDeviceCodegenTest, SameShapeHostInputDisablesVectorLoads) {
  // x and the host value have the domain's shape and element size, which would otherwise
  // make the kernel load 16-byte vectors of every input.
  std::vector<EmittedKernel> kernels = LowerAndEmit(R"(graph main(%x: i64[2], %z: f32[b]) {
  %s: i64[2] = DimValues() {value=dims[b, 3]}
  %y: i64[2] = Add(%x, %s)
  %w: f32[b] = Neg(%z)
  return %y, %w
})");
  ASSERT_EQ(kernels.size(), 2u);
  EXPECT_EQ(kernels[0].vector_width, 1);
}

TEST(LowerDeviceCodegenTest, RangeWithHostStartAndDelta) {
  std::vector<EmittedKernel> kernels = LowerAndEmit(R"(graph main(%x: f32[s]) {
  %start: i64[] = DimValues() {scalar=1, value=dims[s]}
  %limit: i64[] = DimValues() {scalar=1, value=dims[3*s]}
  %delta: i64[] = Constant() {value=tensor<i64[]> [2]}
  %r: i64[s] = Range(%start, %limit, %delta)
  %rf: f32[s] = Cast(%r) {to="f32"}
  %y: f32[s] = Add(%x, %rf)
  return %y
})");
  ASSERT_EQ(kernels.size(), 1u);
  EXPECT_TRUE(absl::StrContains(kernels[0].source, "p.dims[0] + ")) << kernels[0].source;
}

TEST(LowerDeviceCodegenTest, SplitOutputsInsideOneKernel) {
  // fuse-elementwise keeps a Split whose outputs all feed one elementwise kernel; its outputs
  // are the input shifted along the axis (offsets 0, 2 and 5 here).
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(R"(graph main(%x: f32[s,8]) {
  %sizes: i64[3] = Constant() {value=tensor<i64[3]> [2, 3, 3]}
  %a: f32[s,2], %b: f32[s,3], %c: f32[s,3] = Split(%x, %sizes) {axis=1}
  %bc: f32[s,3] = Mul(%b, %c)
  %s2: i64[1] = Constant() {value=tensor<i64[1]> [0]}
  %e2: i64[1] = Constant() {value=tensor<i64[1]> [2]}
  %ax: i64[1] = Constant() {value=tensor<i64[1]> [1]}
  %bc2: f32[s,2] = Slice(%bc, %s2, %e2, %ax)
  %y: f32[s,2] = Add(%a, %bc2)
  return %y
})");
  ASSERT_TRUE(g.ok()) << g.status();
  PassContext ctx;
  ASSERT_TRUE(CreateFuseElementwise()->Run(**g, ctx).ok());
  const Node* kernel = nullptr;
  for (const Node* n : (*g)->nodes()) {
    if (n->op() == OpKind::kFusedKernel) kernel = n;
  }
  ASSERT_NE(kernel, nullptr);
  bool has_split = false;
  for (const Node* n : kernel->body()->nodes()) has_split |= n->op() == OpKind::kSplit;
  ASSERT_TRUE(has_split);
  absl::StatusOr<EmittedKernel> k = EmitKernel(*kernel, "kiln_split");
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE(absl::StrContains(k->source, "+ (kiln_idx)2)")) << k->source;
  EXPECT_TRUE(absl::StrContains(k->source, "+ (kiln_idx)5)")) << k->source;
  EXPECT_TRUE(CompileCuda(BuildModuleSource({*k}), "split.cu", NvrtcOptions{}).ok());
}

}  // namespace
}  // namespace kiln
