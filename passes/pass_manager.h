// Runs passes in order (or groups of passes to a fixed point), verifying the graph after each
// pass, timing each, and optionally printing the graph after a named pass or all of them.
#ifndef KILN_PASSES_PASS_MANAGER_H_
#define KILN_PASSES_PASS_MANAGER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

// Builds the pipeline for -O0..-O3 (`level` 0..3).
absl::StatusOr<PassManager> BuildPipeline(int level);
// Builds a pipeline from an explicit comma-separated list of pass names.
absl::StatusOr<PassManager> BuildPipeline(absl::string_view pass_list);

}  // namespace kiln

#endif  // KILN_PASSES_PASS_MANAGER_H_
