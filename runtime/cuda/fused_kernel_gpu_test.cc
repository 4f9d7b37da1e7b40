// Runs every generated FusedKernel of every model (tests/models and the shared models, after
// -O3 at f32 and at f16) on the GPU and compares each output with the reference kernel on the
// same random inputs: relative L2 <= 1e-3 for f32/f64, 1e-2 for f16/bf16, exact for integers
// and bool. Shapes: batch=2 and every other symbol 16 (seq=16). Skips without a GPU.
// The shared models are found in $KILN_SHARED/models, else beside the checkout.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/kernel_emitter.h"
#include "codegen/nvrtc_compiler.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "runtime/cuda/cuda_status.h"
#include "runtime/cuda/device.h"
#include "runtime/cuda/device_buffer.h"
#include "runtime/cuda/kernel_launcher.h"
#include "runtime/reference/kernel.h"
#include "tests/model_test_util.h"

namespace kiln::cuda {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<Tensor> RandomTensor(DType dtype, std::vector<int64_t> shape, std::mt19937& rng) {
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, std::move(shape)));
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int> bit(0, 1);
  VisitDType(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* data = t.template data<T>();
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, Half> ||
                    std::is_same_v<T, BFloat16>) {
        data[i] = T(real(rng));
      } else {
        data[i] = static_cast<T>(bit(rng));  // Valid as an index, a mask, a bool.
      }
    }
  });
  return t;
}

std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> out(t.num_elements());
  VisitDType(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* data = t.template data<T>();
    for (int64_t i = 0; i < t.num_elements(); ++i) out[i] = static_cast<double>(data[i]);
  });
  return out;
}

// An empty string when `got` matches `want` within the dtype's tolerance, else why not.
std::string Compare(const Tensor& want, const Tensor& got) {
  if (want.shape() != got.shape() || want.dtype() != got.dtype()) {
    return absl::StrCat("type ", want.TypeString(), " vs ", got.TypeString());
  }
  std::vector<double> a = AsDoubles(want), b = AsDoubles(got);
  if (!IsFloat(want.dtype())) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i] != b[i]) return absl::StrCat("element ", i, ": want ", a[i], " got ", b[i]);
    }
    return "";
  }
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += a[i] * a[i];
  }
  double rel = std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
  if (num == 0) rel = 0;
  double tol = want.dtype() == DType::kF16 || want.dtype() == DType::kBF16 ? 1e-2 : 1e-3;
  if (!(rel <= tol)) return absl::StrCat("relative L2 ", rel, " > ", tol);
  return "";
}

std::string BodyOps(const Node& node) {
  std::set<std::string> ops;
  for (const Node* n : node.body()->nodes()) ops.insert(std::string(n->op_name()));
  return absl::StrJoin(ops, ",");
}

struct Tally {
  int matched = 0, mismatched = 0, skipped = 0;
};

