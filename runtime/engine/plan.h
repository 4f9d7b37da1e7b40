// A compiled plan: what `kiln compile` produces and a Session runs. It holds the device-lowered
// graph (weights as Constant nodes), the kernels generated for it and their cubin, and the
// symbol bounds its memory plan is sized for. Everything else (kernel launch descriptions, the
// memory plan) is derived from those deterministically, so a plan file stores only them.
#ifndef KILN_RUNTIME_ENGINE_PLAN_H_
#define KILN_RUNTIME_ENGINE_PLAN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "codegen/attention_emitter.h"
#include "codegen/kernel_emitter.h"
#include "ir/graph.h"
#include "passes/memory_plan.h"

namespace kiln {

struct CompileOptions {
  int opt_level = 3;                  // The -O pipeline run before device lowering...
  std::string passes;                 // ...unless this comma-separated pass list is given.
  DType precision = DType::kF32;      // kF32, kF16 or kBF16.
  int64_t max_batch = 64;             // Bounds of the input symbols (see MakeSymbolBounds).
  int64_t max_seq = 512;
  SymbolBounds bounds;                // Explicit bounds, overriding the two above.
  std::string arch = "sm_90";         // NVRTC's --gpu-architecture.
  bool exact_gelu = false;            // See PassContext::exact_gelu.
  std::string kernel_cache_dir;       // "" uses KernelCache::DefaultDir(); "-" disables it.
  std::string dump_cuda_dir;          // When set, the generated module source is written there.
  // Progress lines ("optimizing", "compiling 9 kernels", ...); may be empty.
  std::function<void(absl::string_view)> progress;
};

// Wall time of each compile phase, in milliseconds.
struct CompileTimings {
  double import_ms = 0, optimize_ms = 0, codegen_ms = 0, nvrtc_ms = 0, total_ms = 0;
  bool kernel_cache_hit = false;
};

struct Plan {
  std::unique_ptr<Graph> graph;  // Device-lowered: CheckDeviceExecutable holds.
  SymbolBounds bounds;
  DType precision = DType::kF32;
  std::string arch;
  std::string cubin;             // One module holding every kernel below.

  // Derived by EmitPlanKernels (not stored in plan files).
  std::vector<EmittedKernel> kernels;        // FusedKernel nodes, in graph order.
  std::vector<EmittedAttention> attentions;  // FusedAttention nodes, in graph order.
  absl::flat_hash_map<const Node*, int> kernel_of;  // Node -> index in its vector above.
  std::string source;                        // The module's CUDA C++ (prelude included).
  // The kernels' index type, from the graph and `bounds` (ChooseIndexWidth): part of
  // `source`, so a plan file's source hash covers it.
  IndexWidth index_width = IndexWidth::k64;
  MemoryPlan memory;                         // Offsets of intermediates at `bounds`.
  CompileTimings timings;
};

// Emits every kernel `plan.graph` needs, builds the module source (choosing its index width
// from the graph and bounds) and the memory plan.
absl::Status EmitPlanKernels(Plan& plan);

// Optimizes `graph` (-O level, precision), lowers it for the device, emits and compiles its
// kernels (through the on-disk kernel cache).
absl::StatusOr<std::unique_ptr<Plan>> CompileGraph(std::unique_ptr<Graph> graph,
                                                   const CompileOptions& options);
// Imports an ONNX file (external data beside it), then CompileGraph.
absl::StatusOr<std::unique_ptr<Plan>> CompileModelFile(const std::string& path,
                                                       const CompileOptions& options);
// The same from the bytes of a model without external data.
absl::StatusOr<std::unique_ptr<Plan>> CompileModelBytes(absl::string_view bytes,
                                                        const CompileOptions& options);

// Plan files: a versioned, checksummed container (see plan_file.cc for the layout).
absl::Status SavePlan(const Plan& plan, const std::string& path);
absl::StatusOr<std::unique_ptr<Plan>> LoadPlan(const std::string& path);
// The same to and from bytes.
std::string SerializePlan(const Plan& plan);
absl::StatusOr<std::unique_ptr<Plan>> DeserializePlan(absl::string_view bytes,
                                                      absl::string_view display_name = "plan");

}  // namespace kiln

#endif  // KILN_RUNTIME_ENGINE_PLAN_H_
