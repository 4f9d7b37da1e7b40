// kiln verify: one line per model folder, then a summary; exit 1 if anything failed.
#include <cstdio>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "tools/cli/commands.h"
#include "tools/cli/model_verifier.h"
#include "tools/cli/pipeline_flags.h"

namespace kiln::cli {

int RunVerify(const std::vector<std::string>& args) {
  ArgParser parser(
      "verify DIR... [flags]",
      "Each DIR holds model.onnx and test_data_set_N/ folders with input_K.pb and output_K.pb\n"
      "(the ONNX backend-test layout). Runs every data set and compares every output: relative\n"
      "L2 error for floats (1e-4 for f32/f64, 1e-2 for f16/bf16 unless --tolerance is given),\n"
      "exact match for integers and bools. Prints PASS, FAIL (with the worst error) or SKIP\n"
      "(with the unsupported op or feature) per folder, then 'N passed, M failed, K skipped'.\n"
      "Exits 0 only if nothing failed. --passes or -O run passes over each graph first, so\n"
      "the optimized graph is what the reference backend runs (e.g. `kiln verify -O3\n"
      "test_*_expanded` checks that fusions keep the results); --precision fp16/bf16 also\n"
      "converts it with the mixed-precision pass and raises the default float tolerance to\n"
      "1e-2. --device cuda compiles each model into a plan and runs it on the GPU (fp32\n"
      "tolerance 1e-3 there); after each data set it also runs the same plan at other input\n"
      "shapes (batch + 1, other symbols - 1) and compares with the reference backend.",
      1, -1);
  parser.Flag({.name = "device", .value_name = "DEVICE",
               .help = "where to run: the reference backend, or the GPU (each model compiled "
                       "at -O3 unless -O/--passes say otherwise, then also run at other batch "
                       "and sequence lengths against the reference backend)",
               .default_value = "cpu", .choices = {"cpu", "cuda"}});
  parser.Flag({.name = "tolerance", .value_name = "X",
               .help = "relative L2 tolerance for every float output (overrides the defaults)"});
  AddPipelineFlags(parser);
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  auto choice = PipelineChoiceFromArgs(a);
  if (!choice.ok()) return Usage(choice.status());
  if (auto pm = BuildChosenPipeline(*choice); !pm.ok()) return Usage(pm.status());
  VerifyOptions options;
  options.device = a.Get("device");
  options.precision = a.Get("precision");
  options.passes = choice->passes;
  options.opt_level = choice->level;
  if (options.device == "cuda" && !a.Has("O") && choice->passes.empty()) options.opt_level = 3;
  if (a.Has("tolerance") && (!absl::SimpleAtod(a.Get("tolerance"), &options.tolerance) ||
                             !(options.tolerance > 0))) {
    std::fprintf(stderr, "kiln: --tolerance must be a positive number\n");
    return 2;
  }
  int passed = 0, failed = 0, skipped = 0;
  for (const std::string& dir : a.positional) {
    std::string name = std::filesystem::path(dir).lexically_normal().filename().string();
    if (name.empty()) name = std::filesystem::path(dir).lexically_normal().parent_path().filename().string();
    VerifyOutcome o = VerifyModelDir(dir, options);
    const char* tag = o.status == VerifyOutcome::Status::kPass   ? "PASS"
                      : o.status == VerifyOutcome::Status::kSkip ? "SKIP"
                                                                  : "FAIL";
    (o.status == VerifyOutcome::Status::kPass ? passed
     : o.status == VerifyOutcome::Status::kSkip ? skipped
                                                : failed)++;
    std::printf("%s %s: %s\n", tag, name.c_str(), o.message.c_str());
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}

}  // namespace kiln::cli
