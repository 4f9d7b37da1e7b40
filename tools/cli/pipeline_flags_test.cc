// The pipeline flags (--passes, -O, --precision): parsing, and `kiln run` / `kiln verify`
// running the optimized graph (as subprocesses).
#include "tools/cli/pipeline_flags.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/cli_test_util.h"

namespace kiln::cli {
namespace {

using ::kiln::cli_test::NodeTestDir;
using ::kiln::cli_test::RunKiln;
using ::kiln::cli_test::RunResult;
using ::kiln::cli_test::ShippedModelDir;
using ::testing::HasSubstr;

absl::StatusOr<PipelineChoice> Choose(const std::vector<std::string>& args) {
  ArgParser p("x MODEL", "", 1, 1);
  AddPipelineFlags(p);
  auto a = p.Parse(args);
  if (!a.ok()) return a.status();
  return PipelineChoiceFromArgs(*a);
}

TEST(PipelineFlagsTest, ReadsLevelPassesAndPrecision) {
  auto none = Choose({"m"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(IsEmptyPipeline(*none));
  auto o2 = Choose({"m", "-O2", "--precision", "bf16"});
  ASSERT_TRUE(o2.ok()) << o2.status();
  EXPECT_EQ(o2->level, 2);
  EXPECT_EQ(o2->precision, DType::kBF16);
  EXPECT_FALSE(IsEmptyPipeline(*o2));
  auto list = Choose({"m", "--passes=cse,dce"});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->passes, "cse,dce");
  auto pm = BuildChosenPipeline(*list);
  ASSERT_TRUE(pm.ok());
  EXPECT_TRUE(pm->Contains("cse"));
  EXPECT_FALSE(pm->Contains("constant-folding"));
  EXPECT_FALSE(Choose({"m", "-O0", "--passes=cse"}).ok()) << "-O0 given explicitly conflicts";
  EXPECT_FALSE(Choose({"m", "--passes="}).ok());
  EXPECT_FALSE(Choose({"m", "--precision=fp64"}).ok());
  EXPECT_FALSE(ParsePrecision("f16").ok()) << "the CLI spells it fp16";
}

TEST(RunCommandTest, RunsTheOptimizedGraph) {
  std::string dir = NodeTestDir("test_relu");
  if (dir.empty()) GTEST_SKIP() << "onnx-node-tests not found";
  std::string base = "run " + dir + "/model.onnx --input x=" + dir + "/test_data_set_0/input_0.pb";
  RunResult plain = RunKiln(base);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  RunResult o3 = RunKiln(base + " -O3");
  ASSERT_EQ(o3.exit_code, 0) << o3.err;
  EXPECT_EQ(o3.out, plain.out);
  RunResult half = RunKiln(base + " --precision fp16");
  ASSERT_EQ(half.exit_code, 0) << half.err;
  EXPECT_THAT(half.out, HasSubstr("y: f32[3,4,5] ")) << "outputs keep their exported type";
  RunResult bad = RunKiln(base + " --passes=nope");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown pass 'nope'"));
}

TEST(VerifyCommandTest, VerifiesTheOptimizedGraph) {
  std::string bert = ShippedModelDir("bert_mini_ts");
  RunResult o3 = RunKiln("verify -O3 " + bert);
  EXPECT_EQ(o3.exit_code, 0) << o3.out << o3.err;
  EXPECT_THAT(o3.out, HasSubstr("PASS bert_mini_ts: 3 data sets"));
  RunResult list = RunKiln("verify --passes=constant-folding,algebraic-simplify,dce " + bert);
  EXPECT_EQ(list.exit_code, 0) << list.out << list.err;
  // fp16 compute: passes at the raised default tolerance (1e-2), fails at the fp32 one.
  RunResult half = RunKiln("verify -O1 --precision fp16 " + bert);
  EXPECT_EQ(half.exit_code, 0) << half.out << half.err;
  RunResult strict = RunKiln("verify -O1 --precision fp16 --tolerance 1e-5 " + bert);
  EXPECT_EQ(strict.exit_code, 1) << strict.out;
  EXPECT_THAT(strict.out, HasSubstr("FAIL bert_mini_ts"));
  RunResult bad = RunKiln("verify -O1 --passes=cse " + bert);
  EXPECT_EQ(bad.exit_code, 2);
  RunResult help = RunKiln("verify --help");
  EXPECT_THAT(help.out, HasSubstr("-O LEVEL"));
  EXPECT_THAT(help.out, HasSubstr("(one of: fp32, fp16, bf16)"));
}

}  // namespace
}  // namespace kiln::cli
