// Whole models on the GPU through Session: outputs against the stored references at every
// precision, CUDA graph replay bit-identical to the eager first run, plan save -> load -> run
// bit-identical to the plan that was never saved, device-memory I/O, and clear errors for
// shapes past the bounds and wrong dtypes. Skips without a GPU.
#include "runtime/engine/session.h"

#include <cuda_runtime_api.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/compare.h"
#include "runtime/cuda/device.h"
#include "runtime/engine/engine_test_util.h"
#include "tests/model_test_util.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;

#define SKIP_WITHOUT_GPU()                                                 \
  if (auto d = cuda::QueryDevice(); !d.ok()) {                             \
    GTEST_SKIP() << "no GPU: " << d.status().message();                    \
  }

bool BitwiseEqual(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].BitwiseEqual(b[i])) return false;
  }
  return true;
}

void CheckModel(const std::filesystem::path& dir, DType precision) {
  SCOPED_TRACE(absl::StrCat(dir.string(), " at ", DTypeName(precision)));
  auto plan = testing::CompileTestModel(dir, precision);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::string bytes = SerializePlan(**plan);
  std::shared_ptr<const Plan> shared(std::move(*plan));
  auto session = Session::Create(shared);
  ASSERT_TRUE(session.ok()) << session.status();
  double tol = precision == DType::kF32 ? 1e-3 : 1e-2;
  std::vector<Tensor> inputs = testing::LoadDataSet(dir, 0, "input");
  std::vector<Tensor> want = testing::LoadDataSet(dir, 0, "output");
  auto first = (*session)->Run(inputs);  // Eager.
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CompareResult c = CompareTensors((*first)[i], want[i], std::max(tol, DefaultTolerance(want[i].dtype())));
    EXPECT_TRUE(c.ok) << "output " << i << ": " << c.detail;
  }
  auto second = (*session)->Run(inputs);  // Captured into a graph.
  auto third = (*session)->Run(inputs);   // Replayed.
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_EQ((*session)->captured_graphs(), 1);
  EXPECT_TRUE(BitwiseEqual(*first, *second));
  EXPECT_TRUE(BitwiseEqual(*first, *third));

  auto loaded = DeserializePlan(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto reloaded = Session::Create(std::shared_ptr<const Plan>(std::move(*loaded)));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  auto again = (*reloaded)->Run(inputs);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(BitwiseEqual(*first, *again)) << "a saved and loaded plan must give the same bits";
}

TEST(SessionGpuTest, ModelsMatchReferencesReplayAndReloadBitIdentically) {
  SKIP_WITHOUT_GPU();
  for (const auto& dir : testing::GpuModelDirs()) {
    for (DType p : {DType::kF32, DType::kF16, DType::kBF16}) CheckModel(dir, p);
  }
}

TEST(SessionGpuTest, DeviceInputsAndOutputs) {
  SKIP_WITHOUT_GPU();
  auto dir = testing::GpuModelDirs().front();
  auto plan = testing::CompileTestModel(dir);
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto session = Session::Create(std::shared_ptr<const Plan>(std::move(*plan)));
  ASSERT_TRUE(session.ok()) << session.status();
  std::vector<Tensor> inputs = testing::LoadDataSet(dir, 0, "input");
  auto host = (*session)->Run(inputs);
  ASSERT_TRUE(host.ok()) << host.status();
  std::vector<cuda::DeviceBuffer> buffers;
  std::vector<DeviceTensor> device_inputs;
  for (const Tensor& t : inputs) {
    auto b = cuda::DeviceBuffer::FromTensor(t);
    ASSERT_TRUE(b.ok());
    device_inputs.push_back(DeviceTensor{b->data(), t.dtype(), t.shape()});
    buffers.push_back(*std::move(b));
  }
  auto outs = (*session)->RunOnDevice(device_inputs);
  ASSERT_TRUE(outs.ok()) << outs.status();
  ASSERT_EQ(outs->size(), host->size());
  for (size_t i = 0; i < outs->size(); ++i) {
    Tensor copy = *Tensor::Zeros((*outs)[i].dtype, (*outs)[i].shape);
    ASSERT_EQ(cudaMemcpy(copy.raw_data(), (*outs)[i].data, copy.nbytes(), cudaMemcpyDeviceToHost),
              cudaSuccess);
    EXPECT_TRUE(copy.BitwiseEqual((*host)[i]));
  }
}

TEST(SessionGpuTest, ShapesPastTheBoundsAndWrongDtypesAreErrors) {
  SKIP_WITHOUT_GPU();
  auto dir = testing::GpuModelDirs().front();
  auto plan = testing::CompileTestModel(dir);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const Graph& g = *(*plan)->graph;
  auto session = Session::Create(std::shared_ptr<const Plan>(std::move(*plan)));
  ASSERT_TRUE(session.ok()) << session.status();
  std::vector<Tensor> inputs = testing::LoadDataSet(dir, 0, "input");
  std::vector<Tensor> big;
  for (const Tensor& t : inputs) {
    std::vector<int64_t> shape = t.shape();
    shape[0] = 9;  // The test bounds say batch <= 8.
    big.push_back(*Tensor::Zeros(t.dtype(), shape));
  }
  absl::Status s = (*session)->Run(big).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
  EXPECT_THAT(s.message(), HasSubstr("exceeds the plan's bound 8"));
  std::vector<Tensor> wrong = inputs;
  wrong[0] = *Tensor::Zeros(DType::kF64, inputs[0].shape());
  EXPECT_THAT((*session)->Run(wrong).status().message(),
              HasSubstr(absl::StrCat("input '", g.inputs()[0]->name(), "' must be")));
}

}  // namespace
}  // namespace kiln
