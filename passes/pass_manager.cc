#include "passes/pass_manager.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ir/shape_inference.h"

namespace kiln {

void PassManager::Add(std::unique_ptr<Pass> pass) {
  Stage s;
  s.passes.push_back(std::move(pass));
  stages_.push_back(std::move(s));
}

void PassManager::AddFixedPoint(std::vector<std::unique_ptr<Pass>> group, int max_iterations) {
  stages_.push_back(Stage{std::move(group), max_iterations});
}

void PassManager::PrintAfter(std::string which, Printer printer) {
  print_after_ = std::move(which);
  printer_ = std::move(printer);
}

absl::StatusOr<bool> PassManager::RunOne(Pass& pass, Graph& graph, PassContext& ctx) {
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<bool> changed = pass.Run(graph, ctx);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!changed.ok()) {
    return absl::Status(changed.status().code(),
                        absl::StrCat("pass ", pass.name(), ": ", changed.status().message()));
  }
  if (absl::Status s = VerifyGraph(graph); !s.ok()) {
    return absl::InternalError(absl::StrCat("graph is invalid after pass ", pass.name(), ": ",
                                            s.message()));
  }
  records_.push_back(PassRecord{std::string(pass.name()), ms, *changed,
                                static_cast<int>(graph.num_nodes())});
  if (printer_ && (print_after_ == "all" || print_after_ == pass.name())) {
    printer_(pass.name(), graph);
  }
  return *changed;
}

absl::Status PassManager::Run(Graph& graph, PassContext& ctx) {
  for (Stage& stage : stages_) {
    for (int it = 0; it < stage.max_iterations; ++it) {
      bool any = false;
      for (auto& pass : stage.passes) {
        ASSIGN_OR_RETURN(bool changed, RunOne(*pass, graph, ctx));
        any = any || changed;
      }
      if (!any) break;
    }
  }
  return absl::OkStatus();
}

bool PassManager::Contains(absl::string_view name) const {
  for (const Stage& stage : stages_) {
    for (const auto& pass : stage.passes) {
      if (pass->name() == name) return true;
    }
  }
  return false;
}

const std::vector<std::string>& SimplifyPassNames() {
  static const std::vector<std::string> kNames = {"constant-folding", "algebraic-simplify",
                                                  "simplify-noops", "cse", "dce"};
  return kNames;
}

// The fusion passes, in the order -O2 runs them. Activations and normalisations are recognised
// from primitive ops first, so that later fusions see Gelu/Silu/LayerNormalization/
// RMSNormalization nodes; skip-norm then absorbs the residual Add into a normalisation;
// rotary and attention match the decomposed attention (including its Transposes) before
// fold-transpose folds the remaining Transposes into matmuls; gemm-epilogue absorbs bias,
// activation and residual into FusedMatMul. fuse-elementwise is not in this list: it runs
// after mixed-precision (whose Casts it must absorb), as the very last fusion.
//
// Every name here must be registered: BuildPipeline fails on an unknown one, and
// PipelineTest.EveryLevelBuilds fails loudly.
const std::vector<std::string>& DevicePassNames() {
  static const auto* names = new std::vector<std::string>{
      "fold-attention-layout", "pack-qkv",           "dce", "lower-device",
      "fold-gemm-cast",        "align-gemm-weights", "dce"};
  return *names;
}

const std::vector<std::string>& FusionPassNames() {
  static const std::vector<std::string> kNames = {
      "fuse-gelu",       "fuse-silu",      "fuse-layer-norm", "fuse-rms-norm",
      "fuse-skip-norm",  "fuse-rotary",    "fuse-attention",  "fold-transpose",
      "fuse-gemm-epilogue",
  };
  return kNames;
}

namespace {

absl::Status AddEach(PassManager& pm, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(std::unique_ptr<Pass> pass, CreatePass(name));
    pm.Add(std::move(pass));
  }
  return absl::OkStatus();
}

absl::Status AddFixedPoint(PassManager& pm, const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<Pass>> group;
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(std::unique_ptr<Pass> pass, CreatePass(name));
    group.push_back(std::move(pass));
  }
  pm.AddFixedPoint(std::move(group));
  return absl::OkStatus();
}

absl::Status CheckPrecision(DType precision) {
  if (precision == DType::kF32 || precision == DType::kF16 || precision == DType::kBF16) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("precision ", DTypeName(precision), " is not one of f32, f16, bf16"));
}

}  // namespace

absl::StatusOr<PassManager> BuildPipeline(absl::string_view pass_list, DType precision) {
  RETURN_IF_ERROR(CheckPrecision(precision));
  PassManager pm;
  for (absl::string_view name : absl::StrSplit(pass_list, ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(std::unique_ptr<Pass> pass, CreatePass(name));
    pm.Add(std::move(pass));
  }
  if (precision != DType::kF32 && !pm.Contains("mixed-precision")) {
    RETURN_IF_ERROR(AddEach(pm, {"mixed-precision"}));
  }
  return pm;
}

absl::StatusOr<PassManager> BuildPipeline(const PipelineOptions& options) {
  if (options.level < 0 || options.level > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("optimization level ", options.level, " is not 0..3"));
  }
  RETURN_IF_ERROR(CheckPrecision(options.precision));
  PassManager pm;
  if (options.level >= 1) RETURN_IF_ERROR(AddFixedPoint(pm, SimplifyPassNames()));
  if (options.level >= 2) {
    RETURN_IF_ERROR(AddEach(pm, FusionPassNames()));
    RETURN_IF_ERROR(AddFixedPoint(pm, SimplifyPassNames()));
  }
  // -O3 always runs mixed-precision (a no-op at f32) and the cleanup; lower levels only when
  // a 16-bit precision is asked for, which they must honour.
  if (options.level >= 3 || options.precision != DType::kF32) {
    RETURN_IF_ERROR(AddEach(pm, {"mixed-precision"}));
    if (options.level >= 1) RETURN_IF_ERROR(AddFixedPoint(pm, SimplifyPassNames()));
  }
  // Shape arithmetic becomes DimValues only now: the fusions above probe and match the
  // exporters' own shape and mask chains. Last, every elementwise op left (Casts from mixed
  // precision included) joins a FusedKernel.
  if (options.level >= 1) RETURN_IF_ERROR(AddEach(pm, {"materialize-shapes", "dce"}));
  if (options.level >= 2 && options.device) RETURN_IF_ERROR(AddEach(pm, {"fold-skip-residual"}));
  if (options.level >= 2) RETURN_IF_ERROR(AddEach(pm, {"fuse-elementwise", "dce"}));
  return pm;
}

absl::StatusOr<PassManager> BuildPipeline(int level) {
  return BuildPipeline(PipelineOptions{.level = level});
}

}  // namespace kiln
