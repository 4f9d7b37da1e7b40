// Runs generated tensor-core attention kernels on the CPU (codegen/testdata/
// attention_tc_emulator.inc, compiled here with the host C++ compiler) against the reference
// kernel: fragment layouts, the cp.async pipeline, masks, GQA, layouts, bias, empty rows and
// unaligned inputs are checked without a GPU. Skips when no host compiler is found.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/compare.h"
#include "absl/strings/str_cat.h"
#include "codegen/attention_emitter.h"
#include "gtest/gtest.h"
#include "ir/check.h"
#include "ir/shape_inference.h"
#include "runtime/cuda/attention_launcher.h"
#include "runtime/reference/kernel.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct EmuCase {
  DType dtype = DType::kF16;
  bool bsd = false;
  int head = 64, v_head = 64;
  int64_t batch = 2, hq = 4, hkv = 2, sq = 17, skv = 33;
  std::string mask = "none", empty = "zero";
  std::vector<int64_t> bias = {};  // Bias shape (f32); empty for none.
  double keep = 0.7;               // Probability a key_mask entry keeps its key.
  bool misalign = false;           // q one element off 16-byte alignment.
  int64_t resident_blocks = 0;     // PackQueryTiles' device capacity; 0: one tile per block.
};

Tensor Random(DType dtype, std::vector<int64_t> shape, std::mt19937& rng, double keep) {
  auto t = Tensor::Zeros(dtype, std::move(shape));
  KILN_CHECK(t.ok());
  std::uniform_real_distribution<float> real(-2.0f, 2.0f);
  std::bernoulli_distribution bit(keep);
  for (int64_t i = 0; i < t->num_elements(); ++i) {
    if (dtype == DType::kF16) t->data<Half>()[i] = Half(real(rng));
    if (dtype == DType::kBF16) t->data<BFloat16>()[i] = BFloat16(real(rng));
    if (dtype == DType::kF32) t->data<float>()[i] = real(rng);
    if (dtype == DType::kI64) t->data<int64_t>()[i] = bit(rng) ? 1 : 0;
  }
  return *std::move(t);
}

// Relative L2 error of `got` against `want` (runtime/compare.h's measure).
double RelL2(const Tensor& want, const Tensor& got) { return CompareTensors(got, want, 0).error; }

void Append(std::string& out, const void* p, size_t n) {
  out.append(static_cast<const char*>(p), n);
}

