// Runs the generated FusedAttention kernels (CUDA-core and tensor-core) on the GPU against the
// reference kernel on random inputs: layouts, dtypes, head sizes 64/80/128, every mask kind,
// GQA, bias, odd lengths, fully masked rows under both empty_rows modes, and every
// FusedAttention node of the -O3 models (batch 2, other symbols 16). Relative L2 <= 1e-3 for
// f32, 1e-2 for f16/bf16. Skips without a GPU.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include "runtime/compare.h"
#include "absl/strings/str_cat.h"
#include "codegen/attention_emitter.h"
#include "codegen/nvrtc_compiler.h"
#include "codegen/prelude.h"
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/shape_inference.h"
#include "passes/pass_manager.h"
#include "runtime/cuda/attention_launcher.h"
#include "runtime/cuda/cuda_status.h"
#include "runtime/cuda/device.h"
#include "runtime/cuda/device_buffer.h"
#include "runtime/reference/kernel.h"
#include "tests/model_test_util.h"

namespace kiln::cuda {
namespace {

namespace fs = std::filesystem;

Tensor Random(DType dtype, std::vector<int64_t> shape, std::mt19937& rng, double keep = 0.8) {
  auto t = Tensor::Zeros(dtype, std::move(shape));
  KILN_CHECK(t.ok());
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::bernoulli_distribution bit(keep);
  VisitDType(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* data = t->template data<T>();
    for (int64_t i = 0; i < t->num_elements(); ++i) {
      if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, Half> ||
                    std::is_same_v<T, BFloat16>) {
        data[i] = T(real(rng));
      } else {
        data[i] = static_cast<T>(bit(rng) ? 1 : 0);
      }
    }
  });
  return *std::move(t);
}

// Relative L2 error of `got` against `want` (runtime/compare.h's measure).
double RelL2(const Tensor& want, const Tensor& got) { return CompareTensors(got, want, 0).error; }

