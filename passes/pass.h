// The pass interface (as XLA's hlo_pass_interface.h): a pass rewrites a graph in place and
// says whether it changed anything.
#ifndef KILN_PASSES_PASS_H_
#define KILN_PASSES_PASS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/dtype.h"
#include "ir/graph.h"

namespace kiln {

// State shared by the passes of one pipeline run.
struct PassContext {
  // Notes passes leave for `kiln dump` (e.g. why two ops were not fused), in order.
  std::vector<std::string> notes;
  void Note(std::string note) { notes.push_back(std::move(note)); }
  // The compute precision asked for (--precision): kF32, kF16 or kBF16. Only the
  // mixed-precision pass reads it; at kF32 that pass changes nothing.
  DType precision = DType::kF32;
  // lower-device: a 16-bit GEMM whose epilogue is the erf GELU uses cuBLASLt's tanh-form GELU
  // epilogue instead of a separate kernel (they differ by at most ~5e-4 absolute, below the
  // rounding of an f16/bf16 output of that size), unless this is set.
  bool exact_gelu = false;
};

class Pass {
 public:
  virtual ~Pass() = default;
  // The kebab-case name used by --passes and --print-after.
  virtual absl::string_view name() const = 0;
  // Rewrites `graph`; returns true when it changed something.
  virtual absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) = 0;
};

// Creates a pass by name; NotFound lists the known names.
absl::StatusOr<std::unique_ptr<Pass>> CreatePass(absl::string_view name);
// Names of every registered pass, sorted.
std::vector<std::string> PassNames();

}  // namespace kiln

#endif  // KILN_PASSES_PASS_H_
