#include "runtime/cuda/device.h"

#include "gtest/gtest.h"

namespace kiln::cuda {
namespace {

TEST(DeviceTest, ReportsTheGpuOrSaysWhyNot) {
  auto d = QueryDevice(0);
  if (!d.ok()) {
    EXPECT_EQ(d.status().code(), absl::StatusCode::kUnavailable) << d.status();
    GTEST_SKIP() << "no GPU here: " << d.status().message();
  }
  EXPECT_FALSE(d->name.empty());
  EXPECT_GE(d->major, 7);
  EXPECT_GT(d->sm_count, 0);
  EXPECT_EQ(d->arch(), "sm_" + std::to_string(d->major) + std::to_string(d->minor));
  EXPECT_FALSE(QueryDevice(1000).ok());
}

}  // namespace
}  // namespace kiln::cuda
