// Runs passes in order (or groups of passes to a fixed point), verifying the graph after each
// pass, timing each, and optionally printing the graph after a named pass or all of them.
#ifndef KILN_PASSES_PASS_MANAGER_H_
#define KILN_PASSES_PASS_MANAGER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/dtype.h"
#include "passes/pass.h"

namespace kiln {

// Timing and effect of one pass execution.
struct PassRecord {
  std::string name;
  double millis = 0;
  bool changed = false;
  int nodes_after = 0;
};

class PassManager {
 public:
  // Called after a pass that `print_after` selects, with the pass name and the graph.
  using Printer = std::function<void(absl::string_view pass, const Graph& graph)>;

  void Add(std::unique_ptr<Pass> pass);
  // A group run repeatedly until no pass in it changes the graph (at most `max_iterations`).
  void AddFixedPoint(std::vector<std::unique_ptr<Pass>> group, int max_iterations = 16);
  // "all", a pass name, or "" for none.
  void PrintAfter(std::string which, Printer printer);

  absl::Status Run(Graph& graph, PassContext& ctx);
  const std::vector<PassRecord>& records() const { return records_; }
  // True when a pass of this name is in the pipeline.
  bool Contains(absl::string_view name) const;

 private:
  struct Stage {
    std::vector<std::unique_ptr<Pass>> passes;
    int max_iterations = 1;
  };
  absl::StatusOr<bool> RunOne(Pass& pass, Graph& graph, PassContext& ctx);

  std::vector<Stage> stages_;
  std::string print_after_;
  Printer printer_;
  std::vector<PassRecord> records_;
};

// What to build: an -O level, and the compute precision asked for.
struct PipelineOptions {
  int level = 1;
  // kF32, kF16 or kBF16. Anything but kF32 adds the mixed-precision pass (and, from -O1 on, a
  // cleanup after it) at every level; the PassContext's `precision` must say the same.
  DType precision = DType::kF32;
  // For the GPU (kiln compile): from -O2 on, fold-skip-residual runs before fuse-elementwise,
  // moving residual adds into the GEMMs (cuBLASLt's C) ahead of the norms that read them.
  bool device = false;
};

// Builds the pipeline for -O0..-O3:
//   -O0  nothing;
//   -O1  simplification (constant-folding, algebraic-simplify, simplify-noops, cse, dce) to a
//        fixed point;
//   -O2  -O1, then the fusion passes (FusionPassNames(), in order), then -O1's group again;
//   -O3  -O2, then mixed-precision, then the cleanup group once more.
// Fails if a listed pass is not registered.
absl::StatusOr<PassManager> BuildPipeline(const PipelineOptions& options);
absl::StatusOr<PassManager> BuildPipeline(int level);
// Builds a pipeline from an explicit comma-separated list of pass names, run once each in
// order; a precision other than kF32 appends mixed-precision when the list lacks it.
absl::StatusOr<PassManager> BuildPipeline(absl::string_view pass_list,
                                          DType precision = DType::kF32);
// The fusion passes of -O2 and -O3, in the order they run.
const std::vector<std::string>& FusionPassNames();
// The device stage `kiln compile` runs after the -O pipeline: fold-attention-layout, pack-qkv,
// dce, lower-device, fold-gemm-cast, align-gemm-weights, dce (attention over [B, S, H*D],
// packed QKV projections, only what the GPU runtime executes, then GEMMs that write their f32
// casts and weights stored for 16-byte-aligned loads).
const std::vector<std::string>& DevicePassNames();
// The simplification group of -O1, in the order it runs.
const std::vector<std::string>& SimplifyPassNames();

}  // namespace kiln

#endif  // KILN_PASSES_PASS_MANAGER_H_
