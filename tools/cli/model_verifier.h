// Verifies a model folder in the ONNX backend-test layout (model.onnx + test_data_set_N/)
// against its reference outputs.
#ifndef KILN_TOOLS_CLI_MODEL_VERIFIER_H_
#define KILN_TOOLS_CLI_MODEL_VERIFIER_H_

#include <string>

namespace kiln::cli {

struct VerifyOptions {
  std::string device = "cpu";
  // fp32, or fp16/bf16: the graph is converted by the mixed-precision pass and float outputs
  // are compared with a tolerance of at least 1e-2.
  std::string precision = "fp32";
  double tolerance = 0;  // 0: the per-dtype default.
  // Passes to run before executing: an explicit comma-separated list, else an -O level.
  std::string passes;
  int opt_level = 0;
};

struct VerifyOutcome {
  enum class Status { kPass, kFail, kSkip };
  Status status = Status::kFail;
  std::string message;  // Unsupported op (SKIP), what failed (FAIL), or a summary (PASS).
  double worst_error = 0;
  int data_sets = 0;
};

// Imports DIR/model.onnx, runs the chosen passes over it, runs every test_data_set_N on the
// reference backend and compares every output. An op or feature Kiln does not support (at
// import or execution) gives kSkip naming it; anything else that goes wrong, including a pass
// failing, is kFail.
VerifyOutcome VerifyModelDir(const std::string& dir, const VerifyOptions& options);

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_MODEL_VERIFIER_H_