// Builds the FusedAttention node of `c` on random inputs, runs the reference and the emulated
// kernel, and compares them.
void RunEmulated(const EmuCase& c, const fs::path& dir, std::mt19937& rng) {
  const std::string label =
      absl::StrCat(DTypeName(c.dtype), c.bsd ? " bsd" : " bhsd", " D", c.head, "/", c.v_head,
                   " H", c.hq, "/", c.hkv, " Sq", c.sq, " Skv", c.skv, " ", c.mask, " ", c.empty,
                   c.keep == 0 ? " all-masked" : "", c.bias.empty() ? "" : " bias",
                   c.misalign ? " misaligned" : "",
                   c.resident_blocks > 0 ? absl::StrCat(" packed for ", c.resident_blocks) : "");
  SCOPED_TRACE(label);
  auto dims = [&](int64_t heads, int64_t seq, int64_t d) {
    return c.bsd ? std::vector<int64_t>{c.batch, seq, heads * d}
                 : std::vector<int64_t>{c.batch, heads, seq, d};
  };
  std::vector<Tensor> t = {Random(c.dtype, dims(c.hq, c.sq, c.head), rng, 0),
                           Random(c.dtype, dims(c.hkv, c.skv, c.head), rng, 0),
                           Random(c.dtype, dims(c.hkv, c.skv, c.v_head), rng, 0)};
  const bool padding = c.mask == "padding" || c.mask == "both";
  Graph g;
  std::vector<Value*> ins;
  std::vector<const Tensor*> ptrs;
  if (padding) {
    t.push_back(Random(DType::kI64, {c.batch, c.skv}, rng, c.keep));
    for (int64_t j = 0; j < c.skv && c.batch > 1; ++j) t[3].data<int64_t>()[c.skv + j] = 0;
  }
  if (!c.bias.empty()) t.push_back(Random(DType::kF32, c.bias, rng, 0));
  for (size_t i = 0; i < t.size(); ++i) {
    if (i == 3 && !padding) {  // An absent key_mask before the bias.
      ins.push_back(nullptr);
      ptrs.push_back(nullptr);
    }
    std::vector<DimExpr> d(t[i].shape().begin(), t[i].shape().end());
    ins.push_back(g.AddInput(absl::StrCat("in", i), {t[i].dtype(), d}));
    ptrs.push_back(&t[i]);
  }
  Attributes a;
  a.Set("num_heads", c.hq);
  a.Set("kv_num_heads", c.hkv);
  a.Set("scale", 0.3f);
  a.Set("mask", c.mask);
  a.Set("layout", std::string(c.bsd ? "bsd" : "bhsd"));
  a.Set("empty_rows", c.empty);
  Node* n = g.AddNode(OpKind::kFusedAttention, ins, 1, a, "attn");
  g.AddOutput(n->output(0));
  ASSERT_TRUE(InferShapes(g).ok());
  reference::KernelContext ctx{*n, ptrs, nullptr};
  reference::KernelResult want = reference::GetKernel(OpKind::kFusedAttention)(ctx);
  ASSERT_TRUE(want.ok()) << want.status();
  auto config = AttentionConfigFor(*n);
  ASSERT_TRUE(config.ok()) << config.status();
  auto kernel = EmitAttentionKernel(*config, "attn");
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  ASSERT_TRUE(kernel->tensor_cores);
  std::vector<std::vector<int64_t>> shapes;
  for (const Tensor& x : t) shapes.push_back(x.shape());
  auto built = cuda::BuildAttentionLaunch(*kernel, c.hq, c.hkv, shapes);
  ASSERT_TRUE(built.ok()) << built.status();
  const cuda::AttentionLaunch packed =
      c.resident_blocks > 0 ? cuda::PackQueryTiles(*kernel, *built, c.resident_blocks) : *built;
  if (c.resident_blocks > 0) {
    EXPECT_GT(packed.words[12], 1) << "the case should pack query tiles";
  }
  const cuda::AttentionLaunch* launch = &packed;

  // Input file: header, q, k, v, [key_mask], [bias count, bias].
  std::string in;
  const int64_t header[16] = {c.batch, c.hq, c.hkv, c.sq, c.skv, c.head, c.v_head,
                              c.misalign ? 1 : 0, launch->words[5], launch->words[6],
                              launch->words[7], launch->words[8], launch->words[9],
                              launch->words[10], launch->words[11], launch->words[12]};
  Append(in, header, sizeof(header));
  for (const Tensor& x : t) {
    if (x.dtype() == DType::kF32) {
      const int64_t count = x.num_elements();
      Append(in, &count, sizeof(count));
    }
    Append(in, x.raw_data(), x.nbytes());
  }
  std::ofstream(dir / "in.bin", std::ios::binary) << in;
  std::ofstream(dir / "kernel.cu") << kernel->source;
  const std::string compile = absl::StrCat(
      "c++ -std=c++20 -O1 -w -pthread -x c++ -DKILN_KERNEL='\"", (dir / "kernel.cu").string(),
      "\"' -DKILN_T=", c.dtype == DType::kBF16 ? "kiln_bf16" : "kiln_half",
      " -DKILN_MASK=", padding ? 1 : 0, " -DKILN_BIAS=", c.bias.empty() ? 0 : 1,
      " -DKILN_ENTRY=", launch->words[12] > 1 ? kernel->tiles_name : kernel->name, " ",
      KILN_SOURCE_DIR, "/codegen/testdata/attention_tc_emulator.inc -o ", (dir / "emu").string(),
      " > ", (dir / "log").string(), " 2>&1");
  ASSERT_EQ(std::system(compile.c_str()), 0) << compile;
  const std::string run = absl::StrCat((dir / "emu").string(), " ", (dir / "in.bin").string(),
                                       " ", (dir / "out.bin").string());
  ASSERT_EQ(std::system(run.c_str()), 0) << run;
  auto got = Tensor::Zeros((*want)[0].dtype(), (*want)[0].shape());
  ASSERT_TRUE(got.ok());
  std::ifstream out(dir / "out.bin", std::ios::binary);
  out.read(static_cast<char*>(got->raw_data()), static_cast<std::streamsize>(got->nbytes()));
  ASSERT_EQ(out.gcount(), static_cast<std::streamsize>(got->nbytes()));
  const double rel = RelL2((*want)[0], *got);
  std::printf("[emulated] %-60s rel L2 %.2e\n", label.c_str(), rel);
  EXPECT_LE(rel, 1e-2);
}

