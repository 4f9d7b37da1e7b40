#include "codegen/nvrtc_compiler.h"

#include <filesystem>

#include "gtest/gtest.h"

namespace kiln {
namespace {

constexpr char kSaxpy[] = R"(
extern "C" __global__ void saxpy(float a, const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
)";

TEST(NvrtcCompilerTest, CompilesForSm90WithoutAGpu) {
  auto m = CompileCuda(kSaxpy, "saxpy.cu", NvrtcOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_GT(m->cubin.size(), 4u);
  EXPECT_EQ(m->cubin.substr(0, 4), std::string("\x7f" "ELF", 4));
  EXPECT_FALSE(m->from_cache);
}

TEST(NvrtcCompilerTest, ErrorCarriesFileNameAndLog) {
  auto m = CompileCuda("__global__ void k() { undefined_thing(); }", "broken_kernel.cu", {});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("broken_kernel.cu"), absl::string_view::npos);
  EXPECT_NE(m.status().message().find("undefined_thing"), absl::string_view::npos);
}

TEST(NvrtcCompilerTest, SecondCompileComesFromTheCache) {
  std::string dir = ::testing::TempDir() + "/kiln_cache_test";
  std::filesystem::remove_all(dir);
  KernelCache cache(dir);
  auto first = CompileCuda(kSaxpy, "saxpy.cu", {}, &cache);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->from_cache);
  auto second = CompileCuda(kSaxpy, "saxpy.cu", {}, &cache);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->cubin, first->cubin);
  // Other options are another key.
  NvrtcOptions other;
  other.arch = "sm_80";
  auto third = CompileCuda(kSaxpy, "saxpy.cu", other, &cache);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->from_cache);
}

TEST(KernelCacheTest, RejectsCorruptOrCollidingEntries) {
  std::string dir = ::testing::TempDir() + "/kiln_cache_test2";
  std::filesystem::remove_all(dir);
  KernelCache cache(dir);
  ASSERT_TRUE(cache.Put("key-a", "binary-a").ok());
  EXPECT_EQ(cache.Get("key-a"), "binary-a");
  EXPECT_FALSE(cache.Get("key-b").has_value());
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::filesystem::resize_file(e.path(), 5);  // Truncate: must read as a miss, not garbage.
  }
  EXPECT_FALSE(cache.Get("key-a").has_value());
}

}  // namespace
}  // namespace kiln
