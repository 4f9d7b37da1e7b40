// The runtime's contract on generated kernels: a FusedKernel never loads a body input whose
// value has symbolic contents (a host value such as DimValues); it reads the symbols from the
// params' dims instead, so the runtime may pass a null pointer for that input. Also Range
// (start/delta constant or host values) emitted inside a kernel.
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

TEST(HostValueCodegenTest, HostValuesUsedAsDataAreReadFromDims) {
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

TEST(HostValueCodegenTest, SameShapeHostInputDisablesVectorLoads) {
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

TEST(HostValueCodegenTest, RangeWithHostStartAndDelta) {
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

}  // namespace
}  // namespace kiln
