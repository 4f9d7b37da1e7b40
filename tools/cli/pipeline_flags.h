// The flags that choose an optimization pipeline (--passes, -O, --precision), shared by
// `kiln dump`, `kiln run` and `kiln verify`, and the code that runs the chosen pipeline.
#ifndef KILN_TOOLS_CLI_PIPELINE_FLAGS_H_
#define KILN_TOOLS_CLI_PIPELINE_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "ir/dtype.h"
#include "ir/graph.h"
#include "passes/pass_manager.h"
#include "tools/cli/args.h"

namespace kiln::cli {

// What to run over an imported graph: an explicit pass list, or an -O level.
struct PipelineChoice {
  std::string passes;  // Comma-separated; when non-empty, `level` is ignored.
  int level = 0;
  DType precision = DType::kF32;
};

// Declares --passes, -O and --precision on `parser`.
void AddPipelineFlags(ArgParser& parser);
// Reads them back; --passes together with -O is an error.
absl::StatusOr<PipelineChoice> PipelineChoiceFromArgs(const ParsedArgs& args);
// "fp32" / "fp16" / "bf16" (the CLI's spelling) as a dtype.
absl::StatusOr<DType> ParsePrecision(const std::string& precision);
// True when the choice changes nothing (-O0 at fp32, no --passes).
bool IsEmptyPipeline(const PipelineChoice& choice);
// Builds the pipeline `choice` names.
absl::StatusOr<PassManager> BuildChosenPipeline(const PipelineChoice& choice);
// Builds and runs it over `graph`; the PassContext's precision is set from the choice.
absl::Status RunChosenPipeline(const PipelineChoice& choice, Graph& graph);

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_PIPELINE_FLAGS_H_
