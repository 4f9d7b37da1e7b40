// Hostile dims and tensor data: negative, absurd and overflowing dims in graph inputs and
// initializers, data that disagrees with the dims. Every case is a clear error, and no size
// is allocated before the bytes behind it have been checked.
#include <cstdint>
#include <string>

#include "frontend/onnx_import.h"
#include "frontend/onnx_test_util.h"
#include "frontend/tensor_proto.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

using namespace frontend::testing_util;  // NOLINT(build/namespaces): test helpers.
using Code = absl::StatusCode;

constexpr int64_t k2Pow40 = int64_t{1} << 40;

// Imports `m` from memory (display name "m.onnx").
absl::StatusOr<std::unique_ptr<Graph>> Import(const onnx::ModelProto& m) {
  return ImportOnnxBytes(m.SerializeAsString(), "", "m.onnx");
}

void ExpectImportError(const onnx::ModelProto& m, Code code,
                       std::initializer_list<std::string> parts) {
  auto g = Import(m);
  ASSERT_FALSE(g.ok());
  ExpectError(g.status(), code, parts);
  EXPECT_TRUE(absl::StartsWith(g.status().message(), "m.onnx: ")) << g.status();
}

// A model with initializer `w` (returned for filling in) and output Identity(w).
onnx::ModelProto WithInitializer(int data_type, const std::vector<int64_t>& dims,
                                 onnx::TensorProto** w) {
  onnx::ModelProto m = NewModel();
  *w = AddInitializer(m, "w", data_type, dims);
  AddNode(m, "Identity", {"w"}, {"y"}, "id");
  AddOutput(m, "y");
  return m;
}

// The constant tensor that initializer `name` became.
const Tensor* FindInitializer(const Graph& g, const std::string& name) {
  for (Node* n : g.nodes()) {
    if (n->op() == OpKind::kConstant && n->output(0)->name() == name) {
      return n->attrs().FindAs<Tensor>("value");
    }
  }
  return nullptr;
}

// Imports `m`, which declares a 512 MiB initializer backed by a few bytes, and expects an
// error without the process's peak memory growing by anything near the declared size.
void ExpectRejectedWithoutAllocating(const onnx::ModelProto& m,
                                     std::initializer_list<std::string> parts) {
  const std::string bytes = m.SerializeAsString();
  const int64_t before = PeakRssBytes(/*reset=*/true);
  auto g = ImportOnnxBytes(bytes, "", "m.onnx");
  const int64_t grew = PeakRssBytes() - before;
  ASSERT_GE(before, 0) << "cannot measure peak memory";
  ASSERT_FALSE(g.ok());
  ExpectError(g.status(), Code::kInvalidArgument, parts);
  EXPECT_LT(grew, int64_t{64} << 20) << "import allocated for the declared size";
}

TEST(BadDims, GraphInputNegativeDim) {
  onnx::ModelProto m = ReluModel();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()
      ->mutable_dim(1)->set_dim_value(-3);
  ExpectImportError(m, Code::kInvalidArgument, {"graph input 'x'", "negative dimension -3"});
}

TEST(BadDims, GraphInputElementCountOverflows) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {k2Pow40, k2Pow40});
  AddNode(m, "Relu", {"x"}, {"y"}, "relu");
  AddOutput(m, "y");
  ExpectImportError(m, Code::kInvalidArgument, {"graph input 'x'", "overflows"});
}

TEST(BadDims, GraphInputByteSizeOverflows) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {int64_t{1} << 62});
  AddOutput(m, "x");
  ExpectImportError(m, Code::kInvalidArgument, {"graph input 'x'", "f32["});
}

TEST(BadDims, GraphInputLargerThanTensorLimit) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {-1, int64_t{1} << 35});  // n * 128 GiB.
  AddNode(m, "Relu", {"x"}, {"y"}, "relu");
  AddOutput(m, "y");
  ExpectImportError(m, Code::kInvalidArgument,
                    {"graph input 'x'", absl::StrCat(kMaxTensorBytes)});
}

