// Times the CUDA-core and the tensor-core FusedAttention kernels on the shapes that matter
// (BERT-base batch 32 and LLaMA-7B-like GQA prefill, f16) and prints both: a report, not an
// assertion on speed. The two kernels' outputs must agree (rel. L2 <= 1e-2). Skips without a
// GPU.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "runtime/compare.h"
#include "absl/strings/str_cat.h"
#include "codegen/attention_emitter.h"
#include "codegen/nvrtc_compiler.h"
#include "codegen/prelude.h"
#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/status_macros.h"
#include "runtime/cuda/attention_launcher.h"
#include "runtime/cuda/cuda_status.h"
#include "runtime/cuda/device.h"
#include "runtime/cuda/device_buffer.h"

namespace kiln::cuda {
namespace {

struct Shape {
  const char* name;
  int64_t batch, hq, hkv, seq;
  int head;
  const char* mask;
  bool bsd;
};

Tensor Filled(DType dtype, std::vector<int64_t> shape, std::mt19937& rng) {
  auto t = Tensor::Zeros(dtype, std::move(shape));
  KILN_CHECK(t.ok());
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  if (dtype == DType::kI64) {
    // Padding: each sequence keeps a random prefix of at least half its keys.
    const int64_t batch = t->shape()[0], seq = t->shape()[1];
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = seq / 2 + static_cast<int64_t>(rng() % (seq / 2 + 1));
      for (int64_t j = 0; j < seq; ++j) t->data<int64_t>()[b * seq + j] = j < len ? 1 : 0;
    }
  } else {
    for (int64_t i = 0; i < t->num_elements(); ++i) t->data<Half>()[i] = Half(real(rng));
  }
  return *std::move(t);
}

// Median milliseconds of 50 launches after 10 warm-up ones, each timed with CUDA events.
absl::StatusOr<double> MedianMs(const LoadedModule& module, const EmittedAttention& kernel,
                                const AttentionLaunch& launch, const std::vector<void*>& ptrs) {
  cudaEvent_t start, stop;
  KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&start));
  KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&stop));
  std::vector<double> ms;
  for (int it = 0; it < 60; ++it) {
    KILN_CUDA_RETURN_IF_ERROR(cudaEventRecord(start));
    RETURN_IF_ERROR(LaunchAttention(module, kernel, launch, ptrs));
    KILN_CUDA_RETURN_IF_ERROR(cudaEventRecord(stop));
    KILN_CUDA_RETURN_IF_ERROR(cudaEventSynchronize(stop));
    float t = 0;
    KILN_CUDA_RETURN_IF_ERROR(cudaEventElapsedTime(&t, start, stop));
    if (it >= 10) ms.push_back(t);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Relative L2 error of `got` against `want` (runtime/compare.h's measure).
double RelL2(const Tensor& want, const Tensor& got) { return CompareTensors(got, want, 0).error; }

void TimeShape(const Shape& s, const DeviceInfo& dev, std::mt19937& rng) {
  SCOPED_TRACE(s.name);
  auto dims = [&](int64_t heads) {
    return s.bsd ? std::vector<int64_t>{s.batch, s.seq, heads * s.head}
                 : std::vector<int64_t>{s.batch, heads, s.seq, s.head};
  };
  const bool padding = std::string(s.mask) == "padding" || std::string(s.mask) == "both";
  std::vector<Tensor> inputs = {Filled(DType::kF16, dims(s.hq), rng),
                                Filled(DType::kF16, dims(s.hkv), rng),
                                Filled(DType::kF16, dims(s.hkv), rng)};
  if (padding) inputs.push_back(Filled(DType::kI64, {s.batch, s.seq}, rng));
  std::vector<std::vector<int64_t>> shapes;
  std::vector<DeviceBuffer> buffers;
  for (const Tensor& t : inputs) {
    shapes.push_back(t.shape());
    auto b = DeviceBuffer::FromTensor(t);
    ASSERT_TRUE(b.ok()) << b.status();
    buffers.push_back(*std::move(b));
  }
  AttentionConfig c;
  c.dtype = DType::kF16;
  c.bsd = s.bsd;
  c.head_dim = c.v_head_dim = s.head;
  c.scale = 1.0f / std::sqrt(static_cast<float>(s.head));
  c.causal = std::string(s.mask) == "causal" || std::string(s.mask) == "both";
  if (padding) c.key_mask_dtype = DType::kI64;
  double ms[2] = {0, 0};
  Tensor out[2];
  for (int tc = 0; tc < 2; ++tc) {
    c.allow_tensor_cores = tc == 1;
    auto kernel = EmitAttentionKernel(c, "kiln_attention");
    ASSERT_TRUE(kernel.ok()) << kernel.status();
    ASSERT_EQ(kernel->tensor_cores, tc == 1);
    auto cubin = CompileCuda(CudaPrelude() + kernel->source, "attention.cu",
                             NvrtcOptions{.arch = dev.arch()});
    ASSERT_TRUE(cubin.ok()) << cubin.status();
    auto module = LoadedModule::Load(cubin->cubin);
    ASSERT_TRUE(module.ok()) << module.status();
    auto launch = BuildAttentionLaunch(*kernel, s.hq, s.hkv, shapes);
    ASSERT_TRUE(launch.ok()) << launch.status();
    auto y = DeviceBuffer::Allocate(inputs[0].nbytes());
    ASSERT_TRUE(y.ok()) << y.status();
    std::vector<void*> ptrs;
    for (DeviceBuffer& b : buffers) ptrs.push_back(b.data());
    ptrs.push_back(y->data());
    auto t = MedianMs(*module, *kernel, *launch, ptrs);
    ASSERT_TRUE(t.ok()) << t.status();
    ms[tc] = *t;
    auto host = y->ToTensor(DType::kF16, inputs[0].shape());
    ASSERT_TRUE(host.ok()) << host.status();
    out[tc] = *std::move(host);
  }
  const double rel = RelL2(out[0], out[1]);
  std::printf("[timing] %s: %-34s cuda-core %.4f ms  tensor-core %.4f ms  (x%.1f)  rel L2 %.1e\n",
              dev.name.c_str(), s.name, ms[0], ms[1], ms[0] / ms[1], rel);
  EXPECT_LE(rel, 1e-2);
}

TEST(FusedAttentionTimingGpuTest, PrintsCudaCoreVersusTensorCoreTimes) {
  absl::StatusOr<DeviceInfo> dev = QueryDevice();
  if (!dev.ok()) GTEST_SKIP() << "no GPU: " << dev.status();
  std::mt19937 rng(3);
  const Shape shapes[] = {
      {"BERT-base B32 H12 S128 D64 pad bhsd", 32, 12, 12, 128, 64, "padding", false},
      {"BERT-base B32 H12 S128 D64 pad bsd", 32, 12, 12, 128, 64, "padding", true},
      {"LLaMA B1 H32/4 S512 D64 both bhsd", 1, 32, 4, 512, 64, "both", false},
      {"LLaMA B1 H32/4 S512 D64 both bsd", 1, 32, 4, 512, 64, "both", true},
      {"LLaMA-7B B1 H32 S2048 D128 causal", 1, 32, 32, 2048, 128, "causal", false},
  };
  for (const Shape& s : shapes) TimeShape(s, *dev, rng);
}

}  // namespace
}  // namespace kiln::cuda