// Runs `node` (a FusedAttention with inferred types) on `inputs` with the generated kernel and
// the reference; fails the test beyond tolerance. Prints one line for the report.
// `want_tc`: 1 / 0 asserts the tensor-core / CUDA-core kernel was chosen (-1: either).
// `misalign` shifts q by one element so the tensor-core kernel takes its non-cp.async path.
void CheckNode(const Node& node, const std::vector<const Tensor*>& inputs, const DeviceInfo& dev,
               const std::string& label, int want_tc = -1, bool misalign = false) {
  SCOPED_TRACE(label);
  auto config = AttentionConfigFor(node);
  ASSERT_TRUE(config.ok()) << config.status();
  auto kernel = EmitAttentionKernel(*config, "kiln_attention");
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  if (want_tc >= 0) ASSERT_EQ(kernel->tensor_cores, want_tc == 1);
  NvrtcOptions options;
  options.arch = dev.arch();
  auto cubin = CompileCuda(CudaPrelude() + kernel->source, "attention.cu", options);
  ASSERT_TRUE(cubin.ok()) << cubin.status();
  auto module = LoadedModule::Load(cubin->cubin);
  ASSERT_TRUE(module.ok()) << module.status();
  reference::KernelContext ctx{node, inputs, nullptr};
  reference::KernelResult want = reference::GetKernel(OpKind::kFusedAttention)(ctx);
  ASSERT_TRUE(want.ok()) << want.status();
  std::vector<std::vector<int64_t>> shapes;
  std::vector<DeviceBuffer> buffers;
  std::vector<size_t> offsets;
  for (const Tensor* t : inputs) {
    if (t == nullptr) continue;
    shapes.push_back(t->shape());
    const size_t offset = misalign && buffers.empty() ? DTypeSize(t->dtype()) : 0;
    auto b = DeviceBuffer::Allocate(t->nbytes() + offset);
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_TRUE(b->CopyFromHost(t->raw_data(), t->nbytes(), offset).ok());
    buffers.push_back(*std::move(b));
    offsets.push_back(offset);
  }
  const Tensor& w = (*want)[0];
  auto out = DeviceBuffer::Allocate(w.nbytes());
  ASSERT_TRUE(out.ok()) << out.status();
  buffers.push_back(*std::move(out));
  offsets.push_back(0);
  std::vector<void*> pointers;
  for (size_t i = 0; i < buffers.size(); ++i) {
    pointers.push_back(static_cast<char*>(buffers[i].data()) + offsets[i]);
  }
  auto launch = BuildAttentionLaunch(*kernel, node.attr_int("num_heads"),
                                     node.attr_int("kv_num_heads"), shapes);
  ASSERT_TRUE(launch.ok()) << launch.status();
  absl::Status ran = LaunchAttention(*module, *kernel, *launch, pointers);
  if (ran.ok()) ran = ToStatus(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  ASSERT_TRUE(ran.ok()) << ran;
  auto got = buffers.back().ToTensor(w.dtype(), w.shape());
  ASSERT_TRUE(got.ok()) << got.status();
  const double rel = RelL2(w, *got);
  const double tol = w.dtype() == DType::kF32 ? 1e-3 : 1e-2;
  std::printf("[gpu] %s %-58s rel L2 %.2e %s\n", kernel->tensor_cores ? "tc" : "cc",
              label.c_str(), rel, rel <= tol ? "ok" : "FAIL");
  EXPECT_LE(rel, tol) << label;
}

struct Case {
  DType dtype = DType::kF32;
  bool bsd = false;
  int head = 64;
  int64_t batch = 2, hq = 4, hkv = 4, sq = 40, skv = 40;
  std::string mask = "none", empty = "zero";
  std::vector<int64_t> bias = {};  // Bias shape; empty for none.
  double keep = 0.8;          // Probability a key_mask entry keeps its key.
  int want_tc = -1;           // 1: must take the tensor-core kernel.
  bool misalign = false;      // q one element off 16-byte alignment.
};

std::string Label(const Case& c) {
  std::string bias;
  for (int64_t d : c.bias) absl::StrAppend(&bias, bias.empty() ? " bias[" : ",", d);
  if (!bias.empty()) bias += "]";
  return absl::StrCat(DTypeName(c.dtype), c.bsd ? " bsd" : " bhsd", " D", c.head, " H", c.hq, "/",
                      c.hkv, " Sq", c.sq, " Skv", c.skv, " ", c.mask, " ", c.empty,
                      c.keep == 0 ? " all-masked" : "", c.misalign ? " misaligned" : "", bias);
}

void RunCase(const Case& c, const DeviceInfo& dev, std::mt19937& rng) {
  auto qs = [&](int64_t heads, int64_t seq) {
    return c.bsd ? std::vector<int64_t>{c.batch, seq, heads * c.head}
                 : std::vector<int64_t>{c.batch, heads, seq, c.head};
  };
  std::vector<Tensor> t = {Random(c.dtype, qs(c.hq, c.sq), rng),
                           Random(c.dtype, qs(c.hkv, c.skv), rng),
                           Random(c.dtype, qs(c.hkv, c.skv), rng), Tensor(), Tensor()};
  const bool padding = c.mask == "padding" || c.mask == "both";
  if (padding) {
    t[3] = Random(DType::kI64, {c.batch, c.skv}, rng, c.keep);
    if (c.keep > 0) {  // Batch 1's keys all masked: its rows are empty.
      for (int64_t j = 0; j < c.skv; ++j) t[3].data<int64_t>()[c.skv + j] = 0;
    }
  }
  if (!c.bias.empty()) t[4] = Random(DType::kF32, c.bias, rng);
  Graph g;
  std::vector<Value*> ins;
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < t.size(); ++i) {
    if (!t[i].defined()) {
      if (i == 3 && !c.bias.empty()) {  // An absent key_mask before a bias.
        ins.push_back(nullptr);
        ptrs.push_back(nullptr);
      }
      continue;
    }
    std::vector<DimExpr> dims(t[i].shape().begin(), t[i].shape().end());
    ins.push_back(g.AddInput(absl::StrCat("in", i), {t[i].dtype(), dims}));
    ptrs.push_back(&t[i]);
  }
  Attributes a;
  a.Set("num_heads", c.hq);
  a.Set("kv_num_heads", c.hkv);
  a.Set("scale", static_cast<float>(1.0 / std::sqrt(static_cast<double>(c.head))));
  a.Set("mask", c.mask);
  a.Set("layout", std::string(c.bsd ? "bsd" : "bhsd"));
  a.Set("empty_rows", c.empty);
  Node* n = g.AddNode(OpKind::kFusedAttention, ins, 1, a, "attn");
  g.AddOutput(n->output(0));
  absl::Status inferred = InferShapes(g);
  ASSERT_TRUE(inferred.ok()) << inferred;
  CheckNode(*n, ptrs, dev, Label(c), c.want_tc, c.misalign);
}

