#include "tools/cli/model_verifier.h"

#include "gtest/gtest.h"

namespace kiln::cli {
namespace {

std::string Data(const char* name) {
  return std::string(KILN_SOURCE_DIR) + "/tests/data/verify/" + name;
}

TEST(ModelVerifierTest, PassesAMatchingModel) {
  VerifyOutcome o = VerifyModelDir(Data("relu_pass"), {});
  EXPECT_EQ(o.status, VerifyOutcome::Status::kPass) << o.message;
  EXPECT_EQ(o.data_sets, 1);
  EXPECT_EQ(o.worst_error, 0);
}

TEST(ModelVerifierTest, FailsAWrongReferenceNamingOutputAndError) {
  VerifyOutcome o = VerifyModelDir(Data("relu_wrong_output"), {});
  EXPECT_EQ(o.status, VerifyOutcome::Status::kFail);
  EXPECT_NE(o.message.find("output 'y'"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("relative L2 error"), std::string::npos) << o.message;
  EXPECT_GT(o.worst_error, 0.1);
}

TEST(ModelVerifierTest, SkipsAnUnsupportedOpNamingIt) {
  VerifyOutcome o = VerifyModelDir(Data("unsupported_op"), {});
  EXPECT_EQ(o.status, VerifyOutcome::Status::kSkip);
  EXPECT_NE(o.message.find("DepthToSpace"), std::string::npos) << o.message;
}

TEST(ModelVerifierTest, MissingFolderFails) {
  VerifyOutcome o = VerifyModelDir(Data("does_not_exist"), {});
  EXPECT_EQ(o.status, VerifyOutcome::Status::kFail);
  EXPECT_NE(o.message.find("not found"), std::string::npos) << o.message;
}

TEST(ModelVerifierTest, ShippedBertPassesEveryShape) {
  VerifyOutcome o = VerifyModelDir(std::string(KILN_SOURCE_DIR) + "/tests/models/bert_mini_ts", {});
  EXPECT_EQ(o.status, VerifyOutcome::Status::kPass) << o.message;
  EXPECT_EQ(o.data_sets, 3);
  EXPECT_LE(o.worst_error, 1e-4);
}

}  // namespace
}  // namespace kiln::cli