TEST(AttentionTensorCoreEmulationTest, GeneratedKernelMatchesTheReferenceOnTheCpu) {
  if (std::system("c++ --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no host c++";
  const fs::path dir =
      fs::temp_directory_path() / absl::StrCat("kiln_attention_emulation_", getpid());
  fs::create_directories(dir);
  std::mt19937 rng(11);
  const EmuCase cases[] = {
      {.hq = 4, .hkv = 2, .sq = 130, .skv = 130, .mask = "both"},
      {.dtype = DType::kBF16, .bsd = true, .head = 80, .v_head = 80, .hq = 4, .hkv = 1, .sq = 33,
       .skv = 17, .mask = "causal", .empty = "uniform"},
      {.bsd = true, .head = 128, .v_head = 128, .mask = "padding", .empty = "uniform", .keep = 0},
      {.dtype = DType::kBF16, .bias = {2, 4, 17, 33}},
      {.head = 32, .v_head = 64, .sq = 70, .skv = 150, .mask = "both", .empty = "uniform",
       .bias = {4, 1, 150}},
      {.dtype = DType::kBF16, .head = 128, .v_head = 128, .batch = 1, .sq = 1, .skv = 65,
       .mask = "padding", .misalign = true},
      {.bsd = true, .head = 16, .v_head = 16, .hq = 2, .hkv = 2, .sq = 70, .skv = 70,
       .mask = "causal", .misalign = true},
      // Five key tiles through the double-buffered pipeline's two buffers.
      {.batch = 1, .hq = 2, .hkv = 1, .sq = 65, .skv = 300, .mask = "padding"},
      // Several query tiles per block over resident keys: all five tiles in one block, then
      // three and two (the last block's second pass stops at the first tile); causal with
      // fewer key tiles per pass, down to none (rows 0-63 see no key when Sq - Skv = 110).
      {.batch = 1, .hq = 2, .hkv = 1, .sq = 300, .skv = 100, .mask = "padding",
       .resident_blocks = 1},
      {.sq = 300, .skv = 128, .mask = "padding", .resident_blocks = 16},
      {.batch = 1, .hq = 2, .hkv = 2, .sq = 128, .skv = 128, .mask = "causal",
       .resident_blocks = 1},
      {.dtype = DType::kBF16, .bsd = true, .batch = 1, .hq = 2, .hkv = 1, .sq = 150, .skv = 40,
       .mask = "causal", .empty = "uniform", .resident_blocks = 2},
      // Key-less tiles before the block's last (none of them stages or reads a Q), and the
      // element-copy staging of unaligned inputs.
      {.batch = 1, .hq = 2, .hkv = 2, .sq = 300, .skv = 100, .mask = "causal",
       .resident_blocks = 1},
      {.batch = 1, .hq = 2, .hkv = 1, .sq = 200, .skv = 70, .mask = "padding", .misalign = true,
       .resident_blocks = 1},
  };
  for (const EmuCase& c : cases) RunEmulated(c, dir, rng);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace kiln
