// `kiln dump --format text|dot|json`, run as a subprocess on an ONNX backend-test model.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct RunResult {
  int exit_code;
  std::string out;
};

RunResult RunKiln(const std::string& args) {
  std::string cmd = std::string(KILN_BINARY) + " " + args + " 2>/dev/null";
  RunResult r{-1, ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The backend-test Relu model, from shared/ beside the checkout or the workplace's copy.
std::string ReluModel() {
  for (std::string dir : {std::string(KILN_SOURCE_DIR) + "/../shared/onnx-node-tests",
                          std::string("/work/shared/onnx-node-tests")}) {
    std::string path = dir + "/test_relu/model.onnx";
    if (std::filesystem::exists(path)) return path;
  }
  return "";
}

TEST(DumpCommandTest, PrintsTextThatParsesBack) {
  std::string model = ReluModel();
  if (model.empty()) GTEST_SKIP() << "onnx-node-tests not found";
  RunResult r = RunKiln("dump " + model);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr(" = Relu(%x)"));
  auto g = ParseGraph(r.out);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintGraph(**g), r.out);
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

}  // namespace
}  // namespace kiln
