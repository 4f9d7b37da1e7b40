// `kiln dump` run as a subprocess: the formats on an ONNX backend-test model, and the
// pipeline flags (-O, --passes, --print-after, --precision, --notes, --memory-plan) on the
// shipped BERT.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "tools/cli/cli_test_util.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using ::kiln::cli_test::NodeTestDir;
using ::kiln::cli_test::RunKiln;
using ::kiln::cli_test::RunResult;
using ::kiln::cli_test::ShippedModelDir;

// The backend-test Relu model, or "" when the shared folder is absent.
std::string ReluModel() {
  std::string dir = NodeTestDir("test_relu");
  return dir.empty() ? "" : dir + "/model.onnx";
}

TEST(DumpCommandTest, PrintsTextThatParsesBack) {
  std::string model = ReluModel();
  if (model.empty()) GTEST_SKIP() << "onnx-node-tests not found";
  RunResult r = RunKiln("dump " + model);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr(" = Relu(%x)"));
  auto g = ParseGraph(r.out);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintGraph(**g) + "// op counts: Relu 1\n", r.out);
  EXPECT_EQ(r.err, "") << "no passes ran, so no timing table";
}

TEST(DumpCommandTest, PrintsDotAndJson) {
  std::string model = ReluModel();
  if (model.empty()) GTEST_SKIP() << "onnx-node-tests not found";
  RunResult dot = RunKiln("dump " + model + " --format dot");
  ASSERT_EQ(dot.exit_code, 0);
  EXPECT_THAT(dot.out, StartsWith("digraph "));
  EXPECT_THAT(dot.out, HasSubstr("label=\"Relu\\n"));
  RunResult json = RunKiln("dump " + model + " --format=json");
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.out, StartsWith("{\n  \"format\": \"kiln-graph\",\n"));
  EXPECT_THAT(json.out, HasSubstr("\"op\": \"Relu\""));
}

TEST(DumpCommandTest, RejectsUnknownFormat) {
  RunResult r = RunKiln("dump model.onnx --format xml");
  EXPECT_EQ(r.exit_code, 2);
  RunResult help = RunKiln("dump --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("(one of: text, dot, json)"));
}

std::string Bert() { return ShippedModelDir("bert_mini_ts") + "/model.onnx"; }

// The text before the first `//` line that follows the graph's closing brace.
std::string GraphPart(const std::string& out) {
  size_t end = out.find("\n}\n");
  return end == std::string::npos ? out : out.substr(0, end + 3);
}

TEST(DumpCommandTest, OptimizedTextWithSummariesParsesBack) {
  RunResult r = RunKiln("dump " + Bert() +
                        " -O1 --full-constants --notes --memory-plan --max-batch 2 --max-seq 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\n// op counts: Add "));
  EXPECT_THAT(r.out, HasSubstr("LayerNormalization 5"));
  EXPECT_THAT(r.out, HasSubstr("// memory plan:\n// value "));
  EXPECT_THAT(r.out, HasSubstr("// peak arena: "));
  // The whole output, comment lines included, is valid IR text.
  auto g = ParseGraph(r.out);
  ASSERT_TRUE(g.ok()) << g.status();
  PrintOptions full;
  EXPECT_EQ(PrintGraph(**g, full), GraphPart(r.out));
  // The optimized graph is smaller than the imported one.
  RunResult plain = RunKiln("dump " + Bert() + " --full-constants");
  ASSERT_EQ(plain.exit_code, 0);
  auto imported = ParseGraph(plain.out);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_LT((*g)->num_nodes(), (*imported)->num_nodes());
}

TEST(DumpCommandTest, TimingTableGoesToStderr) {
  RunResult r = RunKiln("dump " + Bert() + " -O1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("// pass "));
  for (const char* pass : {"constant-folding", "algebraic-simplify", "simplify-noops", "cse",
                           "dce", "total"}) {
    EXPECT_THAT(r.err, HasSubstr("// " + std::string(pass) + " ")) << pass;
  }
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("algebraic-simplify")));
}

