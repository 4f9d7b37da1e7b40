// Compiling a model into a Plan: import, the -O pipeline, device lowering, kernel emission and
// one NVRTC compile of the whole module (through the on-disk kernel cache).
#include <chrono>
#include <filesystem>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "ir/shape_inference.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "codegen/index_width.h"
#include "codegen/kernel_cache.h"
#include "codegen/nvrtc_compiler.h"
#include "codegen/source_writer.h"
#include "frontend/onnx_import.h"
#include "ir/file_io.h"
#include "ir/status_macros.h"
#include "passes/pass_manager.h"
#include "runtime/engine/plan.h"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void Progress(const CompileOptions& options, absl::string_view line) {
  if (options.progress) options.progress(line);
}

// Structural identity of an attention kernel: nodes with equal configs share one kernel.
std::string ConfigKey(const AttentionConfig& c) {
  return absl::StrFormat("%d/%d/%d/%d/%a/%d/%d/%d/%d", static_cast<int>(c.dtype), c.bsd,
                         c.head_dim, c.v_head_dim, c.scale, c.causal, c.uniform_empty,
                         static_cast<int>(c.key_mask_dtype), static_cast<int>(c.bias_dtype));
}

// A plan sizes every buffer from the input shapes; a dim that depends on tensor data (e.g.
// ConstantOfShape of an input tensor) cannot be planned.
absl::Status CheckShapesFollowFromInputs(const Graph& graph) {
  for (const Node* n : graph.nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      absl::btree_set<std::string> syms;
      for (const DimExpr& d : n->output(i)->type().dims) d.CollectSymbols(&syms);
      for (const std::string& s : syms) {
        if (!IsDataDependentSymbol(s)) continue;
        return absl::UnimplementedError(absl::StrCat(
            "the shape of '", n->output(i)->name(), "' (", n->Describe(), ") depends on tensor "
            "data (", s, "); GPU plans need every shape to follow from the input shapes"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EmitPlanKernels(Plan& plan) {
  plan.kernels.clear();
  plan.attentions.clear();
  plan.kernel_of.clear();
  absl::flat_hash_set<std::string> names;
  absl::flat_hash_map<std::string, int> attention_of_config;
  for (const Node* n : plan.graph->nodes()) {
    if (n->op() == OpKind::kFusedKernel) {
      ASSIGN_OR_RETURN(EmittedKernel k, EmitKernel(*n));
      if (names.contains(k.name)) {
        ASSIGN_OR_RETURN(k, EmitKernel(*n, absl::StrCat(k.name, "_", plan.kernels.size())));
      }
      names.insert(k.name);
      plan.kernel_of[n] = static_cast<int>(plan.kernels.size());
      plan.kernels.push_back(std::move(k));
    } else if (n->op() == OpKind::kFusedAttention) {
      ASSIGN_OR_RETURN(AttentionConfig config, AttentionConfigFor(*n));
      auto [it, inserted] =
          attention_of_config.emplace(ConfigKey(config), static_cast<int>(plan.attentions.size()));
      if (inserted) {
        std::string name = absl::StrCat("kiln_attention_", plan.attentions.size());
        ASSIGN_OR_RETURN(EmittedAttention a, EmitAttentionKernel(config, name));
        plan.attentions.push_back(std::move(a));
      }
      plan.kernel_of[n] = it->second;
    }
  }
  std::vector<EmittedKernel> all = plan.kernels;
  for (const EmittedAttention& a : plan.attentions) {
    EmittedKernel as_kernel;
    as_kernel.name = a.name;
    as_kernel.source = a.source;
    all.push_back(std::move(as_kernel));
  }
  plan.index_width = ChooseIndexWidth(*plan.graph, plan.bounds);
  plan.source = BuildModuleSource(all, plan.index_width);
  ASSIGN_OR_RETURN(plan.memory, PlanMemory(*plan.graph, plan.bounds));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Plan>> CompileGraph(std::unique_ptr<Graph> graph,
                                                   const CompileOptions& options) {
  Clock::time_point start = Clock::now();
  auto plan = std::make_unique<Plan>();
  plan->precision = options.precision;
  plan->arch = options.arch;

  Progress(options, absl::StrCat("optimizing (",
                                 options.passes.empty() ? absl::StrCat("-O", options.opt_level)
                                                        : options.passes,
                                 ", ", DTypeName(options.precision), ")"));
  const PipelineOptions level{.level = options.opt_level, .precision = options.precision,
                              .device = true};
  ASSIGN_OR_RETURN(PassManager pipeline, options.passes.empty()
                                             ? BuildPipeline(level)
                                             : BuildPipeline(options.passes, options.precision));
  // The device stage: attention reads and writes [B, S, H*D] directly (no head transposes), q,
  // k and v come from one packed projection, then everything is lowered to what the GPU
  // runtime executes.
  for (const std::string& name : DevicePassNames()) {
    ASSIGN_OR_RETURN(std::unique_ptr<Pass> pass, CreatePass(name));
    pipeline.Add(std::move(pass));
  }
  PassContext ctx;
  ctx.precision = options.precision;
  ctx.exact_gelu = options.exact_gelu;
  RETURN_IF_ERROR(pipeline.Run(*graph, ctx));
  plan->timings.optimize_ms = MillisSince(start);
  RETURN_IF_ERROR(CheckShapesFollowFromInputs(*graph));
  plan->graph = std::move(graph);
  ASSIGN_OR_RETURN(plan->bounds, MakeSymbolBounds(*plan->graph, options.max_batch,
                                                  options.max_seq, options.bounds));

  Clock::time_point codegen_start = Clock::now();
  RETURN_IF_ERROR(EmitPlanKernels(*plan));
  plan->timings.codegen_ms = MillisSince(codegen_start);
  if (!options.dump_cuda_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.dump_cuda_dir, ec);
    std::string path = (std::filesystem::path(options.dump_cuda_dir) /
                        (SanitizeIdentifier(plan->graph->name()) + ".cu")).string();
    RETURN_IF_ERROR(WriteFileAtomically(path, plan->source));
    Progress(options, absl::StrCat("wrote ", path));
  }

  Progress(options, absl::StrCat("compiling ", plan->kernels.size(), " fused kernels and ",
                                 plan->attentions.size(), " attention kernels for ",
                                 options.arch));
  Clock::time_point nvrtc_start = Clock::now();
  std::unique_ptr<KernelCache> cache;
  if (options.kernel_cache_dir != "-") {
    cache = std::make_unique<KernelCache>(options.kernel_cache_dir.empty()
                                              ? KernelCache::DefaultDir()
                                              : options.kernel_cache_dir);
  }
  NvrtcOptions nvrtc;
  nvrtc.arch = options.arch;
  ASSIGN_OR_RETURN(CompiledModule module,
                   CompileCuda(plan->source, plan->graph->name() + ".cu", nvrtc, cache.get()));
  plan->cubin = std::move(module.cubin);
  plan->timings.nvrtc_ms = MillisSince(nvrtc_start);
  plan->timings.kernel_cache_hit = module.from_cache;
  plan->timings.total_ms = MillisSince(start);
  return plan;
}

absl::StatusOr<std::unique_ptr<Plan>> CompileModelFile(const std::string& path,
                                                       const CompileOptions& options) {
  Clock::time_point start = Clock::now();
  Progress(options, absl::StrCat("importing ", path));
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, ImportOnnxFile(path));
  double import_ms = MillisSince(start);
  ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, CompileGraph(std::move(graph), options));
  plan->timings.import_ms = import_ms;
  plan->timings.total_ms = MillisSince(start);
  return plan;
}

absl::StatusOr<std::unique_ptr<Plan>> CompileModelBytes(absl::string_view bytes,
                                                        const CompileOptions& options) {
  Clock::time_point start = Clock::now();
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, ImportOnnxBytes(bytes, "", "model"));
  double import_ms = MillisSince(start);
  ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, CompileGraph(std::move(graph), options));
  plan->timings.import_ms = import_ms;
  plan->timings.total_ms = MillisSince(start);
  return plan;
}

}  // namespace kiln
