// A 16-bit plan's lm_head writes the f32 logits itself (fold-gemm-cast): the GEMM is the
// output's producer, with to="f32", survives the plan file, and its thunk writes the output.
#include <filesystem>

#include "gtest/gtest.h"
#include "ir/printer.h"
#include "runtime/engine/engine_test_util.h"
#include "runtime/engine/plan.h"
#include "runtime/engine/thunks.h"

namespace kiln {
namespace {

TEST(PlanGemmToTest, Float16GptLogitsComeStraightFromTheGemm) {
  auto plan = testing::CompileTestModel(
      std::filesystem::path(KILN_SOURCE_DIR) / "tests" / "models" / "gpt2_mini_dy", DType::kF16);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const Graph& g = *(*plan)->graph;
  ASSERT_EQ(g.outputs().size(), 1u);
  const Value* logits = g.outputs()[0];
  ASSERT_NE(logits->producer(), nullptr);
  const Node& gemm = *logits->producer();
  ASSERT_EQ(gemm.op(), OpKind::kFusedMatMul) << gemm.Describe();
  EXPECT_EQ(logits->type().dtype, DType::kF32);
  EXPECT_EQ(gemm.input(0)->type().dtype, DType::kF16);
  const std::string* to = gemm.attrs().FindAs<std::string>("to");
  ASSERT_NE(to, nullptr);
  EXPECT_EQ(*to, "f32");

  auto back = DeserializePlan(SerializePlan(**plan));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PrintGraph(*(*back)->graph), PrintGraph(g));
  const Node* loaded = (*back)->graph->outputs()[0]->producer();
  ASSERT_NE(loaded, nullptr);
  ASSERT_NE(loaded->attrs().FindAs<std::string>("to"), nullptr);

  auto program = BuildThunkProgram(**back);
  ASSERT_TRUE(program.ok()) << program.status();
  int writers = 0;
  for (const Thunk& t : program->thunks) {
    if (t.kind != Thunk::Kind::kGemm || t.args.back() != (*back)->graph->outputs()[0]) continue;
    ++writers;
    EXPECT_EQ(program->storage.at(t.args.back()).kind, Storage::Kind::kOutput);
  }
  EXPECT_EQ(writers, 1);
}

}  // namespace
}  // namespace kiln
