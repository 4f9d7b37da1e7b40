// Verifies a model folder in the ONNX backend-test layout (model.onnx + test_data_set_N/)
// against its reference outputs.
#ifndef KILN_TOOLS_CLI_MODEL_VERIFIER_H_
#define KILN_TOOLS_CLI_MODEL_VERIFIER_H_

#include <string>

namespace kiln::cli {

struct VerifyOptions {
  std::string device = "cpu";
  std::string precision = "fp32";
  double tolerance = 0;  // 0: the per-dtype default.
};

struct VerifyOutcome {
  enum class Status { kPass, kFail, kSkip };
  Status status = Status::kFail;
  std::string message;  // Unsupported op (SKIP), what failed (FAIL), or a summary (PASS).
  double worst_error = 0;
  int data_sets = 0;
};

// Imports DIR/model.onnx, runs every test_data_set_N and compares every output. An op or
// feature Kiln does not support gives kSkip naming it; anything else that goes wrong is kFail.
VerifyOutcome VerifyModelDir(const std::string& dir, const VerifyOptions& options);

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_MODEL_VERIFIER_H_
