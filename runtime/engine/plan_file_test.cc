#include <cstring>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/printer.h"
#include "runtime/engine/engine_test_util.h"
#include "runtime/engine/plan.h"
#include "runtime/engine/thunks.h"
#include "tests/model_test_util.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;

class PlanFileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto plan = testing::CompileTestModel(
        std::filesystem::path(KILN_SOURCE_DIR) / "tests" / "models" / "bert_mini_ts", DType::kF16);
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan_ = plan->release();
    bytes_ = new std::string(SerializePlan(*plan_));
  }
  static Plan* plan_;
  static std::string* bytes_;
};
Plan* PlanFileTest::plan_ = nullptr;
std::string* PlanFileTest::bytes_ = nullptr;

TEST_F(PlanFileTest, RoundTripKeepsGraphWeightsKernelsAndBounds) {
  auto back = DeserializePlan(*bytes_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PrintGraph(*(*back)->graph), PrintGraph(*plan_->graph));  // Weights included.
  EXPECT_EQ((*back)->cubin, plan_->cubin);
  EXPECT_EQ((*back)->source, plan_->source);
  EXPECT_EQ((*back)->bounds, plan_->bounds);
  EXPECT_EQ((*back)->precision, DType::kF16);
  EXPECT_EQ((*back)->memory.arena_bytes, plan_->memory.arena_bytes);
  ASSERT_EQ((*back)->kernels.size(), plan_->kernels.size());
  for (size_t i = 0; i < plan_->kernels.size(); ++i) {
    EXPECT_EQ((*back)->kernels[i].name, plan_->kernels[i].name);
  }
  // Weights travel as raw bytes, not as text: the file is about the size of the weights.
  EXPECT_LT(bytes_->size(), plan_->memory.weight_bytes + plan_->cubin.size() + (1 << 20));
}

TEST_F(PlanFileTest, SaveAndLoadThroughAFile) {
  std::string path = (std::filesystem::temp_directory_path() / "kiln_plan_file_test.kiln").string();
  ASSERT_TRUE(SavePlan(*plan_, path).ok());
  auto back = LoadPlan(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PrintGraph(*(*back)->graph), PrintGraph(*plan_->graph));
  std::filesystem::remove(path);
  EXPECT_THAT(LoadPlan(path).status().message(), HasSubstr("cannot open plan"));
}

TEST_F(PlanFileTest, CorruptOrForeignFilesAreClearErrors) {
  std::string flipped = *bytes_;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_THAT(DeserializePlan(flipped).status().message(), HasSubstr("checksum mismatch"));
  EXPECT_THAT(DeserializePlan(bytes_->substr(0, bytes_->size() - 7)).status().message(),
              HasSubstr("truncated or padded"));
  EXPECT_THAT(DeserializePlan("KILNPLA").status().message(), HasSubstr("bad magic"));
  EXPECT_THAT(DeserializePlan(bytes_->substr(0, 12)).status().message(),
              HasSubstr("header is truncated"));
  EXPECT_THAT(DeserializePlan("ir graph text").status().message(), HasSubstr("bad magic"));
  std::string future = *bytes_;
  future[8] = 9;  // The format version.
  absl::Status s = DeserializePlan(future).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("plan format version 9"));
}

// Every model lowers to a program the GPU runtime can execute: each thunk's values are placed,
// and arena values fit the arena.
TEST(ThunkProgramTest, EveryModelBuildsAProgram) {
  for (const auto& dir : testing::AllModelDirs()) {
    SCOPED_TRACE(dir.string());
    auto plan = testing::CompileTestModel(dir);
    ASSERT_TRUE(plan.ok()) << plan.status();
    auto program = BuildThunkProgram(**plan);
    ASSERT_TRUE(program.ok()) << program.status();
    int gemms = 0, matmuls = 0;
    for (const Node* n : (*plan)->graph->nodes()) matmuls += n->op() == OpKind::kFusedMatMul;
    for (const Thunk& t : program->thunks) {
      gemms += t.kind == Thunk::Kind::kGemm;
      for (const Value* v : t.args) {
        if (v == nullptr) continue;
        ASSERT_TRUE(program->storage.contains(v)) << t.name << " reads unplaced " << v->name();
        const Storage& s = program->storage.at(v);
        if (s.kind == Storage::Kind::kArena) {
          EXPECT_LE(s.offset, (*plan)->memory.arena_bytes);
        }
        if (s.kind == Storage::Kind::kHost) {
          EXPECT_EQ(t.kind, Thunk::Kind::kKernel) << t.name << " reads host value " << v->name();
        }
      }
    }
    EXPECT_EQ(gemms, matmuls);
    EXPECT_EQ(program->weights.size() > 0, true);
  }
}

}  // namespace
}  // namespace kiln