TEST(BadDims, LargeButPlausibleGraphInputImports) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {-1, 1 << 20, 1024});  // n * 4 GiB: never allocated at import.
  AddNode(m, "Relu", {"x"}, {"y"}, "relu");
  AddOutput(m, "y");
  auto g = Import(m);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f32[n,1048576,1024]");
}

TEST(BadDims, InitializerNegativeDim) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {2, -1}, &w);
  w->set_raw_data("");
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "negative dimension -1"});
}

TEST(BadDims, InitializerElementCountOverflows) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {k2Pow40, k2Pow40}, &w);
  w->set_raw_data(std::string(4, '\0'));
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "overflows"});
}

TEST(BadDims, InitializerByteSizeOverflows) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::DOUBLE, {int64_t{1} << 61}, &w);
  w->set_raw_data(std::string(8, '\0'));
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "f64["});
}

TEST(BadDims, InitializerAbsurdDimsTinyRawData) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {k2Pow40}, &w);
  w->set_raw_data(std::string(4, '\0'));
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "raw_data has 4 bytes"});
}

TEST(BadDims, HugeDeclaredRawTensorIsNotAllocated) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {int64_t{1} << 27}, &w);  // 512 MiB.
  w->set_raw_data(std::string(4, '\0'));
  ExpectRejectedWithoutAllocating(m, {"tensor 'w'", "raw_data has 4 bytes"});
}

TEST(BadDims, HugeDeclaredTypedTensorIsNotAllocated) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::INT64, {int64_t{1} << 26}, &w);  // 512 MiB.
  w->add_int64_data(7);
  ExpectRejectedWithoutAllocating(m, {"tensor 'w'", "has 1 values"});
}

TEST(BadData, RawDataShorterThanDims) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {2, 2}, &w);
  w->set_raw_data(std::string(12, '\0'));
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "12 bytes", "f32[2,2]", "16"});
}

TEST(BadData, RawDataLongerThanDims) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {2, 2}, &w);
  w->set_raw_data(std::string(20, '\0'));
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "20 bytes", "16"});
}

TEST(BadData, TypedDataTooFew) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {2, 2}, &w);
  for (float v : {1.f, 2.f, 3.f}) w->add_float_data(v);
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "has 3 values", "needs 4"});
}

TEST(BadData, TypedDataTooMany) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::INT32, {2}, &w);
  for (int v : {1, 2, 3}) w->add_int32_data(v);
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "has 3 values", "needs 2"});
}

TEST(BadData, Int32DataOutOfRangeForInt8) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::INT8, {2}, &w);
  w->add_int32_data(5);
  w->add_int32_data(300);
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "300", "i8"});
}

TEST(BadData, Uint64DataOutOfRangeForUint32) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::UINT32, {1}, &w);
  w->add_uint64_data(uint64_t{1} << 33);
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "8589934592", "u32"});
}

TEST(BadData, Float16BitsOutOfRange) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT16, {1}, &w);
  w->add_int32_data(70000);
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "70000", "f16"});
}

TEST(BadData, UndefinedAndUnsupportedDTypes) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::UNDEFINED, {1}, &w);
  ExpectImportError(m, Code::kInvalidArgument, {"tensor 'w'", "UNDEFINED"});
  w->set_data_type(TP::STRING);
  w->add_string_data("hi");
  ExpectImportError(m, Code::kUnimplemented, {"tensor 'w'", "STRING"});
  w->set_data_type(12345);
  ExpectImportError(m, Code::kUnimplemented, {"tensor 'w'", "12345"});
}

TEST(BadData, InitializerWithoutName) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {1}, &w);
  w->clear_name();
  ExpectImportError(m, Code::kInvalidArgument, {"initializer has no name"});
}