TEST(FusedAttentionGpuTest, ConfigurationsMatchTheReference) {
  absl::StatusOr<DeviceInfo> dev = QueryDevice();
  if (!dev.ok()) GTEST_SKIP() << "no GPU: " << dev.status();
  std::printf("[gpu] device %s (%s)\n", dev->name.c_str(), dev->arch().c_str());
  std::mt19937 rng(42);
  for (DType dtype : {DType::kF32, DType::kF16}) {
    for (bool bsd : {false, true}) {
      for (int head : {64, 80, 128}) {
        for (const char* mask : {"none", "padding", "causal", "both"}) {
          Case c{.dtype = dtype, .bsd = bsd, .head = head, .mask = mask};
          if (head == 80) c.hq = 8, c.hkv = 2;  // GQA.
          RunCase(c, *dev, rng);
        }
      }
    }
  }
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    RunCase({.dtype = dtype, .hq = 4, .hkv = 2, .sq = 17, .skv = 33, .mask = "both"}, *dev, rng);
    RunCase({.dtype = dtype, .bsd = true, .head = 80, .sq = 33, .skv = 17, .mask = "causal",
             .empty = "uniform"},
            *dev, rng);
    RunCase({.dtype = dtype, .head = 128, .sq = 1, .skv = 65, .mask = "padding"}, *dev, rng);
    RunCase({.dtype = dtype, .head = 64, .hq = 6, .hkv = 3, .sq = 17, .skv = 33,
             .bias = {2, 6, 17, 33}},
            *dev, rng);
    RunCase({.dtype = dtype, .bsd = true, .sq = 17, .skv = 17, .mask = "causal",
             .bias = {4, 1, 17}},
            *dev, rng);
  }
  for (const char* empty : {"zero", "uniform"}) {
    RunCase({.sq = 17, .skv = 33, .mask = "padding", .empty = empty, .keep = 0}, *dev, rng);
    RunCase({.dtype = DType::kF16, .bsd = true, .sq = 20, .skv = 9, .mask = "both",
             .empty = empty},
            *dev, rng);
  }
}

// The tensor-core kernel (f16/bf16, head sizes multiples of 16) against the reference: both
// layouts, head sizes 64/80/128, every mask kind, GQA, lengths off the 64-row tiles, several
// query blocks and key tiles, fully masked rows under both empty_rows modes, bias, and
// unaligned buffers.
TEST(FusedAttentionGpuTest, TensorCoreKernelMatchesTheReference) {
  absl::StatusOr<DeviceInfo> dev = QueryDevice();
  if (!dev.ok()) GTEST_SKIP() << "no GPU: " << dev.status();
  std::mt19937 rng(1234);
  for (DType dtype : {DType::kF16, DType::kBF16}) {
    for (bool bsd : {false, true}) {
      for (int head : {64, 80, 128}) {
        for (const char* mask : {"none", "padding", "causal", "both"}) {
          Case c{.dtype = dtype, .bsd = bsd, .head = head, .sq = 70, .skv = 70, .mask = mask,
                 .want_tc = 1};
          if (head == 80) c.hq = 8, c.hkv = 2;  // GQA.
          RunCase(c, *dev, rng);
        }
      }
    }
    const Case odd[] = {
        {.hq = 4, .hkv = 2, .sq = 17, .skv = 33, .mask = "both"},
        {.bsd = true, .head = 128, .sq = 17, .skv = 33, .mask = "padding", .empty = "uniform"},
        {.head = 128, .sq = 1, .skv = 65, .mask = "padding"},
        {.bsd = true, .head = 80, .hq = 4, .hkv = 1, .sq = 1, .skv = 65, .mask = "causal"},
        {.hq = 8, .hkv = 2, .sq = 130, .skv = 130, .mask = "causal"},
        {.bsd = true, .head = 128, .sq = 130, .skv = 130, .mask = "both", .empty = "uniform"},
        {.head = 80, .sq = 130, .skv = 130, .mask = "padding"},
        {.sq = 130, .skv = 200, .mask = "both"},  // Skv > Sq: causal diagonal offset.
        {.bsd = true, .head = 80, .sq = 33, .skv = 17, .mask = "causal", .empty = "uniform"},
        {.sq = 130, .skv = 130, .mask = "padding", .empty = "zero", .keep = 0},
        {.bsd = true, .sq = 17, .skv = 33, .mask = "padding", .empty = "uniform", .keep = 0},
        {.hq = 6, .hkv = 3, .sq = 17, .skv = 33, .bias = {2, 6, 17, 33}},
        {.bsd = true, .sq = 70, .skv = 70, .mask = "both", .bias = {4, 1, 70}},
        {.sq = 70, .skv = 90, .mask = "padding", .misalign = true},
        {.bsd = true, .head = 128, .sq = 17, .skv = 33, .mask = "causal", .misalign = true},
        // Grids past one wave with every key resident (1152 and 1600 blocks; an H100 holds 396
        // of these kernels' blocks): blocks take several query tiles (2, and 5 on an H100); the
        // causal one's first three tiles see no key.
        {.bsd = true, .batch = 48, .hq = 12, .hkv = 12, .sq = 128, .skv = 128, .mask = "padding"},
        {.batch = 40, .hq = 8, .hkv = 2, .sq = 300, .skv = 100, .mask = "both"},
    };
    for (Case c : odd) {
      c.dtype = dtype;
      c.want_tc = 1;
      RunCase(c, *dev, rng);
    }
  }
}

