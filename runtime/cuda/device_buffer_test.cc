#include "runtime/cuda/device_buffer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cuda/device.h"

namespace kiln::cuda {
namespace {

using ::testing::HasSubstr;

// Bounds are checked before any CUDA call, so this runs without a GPU.
TEST(DeviceBufferTest, CopiesPastTheEndAreOutOfRange) {
  DeviceBuffer empty;
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.data(), nullptr);
  float x = 1;
  absl::Status s = empty.CopyFromHost(&x, sizeof(x));
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(s.message(), HasSubstr("exceeds the 0-byte buffer"));
  EXPECT_EQ(empty.CopyToHost(&x, 1, 0).code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(empty.CopyToHost(&x, 0, 0).ok());
  auto zero = DeviceBuffer::Allocate(0);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->data(), nullptr);
}

TEST(DeviceBufferTest, RoundTripsATensorOnTheGpu) {
  auto dev = QueryDevice(0);
  if (!dev.ok()) GTEST_SKIP() << "no GPU here: " << dev.status().message();
  const Tensor t = Tensor::FromVector<float>({1.5f, -2, 3, 4.25f, 5, 6}, {2, 3});
  auto buf = DeviceBuffer::FromTensor(t);
  ASSERT_TRUE(buf.ok()) << buf.status();
  EXPECT_EQ(buf->size(), 24u);
  auto back = buf->ToTensor(DType::kF32, {2, 3});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->BitwiseEqual(t));
  // A partial copy at an offset, then a move leaves the source empty.
  const float patch[2] = {7, 8};
  ASSERT_TRUE(buf->CopyFromHost(patch, sizeof(patch), 2 * sizeof(float)).ok());
  DeviceBuffer moved = std::move(*buf);
  EXPECT_EQ(buf->data(), nullptr);
  float host[6];
  ASSERT_TRUE(moved.CopyToHost(host, sizeof(host)).ok());
  EXPECT_EQ(host[2], 7);
  EXPECT_EQ(host[3], 8);
  EXPECT_EQ(host[5], 6);
  EXPECT_EQ(moved.CopyToHost(host, 8, 20).code(), absl::StatusCode::kOutOfRange);
  ASSERT_TRUE(moved.Zero().ok());
  ASSERT_TRUE(moved.CopyToHost(host, sizeof(host)).ok());
  EXPECT_EQ(host[0], 0);
}

}  // namespace
}  // namespace kiln::cuda