TEST(BadData, ConstantNodeWithBadTensor) {
  onnx::ModelProto m = NewModel();
  onnx::NodeProto* n = AddNode(m, "Constant", {}, {"c"}, "const");
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(TP::FLOAT);
  a->mutable_t()->add_dims(int64_t{1} << 27);
  a->mutable_t()->set_raw_data("abcd");
  AddOutput(m, "c");
  ExpectImportError(m, Code::kInvalidArgument, {"node 'const' (Constant)", "raw_data has 4"});
}

// Converts `t` directly (initializers become Constant nodes, checked above only for errors).
Tensor Convert(const onnx::TensorProto& t) {
  auto r = frontend::TensorFromProto(t, "");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : Tensor();
}

TEST(GoodData, TypedAndRawValuesLoad) {
  onnx::ModelProto m = NewModel();
  onnx::TensorProto* f = AddInitializer(m, "f", TP::FLOAT, {2});
  f->add_float_data(1.5f);
  f->add_float_data(-2.f);
  EXPECT_EQ(Convert(*f).GetAsDouble(1), -2.0);
  onnx::TensorProto* i8 = AddInitializer(m, "i8", TP::INT8, {2});
  i8->add_int32_data(-128);
  i8->add_int32_data(127);
  Tensor ti8 = Convert(*i8);
  EXPECT_EQ(ti8.TypeString(), "i8[2]");
  EXPECT_EQ(ti8.GetAsInt(0), -128);
  EXPECT_EQ(ti8.GetAsInt(1), 127);
  onnx::TensorProto* u32 = AddInitializer(m, "u32", TP::UINT32, {1});
  u32->add_uint64_data(4000000000u);
  EXPECT_EQ(Convert(*u32).GetAsInt(0), 4000000000);
  onnx::TensorProto* h = AddInitializer(m, "h", TP::FLOAT16, {2});
  h->add_int32_data(0x3C00);  // 1.0 as uint16 bits.
  h->add_int32_data(-16384);  // 0xC000 = -2.0 as int16 bits.
  Tensor th = Convert(*h);
  EXPECT_EQ(th.GetAsDouble(0), 1.0);
  EXPECT_EQ(th.GetAsDouble(1), -2.0);
  onnx::TensorProto* r = AddInitializer(m, "r", TP::INT64, {2});
  r->set_raw_data(RawBytes<int64_t>({-7, int64_t{1} << 40}));
  EXPECT_EQ(Convert(*r).GetAsInt(1), int64_t{1} << 40);
  onnx::TensorProto* e = AddInitializer(m, "e", TP::FLOAT, {0, int64_t{1} << 40});
  EXPECT_EQ(Convert(*e).num_elements(), 0);
}

TEST(GoodData, BoolBytesAreNormalized) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::BOOL, {3}, &w);
  w->set_raw_data(std::string("\0\1\7", 3));
  Tensor t = Convert(*w);
  ASSERT_EQ(t.num_elements(), 3);
  const auto* bytes = static_cast<const uint8_t*>(t.raw_data());
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 1);  // Any nonzero byte is true; a bool holding 7 would be UB.
  w->clear_raw_data();
  for (int v : {0, 5, -1}) w->add_int32_data(v);
  t = Convert(*w);
  ASSERT_EQ(t.num_elements(), 3);
  bytes = static_cast<const uint8_t*>(t.raw_data());
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 1);
}

TEST(GoodData, ModelWithInitializerImports) {
  onnx::TensorProto* w;
  onnx::ModelProto m = WithInitializer(TP::FLOAT, {2}, &w);
  w->set_raw_data(RawBytes<float>({1.f, 2.f}));
  auto g = Import(m);
  KILN_SKIP_IF_NO_CONSTANT_INFERENCE(g.status());
  ASSERT_TRUE(g.ok()) << g.status();
  const Tensor* t = FindInitializer(**g, "w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->GetAsDouble(1), 2.0);
}

}  // namespace
}  // namespace kiln
