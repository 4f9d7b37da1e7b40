// kiln compile: MODEL.onnx -> PLAN.kiln (optimize, lower for the GPU, generate and compile the
// kernels), with a summary of what was built and how long each phase took.
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_format.h"
#include "tools/cli/commands.h"
#include "tools/cli/engine_flags.h"

namespace kiln::cli {

int RunCompile(const std::vector<std::string>& args) {
  ArgParser parser(
      "compile MODEL.onnx -o PLAN.kiln [flags]",
      "Compiles an ONNX model for the GPU into a plan file: the -O3 pipeline (or -O/--passes),\n"
      "at --precision fp32/fp16/bf16, lowered to fused kernels, attention kernels and cuBLASLt\n"
      "GEMMs; the kernels' CUDA C++ is compiled by NVRTC for --arch (through the on-disk\n"
      "kernel cache, so compiling the same model again skips NVRTC). The plan runs any input\n"
      "shape within the bounds given by --max-batch/--max-seq/--bound, which also size its\n"
      "memory. Needs no GPU; run the plan with `kiln run|verify|bench --device cuda`.",
      1, 1);
  parser.Flag({.name = "o", .value_name = "PLAN.kiln", .help = "the plan file to write"});
  parser.Flag({.name = "arch", .value_name = "SM", .help = "GPU architecture to compile for",
               .default_value = "sm_90"});
  parser.Flag({.name = "dump-cuda", .value_name = "DIR",
               .help = "also write the generated CUDA source into DIR"});
  AddPipelineFlags(parser);
  AddCompileFlags(parser);
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  if (!a.Has("o")) return Usage(absl::InvalidArgumentError("compile needs -o PLAN.kiln"));
  auto choice = PipelineChoiceFromArgs(a);
  if (!choice.ok()) return Usage(choice.status());
  if (auto pm = BuildChosenPipeline(*choice); !pm.ok()) return Usage(pm.status());
  auto options = CompileOptionsFromArgs(a, *choice, /*verbose=*/true);
  if (!options.ok()) return Usage(options.status());
  options->arch = a.Get("arch");
  if (a.Has("dump-cuda")) options->dump_cuda_dir = a.Get("dump-cuda");
  auto plan = CompileModelFile(a.positional[0], *options);
  if (!plan.ok()) return Fail(plan.status());
  const std::string out = a.Get("o");
  if (absl::Status s = SavePlan(**plan, out); !s.ok()) return Fail(s);
  const Plan& p = **plan;
  const CompileTimings& t = p.timings;
  std::error_code ec;
  auto size = std::filesystem::file_size(out, ec);
  std::printf(
      "wrote %s (%.1f MB): %zu fused kernels, %zu attention kernels, arena %.1f MB, weights "
      "%.1f MB\n",
      out.c_str(), ec ? 0.0 : size / 1e6, p.kernels.size(), p.attentions.size(),
      p.memory.arena_bytes / 1e6, p.memory.weight_bytes / 1e6);
  std::printf("compile time %.0f ms: import %.0f, optimize %.0f, codegen %.0f, nvrtc %.0f%s\n",
              t.total_ms, t.import_ms, t.optimize_ms, t.codegen_ms, t.nvrtc_ms,
              t.kernel_cache_hit ? " (kernel cache hit)" : "");
  return 0;
}

}  // namespace kiln::cli