// Runs one kernel on the GPU and on the reference; counts it in `tally`.
void CheckKernel(const Node& node, const EmittedKernel& kernel, const LoadedModule& module,
                 const SymbolBindings& bindings, std::mt19937& rng, const std::string& where,
                 Tally& tally) {
  auto skip = [&](const std::string& why) {
    std::printf("[gpu] %s %s: skipped: %s\n", where.c_str(), node.name().c_str(), why.c_str());
    ++tally.skipped;
  };
  std::vector<Tensor> inputs;
  for (int i = 0; i < node.num_inputs(); ++i) {
    auto shape = EvaluateDims(node.input(i)->type().dims, bindings);
    if (!shape.ok()) return skip(absl::StrCat("input ", i, ": ", shape.status().message()));
    auto t = RandomTensor(node.input(i)->type().dtype, *shape, rng);
    ASSERT_TRUE(t.ok()) << t.status();
    // Shape-carrying integer inputs (a Reshape's target, a Slice's end) get the values the
    // model computes for them.
    if (const auto& sym = node.input(i)->sym_value(); sym && t->num_elements() == sym->size()) {
      for (size_t e = 0; e < sym->size(); ++e) {
        absl::StatusOr<int64_t> v = (*sym)[e].Evaluate(bindings);
        if (!v.ok()) return skip(absl::StrCat("input ", i, ": ", v.status().message()));
        VisitDType(t->dtype(), [&](auto tag) {
          using T = decltype(tag);
          t->template data<T>()[e] = static_cast<T>(*v);
        });
      }
    }
    inputs.push_back(*std::move(t));
  }
  reference::KernelContext ctx{node, {}, &bindings};
  for (const Tensor& t : inputs) ctx.inputs.push_back(&t);
  reference::KernelResult want = reference::GetKernel(OpKind::kFusedKernel)(ctx);
  if (!want.ok()) return skip(absl::StrCat("reference: ", want.status().message()));
  std::vector<DeviceBuffer> buffers;
  std::vector<void*> pointers;
  for (const Tensor& t : inputs) {
    auto b = DeviceBuffer::FromTensor(t);
    ASSERT_TRUE(b.ok()) << b.status();
    buffers.push_back(*std::move(b));
  }
  for (const Tensor& t : *want) {
    auto b = DeviceBuffer::Allocate(t.nbytes());
    ASSERT_TRUE(b.ok()) << b.status();
    buffers.push_back(*std::move(b));
  }
  for (DeviceBuffer& b : buffers) pointers.push_back(b.data());
  absl::Status launched = LaunchEmittedKernel(module, kernel, pointers, bindings);
  if (launched.ok()) launched = ToStatus(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  ASSERT_TRUE(launched.ok()) << where << " " << node.name() << ": " << launched;
  std::vector<std::string> errors;
  for (size_t i = 0; i < want->size(); ++i) {
    const Tensor& w = (*want)[i];
    auto got = buffers[inputs.size() + i].ToTensor(w.dtype(), w.shape());
    ASSERT_TRUE(got.ok()) << got.status();
    std::string why = Compare(w, *got);
    if (!why.empty()) errors.push_back(absl::StrCat("output ", i, " ", w.TypeString(), ": ", why));
  }
  if (errors.empty()) {
    ++tally.matched;
    return;
  }
  ++tally.mismatched;
  ADD_FAILURE() << "[gpu] MISMATCH " << where << " node " << node.name() << " (ops "
                << BodyOps(node) << "; " << kernel.LaunchSummary()
                << "): " << absl::StrJoin(errors, "; ");
}

void CheckModel(const fs::path& dir, DType precision, IndexWidth width,
                const DeviceInfo& device) {
  std::string where = absl::StrCat(dir.filename().string(), "/", DTypeName(precision),
                                   width == IndexWidth::k32 ? "/idx32" : "/idx64");
  SCOPED_TRACE(where);
  auto graph = ImportOnnxFile((dir / "model.onnx").string());
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto pm = BuildPipeline(PipelineOptions{.level = 3, .precision = precision});
  ASSERT_TRUE(pm.ok()) << pm.status();
  PassContext pass_ctx;
  pass_ctx.precision = precision;
  absl::Status ran = pm->Run(**graph, pass_ctx);
  ASSERT_TRUE(ran.ok()) << ran;
  auto bindings = testing::BindModelForTest(**graph);
  ASSERT_TRUE(bindings.ok()) << bindings.status();
  std::vector<const Node*> nodes;
  std::vector<EmittedKernel> kernels;
  for (const Node* n : (*graph)->nodes()) {
    if (n->op() != OpKind::kFusedKernel) continue;
    auto k = EmitKernel(*n, absl::StrCat("kiln_k", kernels.size()));
    ASSERT_TRUE(k.ok()) << k.status();
    nodes.push_back(n);
    kernels.push_back(*std::move(k));
  }
  ASSERT_FALSE(kernels.empty());
  NvrtcOptions options;
  options.arch = device.arch();
  // The test's shapes are small, so both index widths are exact.
  auto cubin = CompileCuda(BuildModuleSource(kernels, width), where + ".cu", options);
  ASSERT_TRUE(cubin.ok()) << cubin.status();
  auto module = LoadedModule::Load(cubin->cubin);
  ASSERT_TRUE(module.ok()) << module.status();
  std::mt19937 rng(1234);
  Tally tally;
  for (size_t i = 0; i < kernels.size(); ++i) {
    CheckKernel(*nodes[i], kernels[i], *module, *bindings, rng, where, tally);
  }
  std::printf("[gpu] %-28s %2d/%2zu kernels match (%d mismatched, %d skipped)\n", where.c_str(),
              tally.matched, kernels.size(), tally.mismatched, tally.skipped);
}

TEST(FusedKernelGpuTest, EveryModelsKernelsMatchTheReference) {
  absl::StatusOr<DeviceInfo> device = QueryDevice();
  if (!device.ok()) GTEST_SKIP() << "no GPU: " << device.status();
  std::printf("[gpu] device %s (%s)\n", device->name.c_str(), device->arch().c_str());
  std::vector<fs::path> dirs = testing::GpuModelDirs();
  ASSERT_FALSE(dirs.empty());
  for (const fs::path& dir : dirs) {
    for (DType precision : {DType::kF32, DType::kF16}) {
      for (IndexWidth width : {IndexWidth::k64, IndexWidth::k32}) {
        CheckModel(dir, precision, width, *device);
      }
    }
  }
}

// A residual layer norm of 512 f16 columns (64 vectors) over enough rows that the launcher runs
// it a warp per row (rows * 64 threads exceed what the SMs hold), and over few rows (blocks of
// 64 threads): both match the reference.
TEST(FusedKernelGpuTest, RowKernelMatchesTheReferenceAsBlockOrWarpPerRow) {
  absl::StatusOr<DeviceInfo> device = QueryDevice();
  if (!device.ok()) GTEST_SKIP() << "no GPU: " << device.status();
  constexpr char kSkipNorm[] = R"(
graph main(%x: f16[rows,512], %r: f16[rows,512], %g: f16[512], %b: f16[512]) {
  %y: f16[rows,512], %s: f16[rows,512] = FusedKernel(%x, %r, %g, %b) @fused_ln body
    graph fused(%x: f16[rows,512], %r: f16[rows,512], %g: f16[512], %b: f16[512]) {
      %y: f16[rows,512], %s: f16[rows,512] = SkipNormalization(%x, %r, %g, %b) {norm="layer"} @ln
      return %y, %s
    }
  return %y, %s
}
)";
  auto graph = ParseGraph(kSkipNorm);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const Node* node = nullptr;
  for (const Node* n : (*graph)->nodes()) {
    if (n->op() == OpKind::kFusedKernel) node = n;
  }
  ASSERT_NE(node, nullptr);
  auto kernel = EmitKernel(*node, "kiln_ln");
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  ASSERT_TRUE(kernel->warp_rows);
  NvrtcOptions options;
  options.arch = device->arch();
  auto cubin = CompileCuda(BuildModuleSource({*kernel}), "ln.cu", options);
  ASSERT_TRUE(cubin.ok()) << cubin.status();
  auto module = LoadedModule::Load(cubin->cubin);
  ASSERT_TRUE(module.ok()) << module.status();
  const int64_t resident = int64_t{device->sm_count} * device->threads_per_sm;
  std::mt19937 rng(7);
  for (int64_t rows : {int64_t{100}, resident / 64 + 77}) {
    std::printf("[gpu] layer norm over %lld rows: block %d\n", static_cast<long long>(rows),
                RowBlockSize(*kernel, rows, resident));
    Tally tally;
    CheckKernel(*node, *kernel, *module, {{"rows", rows}}, rng, "warp-rows", tally);
    EXPECT_EQ(tally.matched, 1) << rows << " rows";
  }
}

}  // namespace
}  // namespace kiln::cuda
