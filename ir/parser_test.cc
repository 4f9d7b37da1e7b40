#include "ir/parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parse_literals.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;

// Parses `text` and expects it to print back exactly.
void ExpectRoundTrip(const std::string& text, const ParseOptions& options = {}) {
  auto g = ParseGraph(text, options);
  ASSERT_TRUE(g.ok()) << g.status() << "\n" << text;
  EXPECT_EQ(PrintGraph(**g), text);
}

TEST(ParserTest, RoundTripsElementwiseGraph) {
  ExpectRoundTrip(
      "graph main(%x: f32[batch,seq,64], %y: f32[seq,64], %m: bool[batch,seq,64]) {\n"
      "  assume seq <= 512\n"
      "  %a: f32[batch,seq,64] = Add(%x, %y)\n"
      "  %r: f32[batch,seq,64] = Relu(%a) @relu_0\n"
      "  %w: f32[batch,seq,64] = Where(%m, %r, %x)\n"
      "  %e: bool[batch,seq,64] = Equal(%w, %a)\n"
      "  return %w, %e\n"
      "}\n");
}

TEST(ParserTest, RoundTripsSymbolicDimsAndConstraints) {
  ExpectRoundTrip(
      "graph g(%k: f32[batch*seq,8], %p: f16[past+seq,4], %q: i64[min(512,seq)], "
      "%d: i32[div(n,2),mod(n+1,3),seq-1,2*seq+3], %s: f32[]) {\n"
      "  assume past+seq <= 4096\n"
      "  assume a*b == c*d\n"
      "  assume min(512,seq) <= 512\n"
      "  %k2: f32[batch*seq,8] = Mul(%k, %k)\n"
      "  %p2: f16[past+seq,4] = Neg(%p)\n"
      "  %q2: i64[min(512,seq)] = Sub(%q, %q)\n"
      "  %d2: i32[div(n,2),mod(n+1,3),seq-1,2*seq+3] = Abs(%d)\n"
      "  %s2: f32[batch*seq,8] = Add(%s, %k2)\n"
      "  return %k2, %p2, %q2, %d2, %s2\n"
      "}\n");
}

TEST(ParserTest, AcceptsAnySpacingAndComments) {
  auto g = ParseGraph(
      "// a comment\n"
      "graph main ( %x : f32[ batch , 2 * seq ] ) {   // trailing\n"
      "  %y:f32[batch,2*seq]=Relu(%x)\n"
      "  return %y }");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(PrintGraph(**g),
            "graph main(%x: f32[batch,2*seq]) {\n"
            "  %y: f32[batch,2*seq] = Relu(%x)\n"
            "  return %y\n"
            "}\n");
}

TEST(ParserTest, RoundTripsOddAndQuotedNames) {
  ExpectRoundTrip(
      "graph \"my graph/1\"(%\"in:0\": f32[2], %0: f32[2], %\"q\\\"uote\\\\\": f32[2]) {\n"
      "  %1.weight: f32[2] = Add(%\"in:0\", %0) @\"node/with space\"\n"
      "  %\"tab\\there\\001\": f32[2] = Relu(%1.weight) @\"\"\n"
      "  %\"\\303\\251t\\303\\251\": f32[2] = Sigmoid(%\"q\\\"uote\\\\\")\n"
      "  %none: f32[2] = Identity(%\"tab\\there\\001\") @return\n"
      "  return %none, %\"\\303\\251t\\303\\251\"\n"
      "}\n");
  auto g = ParseGraph("graph main(%\"a b\": f32[1]) {\n  return %\"a b\"\n}\n");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->inputs()[0]->name(), "a b");
}

TEST(ParserTest, RoundTripsAbsentInputs) {
  ExpectRoundTrip(
      "graph main(%x: f32[4], %hi: f32[]) {\n"
      "  %c: f32[4] = Clip(%x, none, %hi)\n"
      "  %d: f32[4] = Clip(%c, none, none)\n"
      "  return %d\n"
      "}\n");
}

TEST(ParserTest, RoundTripsIntAndStringAttributesWithInference) {
  ExpectRoundTrip(
      "graph main(%x: f32[b,8], %i: i64[b,8]) {\n"
      "  %s: f32[b,8] = Softmax(%x) {axis=-1}\n"
      "  %g: f32[b,8] = Gelu(%s) {approximate=\"tanh\"}\n"
      "  %h: f16[b,8] = Cast(%g) {saturate=0, to=\"f16\"}\n"
      "  %t: i64[b,8] = Trilu(%i) {upper=0}\n"
      "  return %h, %t\n"
      "}\n");
}

