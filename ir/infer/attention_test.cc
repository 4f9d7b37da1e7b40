#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

DimExpr S(const char* n) { return DimExpr::Symbol(n); }
TensorType F32(std::vector<DimExpr> dims) { return {DType::kF32, std::move(dims)}; }

// Infers one node with `num_outputs` outputs; absent (null) inputs are given as dtype kUndefined.
absl::StatusOr<std::vector<std::string>> Infer(OpKind op, std::vector<TensorType> inputs,
                                               Attributes attrs, int num_outputs = 1) {
  Graph g;
  std::vector<Value*> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.push_back(inputs[i].dtype == DType::kUndefined
                      ? nullptr
                      : g.AddInput(absl::StrCat("in", i), inputs[i]));
  }
  Node* n = g.AddNode(op, ins, num_outputs, std::move(attrs), "op");
  for (int i = 0; i < num_outputs; ++i) g.AddOutput(n->output(i));
  RETURN_IF_ERROR(InferShapes(g));
  std::vector<std::string> out;
  for (int i = 0; i < num_outputs; ++i) out.push_back(n->output(i)->type().ToString());
  return out;
}

TEST(AttentionInferTest, GroupedQueryHeads4D) {
  auto t = Infer(OpKind::kAttention,
                 {F32({S("b"), 32, S("s"), 128}), F32({S("b"), 8, S("s"), 128}),
                  F32({S("b"), 8, S("s"), 128})},
                 {}, 4);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)[0], "f32[b,32,s,128]");
  EXPECT_EQ((*t)[1], "f32[b,8,s,128]");
  EXPECT_EQ((*t)[3], "f32[b,32,s,s]");
}

TEST(AttentionInferTest, PackedHeadsWithPastGivesTotalLength) {
  Attributes a;
  a.Set("q_num_heads", int64_t{12});
  a.Set("kv_num_heads", int64_t{4});
  TensorType none;
  auto t = Infer(OpKind::kAttention,
                 {F32({S("b"), S("s"), 768}),
                  F32({S("b"), S("s"), 256}),
                  F32({S("b"), S("s"), 320}),
                  {DType::kBool, {S("b"), 1, S("s"), S("t")}},
                  F32({S("b"), 4, S("p"), 64}),
                  F32({S("b"), 4, S("p"), 80})},
                 a, 4);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)[0], "f32[b,s,960]");  // 12 heads x v_head 80.
  EXPECT_EQ((*t)[1], "f32[b,4,p+s,64]");
  EXPECT_EQ((*t)[2], "f32[b,4,p+s,80]");
  EXPECT_EQ((*t)[3], "f32[b,12,s,p+s]");
}

TEST(AttentionInferTest, Errors) {
  Attributes none;
  // 6 query heads do not group over 4 KV heads.
  EXPECT_FALSE(
      Infer(OpKind::kAttention, {F32({1, 6, 3, 8}), F32({1, 4, 3, 8}), F32({1, 4, 3, 8})}, none)
          .ok());
  // Head sizes of Q and K differ.
  EXPECT_FALSE(
      Infer(OpKind::kAttention, {F32({1, 2, 3, 8}), F32({1, 2, 3, 4}), F32({1, 2, 3, 8})}, none)
          .ok());
  // 3-D without head counts; hidden size not divisible by heads.
  EXPECT_FALSE(
      Infer(OpKind::kAttention, {F32({1, 3, 24}), F32({1, 3, 24}), F32({1, 3, 24})}, none).ok());
  Attributes heads;
  heads.Set("q_num_heads", int64_t{5});
  heads.Set("kv_num_heads", int64_t{5});
  EXPECT_FALSE(
      Infer(OpKind::kAttention, {F32({1, 3, 24}), F32({1, 3, 24}), F32({1, 3, 24})}, heads).ok());
  // Mask longer than the total sequence, and a mask dim that does not broadcast.
  EXPECT_FALSE(Infer(OpKind::kAttention,
                     {F32({1, 2, 3, 8}), F32({1, 2, 3, 8}), F32({1, 2, 3, 8}), F32({3, 4})}, none)
                   .ok());
  EXPECT_FALSE(Infer(OpKind::kAttention,
                     {F32({1, 2, 3, 8}), F32({1, 2, 3, 8}), F32({1, 2, 3, 8}), F32({2, 3})}, none)
                   .ok());
  Attributes mode;
  mode.Set("qk_matmul_output_mode", int64_t{4});
  EXPECT_FALSE(
      Infer(OpKind::kAttention, {F32({1, 2, 3, 8}), F32({1, 2, 3, 8}), F32({1, 2, 3, 8})}, mode)
          .ok());
  // Mixed Q and K/V dtypes are legal ONNX that Kiln does not support.
  auto mixed =
      Infer(OpKind::kAttention,
            {F32({1, 2, 3, 8}), {DType::kF16, {1, 2, 3, 8}}, {DType::kF16, {1, 2, 3, 8}}}, none);
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(RotaryInferTest, PositionIdsAndPartialRotation) {
  Attributes a;
  a.Set("rotary_embedding_dim", int64_t{32});
  auto t = Infer(OpKind::kRotaryEmbedding,
                 {F32({S("b"), 8, S("s"), 64}),
                  F32({4096, 16}),
                  F32({4096, 16}),
                  {DType::kI64, {S("b"), S("s")}}},
                 a);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)[0], "f32[b,8,s,64]");
}

TEST(RotaryInferTest, PackedInputWithoutPositionIds) {
  Attributes a;
  a.Set("num_heads", int64_t{4});
  auto t =
      Infer(OpKind::kRotaryEmbedding,
            {F32({S("b"), S("s"), 32}), F32({S("b2"), S("s2"), 4}), F32({S("b2"), S("s2"), 4})}, a);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)[0], "f32[b,s,32]");
}

TEST(RotaryInferTest, Errors) {
  Attributes none;
  // Cache last dim must be head/2 = 4.
  EXPECT_FALSE(Infer(OpKind::kRotaryEmbedding,
                     {F32({1, 2, 3, 8}), F32({10, 3}), F32({10, 3}), {DType::kI64, {1, 3}}}, none)
                   .ok());
  // 3-D input without num_heads.
  EXPECT_FALSE(
      Infer(OpKind::kRotaryEmbedding, {F32({1, 3, 8}), F32({1, 3, 4}), F32({1, 3, 4})}, none).ok());
  Attributes odd;
  odd.Set("rotary_embedding_dim", int64_t{3});
  EXPECT_FALSE(Infer(OpKind::kRotaryEmbedding,
                     {F32({1, 2, 3, 8}), F32({10, 1}), F32({10, 1}), {DType::kI64, {1, 3}}}, odd)
                   .ok());
  Attributes wide;
  wide.Set("rotary_embedding_dim", int64_t{16});
  EXPECT_FALSE(Infer(OpKind::kRotaryEmbedding,
                     {F32({1, 2, 3, 8}), F32({10, 8}), F32({10, 8}), {DType::kI64, {1, 3}}}, wide)
                   .ok());
}

}  // namespace
}  // namespace kiln