// Calls `fn(node, bindings, label)` for every FusedAttention node of every model after -O3 at
// f32 and f16.
template <typename Fn>
void ForEachModelAttention(Fn fn) {
  for (const fs::path& dir : testing::GpuModelDirs()) {
    for (DType precision : {DType::kF32, DType::kF16}) {
      auto graph = ImportOnnxFile((dir / "model.onnx").string());
      ASSERT_TRUE(graph.ok()) << graph.status();
      auto pm = BuildPipeline(PipelineOptions{.level = 3, .precision = precision});
      ASSERT_TRUE(pm.ok()) << pm.status();
      PassContext pass_ctx;
      pass_ctx.precision = precision;
      ASSERT_TRUE(pm->Run(**graph, pass_ctx).ok());
      auto bindings = testing::BindModelForTest(**graph);
      ASSERT_TRUE(bindings.ok()) << bindings.status();
      for (const Node* n : (*graph)->nodes()) {
        if (n->op() != OpKind::kFusedAttention) continue;
        fn(*n, *bindings,
           absl::StrCat(dir.filename().string(), "/", DTypeName(precision), " ",
                        n->name().substr(0, 30)));
      }
    }
  }
}

// Host-only (runs without a GPU): every model attention node gets a kernel that NVRTC compiles
// for sm_90 (each distinct source once).
TEST(FusedAttentionModelsTest, EveryModelsAttentionIsEmittedAndCompiles) {
  int emitted = 0, tensor_cores = 0;
  std::set<std::string> sources;
  ForEachModelAttention([&](const Node& n, const SymbolBindings&, const std::string& label) {
    auto config = AttentionConfigFor(n);
    ASSERT_TRUE(config.ok()) << label << ": " << config.status();
    auto kernel = EmitAttentionKernel(*config, "kiln_attention");
    ASSERT_TRUE(kernel.ok()) << label << ": " << kernel.status();
    ++emitted;
    if (kernel->tensor_cores) ++tensor_cores;
    if (!sources.insert(kernel->source).second) return;
    auto cubin = CompileCuda(CudaPrelude() + kernel->source, "attention.cu",
                             NvrtcOptions{.arch = "sm_90"});
    EXPECT_TRUE(cubin.ok()) << label << ": " << cubin.status();
  });
  std::printf("[models] %d attention nodes emitted (%d tensor-core), %zu distinct kernels compiled\n",
              emitted, tensor_cores, sources.size());
  EXPECT_GT(emitted, 0);
  EXPECT_GT(tensor_cores, 0);  // The f16 models' nodes.
}

TEST(FusedAttentionGpuTest, EveryModelsAttentionMatchesTheReference) {
  absl::StatusOr<DeviceInfo> dev = QueryDevice();
  if (!dev.ok()) GTEST_SKIP() << "no GPU: " << dev.status();
  std::mt19937 rng(7);
  int checked = 0;
  ForEachModelAttention([&](const Node& n, const SymbolBindings& bindings,
                            const std::string& label) {
    std::vector<Tensor> t(n.num_inputs());
    std::vector<const Tensor*> ptrs;
    for (int i = 0; i < n.num_inputs(); ++i) {
      if (n.input(i) == nullptr) {
        ptrs.push_back(nullptr);
        continue;
      }
      auto shape = EvaluateDims(n.input(i)->type().dims, bindings);
      ASSERT_TRUE(shape.ok()) << shape.status();
      t[i] = Random(n.input(i)->type().dtype, *shape, rng);
      ptrs.push_back(&t[i]);
    }
    CheckNode(n, ptrs, *dev, label);
    ++checked;
  });
  std::printf("[gpu] %d model attention nodes checked\n", checked);
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace kiln::cuda