TEST(ParserTest, RoundTripsEveryAttributeKindWithoutInference) {
  // These ops' shape inference lives on other branches, so the printed types are trusted.
  ParseOptions trust;
  trust.infer_shapes = false;
  ExpectRoundTrip(
      "graph main(%a: f32[m,k], %b: f32[n,k], %x: f32[4,6]) {\n"
      "  %y: f32[m,n] = Gemm(%a, %b, none) {alpha=0.5, beta=1.0, transB=1}\n"
      "  %t: f32[6,4] = Transpose(%x) {perm=[1, 0]}\n"
      "  %e: f32[] = Transpose(%y) {perm=[]}\n"
      "  %p: f32[2,6], %q: f32[2,6] = Split(%x) {axis=0, num_outputs=2} @split_0\n"
      "  %z: f32[4,6] = ConstantOfShape(%x) {value=tensor<f32[1]> [-inf]}\n"
      "  %n: f32[m,k] = LayerNormalization(%a, %x) {epsilon=9.99999975e-06}\n"
      "  return %y, %t, %p, %q\n"
      "}\n",
      trust);
}

TEST(ParserTest, RoundTripsConstantsOfEveryDType) {
  Graph g("consts");
  g.AddConstant(Tensor::FromVector<float>({1.5f, -0.0f, 3.0e-20f, 1e30f}, {2, 2}), "f");
  g.AddConstant(Tensor::FromVector<double>({0.1, 1.0 / 3.0}, {2}), "d");
  g.AddConstant(Tensor::FromVector<Half>({Half(0.1f), Half(-65504.0f)}, {2}), "h");
  g.AddConstant(Tensor::FromVector<BFloat16>({BFloat16(3.14f)}, {}), "bf");
  g.AddConstant(Tensor::FromVector<int8_t>({-128, 127}, {2}), "i8");
  g.AddConstant(Tensor::FromVector<uint64_t>({0, ~uint64_t{0}}, {2}), "u64");
  g.AddConstant(Tensor::FromVector<bool>({true, false, true}, {3}), "b");
  g.AddConstant(*Tensor::Zeros(DType::kI64, {0, 3}), "empty");
  std::vector<float> big(64 * 3);
  for (size_t i = 0; i < big.size(); ++i) big[i] = 0.25f * i - 7.0f;
  g.AddConstant(Tensor::FromVector<float>(big, {64, 3}), "big");
  std::vector<bool> bits(20);
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = i % 3 == 0;
  g.AddConstant(Tensor::FromVector<bool>(bits, {20}), "bits");
  for (Node* n : g.nodes()) {
    const Tensor& t = *n->attrs().FindAs<Tensor>("value");
    std::vector<DimExpr> dims(t.shape().begin(), t.shape().end());
    n->output(0)->set_type(TensorType{t.dtype(), dims});
  }
  g.AddOutput(g.FindValue("big"));
  std::string text = PrintGraph(g);
  EXPECT_THAT(text, HasSubstr("%big: f32[64,3] = Constant() {value=tensor<f32[64,3]> 0x0000e0c0"));
  EXPECT_THAT(text, HasSubstr("tensor<u64[2]> [0, -1]"));
  ParseOptions trust;
  trust.infer_shapes = false;
  ExpectRoundTrip(text, trust);
  auto parsed = ParseGraph(text, trust);
  ASSERT_TRUE(parsed.ok());
  const Tensor& big_t = *(*parsed)->FindValue("big")->producer()->attrs().FindAs<Tensor>("value");
  EXPECT_EQ(big_t.values<float>()[5], 0.25f * 5 - 7.0f);
  const Tensor& u = *(*parsed)->FindValue("u64")->producer()->attrs().FindAs<Tensor>("value");
  EXPECT_EQ(u.values<uint64_t>()[1], ~uint64_t{0});
}

TEST(ParserTest, AttrValuesOfEveryKindRoundTrip) {
  std::vector<std::pair<AttrKind, std::string>> cases = {
      {AttrKind::kInt, "-9223372036854775808"},
      {AttrKind::kFloat, "nan"},
      {AttrKind::kFloat, "-inf"},
      {AttrKind::kFloat, "1.00000001e-07"},
      {AttrKind::kString, "\"a\\\"b\\n\\\\\""},
      {AttrKind::kInts, "[]"},
      {AttrKind::kInts, "[3, -1, 0]"},
      {AttrKind::kFloats, "[0.5, inf, 3.0]"},
      {AttrKind::kStrings, "[\"x\", \"\", \"y,z\"]"},
      {AttrKind::kDims, "dims[batch,min(512,seq),past+seq,4]"},
      {AttrKind::kDims, "dims[]"},
      {AttrKind::kTensor, "tensor<i32[2,2]> [1, -2, 3, 2147483647]"},
      {AttrKind::kTensor, "tensor<f64[]> [0.10000000000000001]"},
  };
  for (const auto& [kind, text] : cases) {
    TextCursor c(text);
    auto v = ParseAttrValue(c, kind, "attr");
    ASSERT_TRUE(v.ok()) << text << ": " << v.status();
    EXPECT_EQ(KindOf(*v), kind);
    EXPECT_TRUE(c.AtEnd()) << text;
    EXPECT_EQ(PrintAttrValue(*v), text);
  }
}

