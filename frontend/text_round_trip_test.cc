// Every ONNX backend-test model that Kiln imports prints as IR text that parses back to a
// graph which verifies and prints identically (constants in full).
#include <filesystem>
#include <string>

#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

std::string NodeTestsDir() {
  for (std::string dir : {std::string(KILN_SOURCE_DIR) + "/../shared/onnx-node-tests",
                          std::string("/work/shared/onnx-node-tests")}) {
    if (std::filesystem::is_directory(dir)) return dir;
  }
  return "";
}

TEST(TextRoundTripTest, ImportedNodeTestModelsRoundTrip) {
  std::string dir = NodeTestsDir();
  if (dir.empty()) GTEST_SKIP() << "onnx-node-tests not found";
  int round_tripped = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto imported = ImportOnnxFile(entry.path().string() + "/model.onnx");
    if (!imported.ok()) continue;  // Import coverage is tested elsewhere.
    std::string text = PrintGraph(**imported);
    auto parsed = ParseGraph(text);
    ASSERT_TRUE(parsed.ok()) << entry.path() << ": " << parsed.status() << "\n" << text;
    absl::Status verified = VerifyGraph(**parsed);
    EXPECT_TRUE(verified.ok()) << entry.path() << ": " << verified;
    EXPECT_EQ(PrintGraph(**parsed), text) << entry.path();
    ++round_tripped;
  }
  EXPECT_GT(round_tripped, 100);
}

}  // namespace
}  // namespace kiln
