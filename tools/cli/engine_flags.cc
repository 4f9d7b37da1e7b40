#include "tools/cli/engine_flags.h"

#include <cstdio>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/onnx_import.h"
#include "ir/status_macros.h"
#include "tools/cli/dump_report.h"

namespace kiln::cli {

void AddCompileFlags(ArgParser& parser) {
  parser.Flag({.name = "max-batch", .value_name = "N",
               .help = "largest value of the symbols at dim 0 of the inputs", .default_value = "64"});
  parser.Flag({.name = "max-seq", .value_name = "N",
               .help = "largest value of the inputs' other symbols", .default_value = "512"});
  parser.Flag({.name = "bound", .value_name = "SYM=N",
               .help = "largest value of one symbol (overrides --max-batch/--max-seq)",
               .repeated = true});
  parser.Flag({.name = "exact-gelu",
               .help = "keep the erf GELU of 16-bit GEMM epilogues as a separate kernel (by "
                       "default cuBLASLt's tanh-form GELU epilogue computes it, within ~5e-4)"});
  parser.Flag({.name = "kernel-cache", .value_name = "DIR",
               .help = "compiled-kernel cache folder ('-' disables it; default $KILN_CACHE_DIR, "
                       "else ~/.cache/kiln)"});
}

absl::StatusOr<CompileOptions> CompileOptionsFromArgs(const ParsedArgs& a,
                                                      const PipelineChoice& choice, bool verbose) {
  CompileOptions o;
  o.passes = choice.passes;
  o.opt_level = a.Has("O") ? choice.level : 3;
  o.precision = choice.precision;
  ASSIGN_OR_RETURN(o.max_batch, a.GetPositive("max-batch", 64));
  ASSIGN_OR_RETURN(o.max_seq, a.GetPositive("max-seq", 512));
  ASSIGN_OR_RETURN(o.bounds, ParseBoundSpecs(a.GetAll("bound")));
  if (a.Has("kernel-cache")) o.kernel_cache_dir = a.Get("kernel-cache");
  o.exact_gelu = a.Has("exact-gelu");
  if (verbose) {
    o.progress = [](absl::string_view line) {
      std::fprintf(stderr, "kiln: %s\n", std::string(line).c_str());
    };
  }
  return o;
}

bool IsPlanFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, sizeof(magic));
  return in && std::string(magic, 8) == "KILNPLAN";
}

absl::StatusOr<std::shared_ptr<const Plan>> PlanFromPath(const std::string& path,
                                                         const CompileOptions& options) {
  if (IsPlanFile(path)) {
    if (options.progress) options.progress(absl::StrCat("loading plan ", path));
    ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, LoadPlan(path));
    return std::shared_ptr<const Plan>(std::move(plan));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, CompileModelFile(path, options));
  return std::shared_ptr<const Plan>(std::move(plan));
}

absl::StatusOr<std::vector<Tensor>> InputsFromFiles(const Graph& graph,
                                                    const std::vector<std::string>& specs) {
  absl::flat_hash_map<std::string, std::string> files;
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("--input takes NAME=FILE.pb, got '", spec, "'"));
    }
    files[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  std::vector<Tensor> inputs;
  for (const Value* in : graph.inputs()) {
    auto it = files.find(in->name());
    if (it == files.end()) {
      std::vector<std::string> want;
      for (const Value* v : graph.inputs()) {
        want.push_back(absl::StrCat(v->name(), ": ", v->type().ToString()));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "missing --input for '", in->name(), "'; the model takes ", absl::StrJoin(want, ", ")));
    }
    ASSIGN_OR_RETURN(Tensor t, LoadTensorProtoFile(it->second));
    inputs.push_back(std::move(t));
    files.erase(it);
  }
  if (!files.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the model has no input named '", files.begin()->first, "'"));
  }
  return inputs;
}

}  // namespace kiln::cli