TEST(ParserTest, RoundTripsNodeBodies) {
  auto g = std::make_unique<Graph>("main");
  Value* x = g->AddInput("x", TensorType{DType::kF32, {DimExpr::Symbol("n")}});
  Node* outer = g->AddNode(OpKind::kRelu, {x}, 1, {}, "fused_0");
  auto body = std::make_unique<Graph>("fused_0_body");
  Value* bx = body->AddInput("p0", x->type());
  Node* b1 = body->AddNode(OpKind::kExp, {bx}, 1, {}, "e");
  Node* b2 = body->AddNode(OpKind::kAdd, {b1->output(0), bx}, 1, {}, "s");
  body->AddOutput(b2->output(0));
  ASSERT_TRUE(InferShapes(*body).ok());
  outer->set_body(std::move(body));
  g->AddOutput(outer->output(0));
  ASSERT_TRUE(InferShapes(*g).ok());
  std::string text = PrintGraph(*g);
  EXPECT_EQ(text,
            "graph main(%x: f32[n]) {\n"
            "  %fused_0: f32[n] = Relu(%x) body\n"
            "    graph fused_0_body(%p0: f32[n]) {\n"
            "      %e: f32[n] = Exp(%p0)\n"
            "      %s: f32[n] = Add(%e, %p0)\n"
            "      return %s\n"
            "    }\n"
            "  return %fused_0\n"
            "}\n");
  ExpectRoundTrip(text);
  // Body values live in their own scope: the same name may appear outside and inside.
  ExpectRoundTrip(
      "graph main(%x: f32[n]) {\n"
      "  %y: f32[n] = Relu(%x) body\n"
      "    graph b(%x: f32[n]) {\n"
      "      %y: f32[n] = Exp(%x)\n"
      "      return %y\n"
      "    }\n"
      "  return %y\n"
      "}\n");
}

TEST(ParserTest, OutputsMayTakeEachOthersDefaultNames) {
  ParseOptions trust;
  trust.infer_shapes = false;
  // AddNode names the outputs of node `n` n_0 and n_1 before they are renamed.
  ExpectRoundTrip(
      "graph main(%x: f32[4]) {\n"
      "  %n_1: f32[2], %n_0: f32[2] = Split(%x) {num_outputs=2} @n\n"
      "  return %n_0, %n_1\n"
      "}\n",
      trust);
}

TEST(ParserTest, ParsedGraphVerifies) {
  auto g = ParseGraph(
      "graph main(%a: i64[2], %b: i64[2]) {\n"
      "  %c: i64[2] = Add(%a, %b)\n"
      "  return %c\n"
      "}\n");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_TRUE(VerifyGraph(**g).ok());
  EXPECT_EQ((*g)->FindValue("c")->type().ToString(), "i64[2]");
}


TEST(ParserTest, ExternalTensorsRoundTripThroughATable) {
  const std::string text =
      "graph main(%x: f32[2,20]) {\n"
      "  %w: f32[2,20] = Constant() {value=tensor<f32[2,20]> [" +
      [] {
        std::string v;
        for (int i = 0; i < 40; ++i) v += (i ? ", " : "") + std::to_string(i);
        return v;
      }() +
      "]}\n"
      "  %s: f32[2] = Constant() {value=tensor<f32[2]> [1, 2]}\n"
      "  %y: f32[2,20] = Add(%x, %w)\n"
      "  return %y\n"
      "}\n";
  auto g = ParseGraph(text);
  ASSERT_TRUE(g.ok()) << g.status();
  std::vector<const Tensor*> table;
  PrintOptions print;
  print.external_tensors = &table;
  std::string external_text = PrintGraph(**g, print);
  ASSERT_EQ(table.size(), 1u);  // The 2-element constant stays inline.
  EXPECT_THAT(external_text, HasSubstr("tensor<f32[2,20]> external(0)"));
  std::vector<Tensor> tensors = {*table[0]};
  ParseOptions parse;
  parse.external_tensors = &tensors;
  auto back = ParseGraph(external_text, parse);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(PrintGraph(**back), PrintGraph(**g));

  // Without the table, an out-of-range index, or a tensor of another type: clear errors.
  EXPECT_THAT(ParseGraph(external_text).status().message(), HasSubstr("no external tensor"));
  std::vector<Tensor> wrong = {Tensor::FromVector<float>({1, 2}, {2})};
  parse.external_tensors = &wrong;
  EXPECT_THAT(ParseGraph(external_text, parse).status().message(),
              HasSubstr("external tensor 0 is f32[2], the literal says f32[2,20]"));
}

}  // namespace
}  // namespace kiln
