#include "tools/cli/pipeline_flags.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/status_macros.h"
#include "passes/pass.h"

namespace kiln::cli {

void AddPipelineFlags(ArgParser& parser) {
  parser.Flag({.name = "passes",
               .value_name = "A,B,...",
               .help = absl::StrCat("run these passes once each, in order, instead of an -O "
                                    "level; known passes: ",
                                    absl::StrJoin(PassNames(), ", "))});
  const std::vector<std::string>& fusions = FusionPassNames();
  parser.Flag({.name = "O",
               .value_name = "LEVEL",
               .help = absl::StrCat(
                   "optimization level: 0 nothing (the default); 1 simplification (",
                   absl::StrJoin(SimplifyPassNames(), ", "),
                   ") to a fixed point, then materialize-shapes; 2 also the fusion passes (",
                   fusions.empty() ? "none in this build" : absl::StrJoin(fusions, ", "),
                   ") before it, then simplification again, and fuse-elementwise last; 3 also "
                   "mixed-precision (a no-op at fp32) and a simplification before "
                   "materialize-shapes"),
               .choices = {"0", "1", "2", "3"}});
  parser.Flag({.name = "precision",
               .value_name = "P",
               .help = "compute precision: fp16/bf16 run the mixed-precision pass (at any -O "
                       "level, or appended to --passes); inputs and outputs keep their "
                       "exported types",
               .default_value = "fp32",
               .choices = {"fp32", "fp16", "bf16"}});
}

absl::StatusOr<DType> ParsePrecision(const std::string& precision) {
  if (precision == "fp32" || precision.empty()) return DType::kF32;
  if (precision == "fp16") return DType::kF16;
  if (precision == "bf16") return DType::kBF16;
  return absl::InvalidArgumentError(
      absl::StrCat("precision '", precision, "' is not one of fp32, fp16, bf16"));
}

absl::StatusOr<PipelineChoice> PipelineChoiceFromArgs(const ParsedArgs& args) {
  PipelineChoice c;
  c.passes = args.Get("passes");
  if (args.Has("passes") && c.passes.empty()) {
    return absl::InvalidArgumentError("--passes needs at least one pass name");
  }
  std::string level = args.Get("O");
  c.level = level.empty() ? 0 : level[0] - '0';  // The parser checked it is 0..3.
  if (!c.passes.empty() && args.Has("O")) {
    return absl::InvalidArgumentError("give either --passes or -O, not both");
  }
  ASSIGN_OR_RETURN(c.precision, ParsePrecision(args.Get("precision")));
  return c;
}

bool IsEmptyPipeline(const PipelineChoice& choice) {
  return choice.passes.empty() && choice.level == 0 && choice.precision == DType::kF32;
}

absl::StatusOr<PassManager> BuildChosenPipeline(const PipelineChoice& choice) {
  if (!choice.passes.empty()) return BuildPipeline(choice.passes, choice.precision);
  return BuildPipeline(PipelineOptions{.level = choice.level, .precision = choice.precision});
}

absl::Status RunChosenPipeline(const PipelineChoice& choice, Graph& graph) {
  if (IsEmptyPipeline(choice)) return absl::OkStatus();
  ASSIGN_OR_RETURN(PassManager pm, BuildChosenPipeline(choice));
  PassContext ctx;
  ctx.precision = choice.precision;
  return pm.Run(graph, ctx);
}

}  // namespace kiln::cli