TEST(DumpCommandTest, PrintAfterPrintsEachRunUnderAHeader) {
  RunResult one = RunKiln("dump " + Bert() + " --passes=cse,dce --print-after dce");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, StartsWith("// after dce\ngraph "));
  EXPECT_THAT(one.out, ::testing::Not(HasSubstr("// after cse")));
  RunResult all = RunKiln("dump " + Bert() + " --passes=cse,dce --print-after=all");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, StartsWith("// after cse\ngraph "));
  EXPECT_THAT(all.out, HasSubstr("}\n// after dce\ngraph "));
  RunResult missing = RunKiln("dump " + Bert() + " --passes=cse --print-after dce");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--print-after dce: no such pass in the pipeline"));
}

TEST(DumpCommandTest, RejectsBadPipelineChoices) {
  RunResult both = RunKiln("dump " + Bert() + " -O1 --passes=cse");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("either --passes or -O"));
  RunResult unknown = RunKiln("dump " + Bert() + " --passes=cse,fuse-nothing");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown pass 'fuse-nothing'; known passes: "));
  RunResult level = RunKiln("dump " + Bert() + " -O4");
  EXPECT_EQ(level.exit_code, 2);
  RunResult precision = RunKiln("dump " + Bert() + " --precision fp8");
  EXPECT_EQ(precision.exit_code, 2);
}

TEST(DumpCommandTest, MemoryPlanNeedsBoundsForInputSymbols) {
  RunResult none = RunKiln("dump " + Bert() + " -O1 --memory-plan");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("symbol 'batch'"));
  EXPECT_THAT(none.err, HasSubstr("--max-batch N or --bound batch=N"));
  RunResult bound = RunKiln("dump " + Bert() + " --memory-plan --bound batch=1 --bound seq=4");
  ASSERT_EQ(bound.exit_code, 0) << bound.err;
  EXPECT_THAT(bound.out, HasSubstr("// peak arena: "));
  RunResult bad = RunKiln("dump " + Bert() + " --memory-plan --bound batch=0 --max-seq 4");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("--bound takes SYM=N"));
  RunResult without = RunKiln("dump " + Bert() + " --max-batch 2");
  EXPECT_EQ(without.exit_code, 2);
  EXPECT_THAT(without.err, HasSubstr("need --memory-plan"));
}

TEST(DumpCommandTest, JsonKeepsSummariesOnStderr) {
  RunResult r = RunKiln("dump " + Bert() + " -O1 --format json --notes");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("{"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("// ")));
  EXPECT_THAT(r.err, HasSubstr("// op counts: "));
}

TEST(DumpCommandTest, PrecisionConvertsTheGraphButNotItsInterface) {
  RunResult r = RunKiln("dump " + ShippedModelDir("llama_mini_ts") +
                        "/model.onnx -O1 --precision fp16 --notes");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(%input_ids: i64[batch,seq]"));
  EXPECT_THAT(r.out, HasSubstr("f16[batch,seq,"));
  EXPECT_THAT(r.out, HasSubstr(" = Cast(%logits_f16) {to=\"f32\"}\n  return %logits\n"));
  EXPECT_THAT(r.out, HasSubstr("// note: mixed-precision: "));
  EXPECT_THAT(r.err, HasSubstr("// mixed-precision "));
  RunResult f32 = RunKiln("dump " + ShippedModelDir("llama_mini_ts") + "/model.onnx -O1");
  EXPECT_THAT(f32.out, ::testing::Not(HasSubstr("f16[")));
}

TEST(DumpCommandTest, HelpDescribesThePipelineFlags) {
  RunResult help = RunKiln("dump --help");
  ASSERT_EQ(help.exit_code, 0);
  for (const char* s : {"-O LEVEL", "--passes=A,B,...", "--print-after=PASS", "--notes",
                        "--memory-plan", "--max-batch=N", "--max-seq=N", "--bound=SYM=N",
                        "--precision=P", "(one of: fp32, fp16, bf16)", "algebraic-simplify",
                        "mixed-precision", "// op counts: "}) {
    EXPECT_THAT(help.out, HasSubstr(s)) << s;
  }
}

}  // namespace
}  // namespace kiln
