// Flags and helpers shared by the commands that compile or run plans on the GPU (compile, run
// and verify with --device cuda, bench): shape bounds, the kernel cache, and "a model or a plan".
#ifndef KILN_TOOLS_CLI_ENGINE_FLAGS_H_
#define KILN_TOOLS_CLI_ENGINE_FLAGS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/tensor.h"
#include "runtime/engine/plan.h"
#include "tools/cli/args.h"
#include "tools/cli/pipeline_flags.h"

namespace kiln::cli {

// Declares --max-batch, --max-seq, --bound and --kernel-cache.
void AddCompileFlags(ArgParser& parser);
// CompileOptions from those flags and the pipeline choice (-O, --passes, --precision). With
// neither -O nor --passes the level is 3. `verbose` prints progress lines to stderr.
absl::StatusOr<CompileOptions> CompileOptionsFromArgs(const ParsedArgs& args,
                                                      const PipelineChoice& choice, bool verbose);
// True when `path` starts with a plan file's magic bytes.
bool IsPlanFile(const std::string& path);
// Loads PATH when it is a plan file, else compiles it as an ONNX model with `options`.
absl::StatusOr<std::shared_ptr<const Plan>> PlanFromPath(const std::string& path,
                                                         const CompileOptions& options);
// Reads --input NAME=FILE.pb flags into tensors in the plan's graph-input order.
absl::StatusOr<std::vector<Tensor>> InputsFromFiles(const Graph& graph,
                                                    const std::vector<std::string>& specs);

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_ENGINE_FLAGS_H_
