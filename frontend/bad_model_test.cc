// Hostile or broken model files: unreadable bytes, broken graph structure, type errors and
// unsupported opsets/domains/ops must all give a clear error naming the file and the culprit.
#include <sys/stat.h>

#include <chrono>
#include <random>
#include <string>

#include "frontend/onnx_import.h"
#include "frontend/onnx_test_util.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

using namespace frontend::testing_util;  // NOLINT(build/namespaces): test helpers.
using Code = absl::StatusCode;

// Writes `m` as `<fresh dir>/model.onnx` and imports it; `path` receives the file's path.
absl::StatusOr<std::unique_ptr<Graph>> ImportModel(const onnx::ModelProto& m,
                                                   std::string* path = nullptr) {
  std::string p = NewTempDir("bad") + "/model.onnx";
  WriteFile(p, m.SerializeAsString());
  if (path) *path = p;
  return ImportOnnxFile(p);
}

// Imports `m` and expects an error with `code` naming the model file and every one of `parts`.
void ExpectImportError(const onnx::ModelProto& m, Code code,
                       std::initializer_list<std::string> parts) {
  std::string path;
  auto g = ImportModel(m, &path);
  ASSERT_FALSE(g.ok());
  ExpectError(g.status(), code, parts);
  EXPECT_TRUE(absl::StartsWith(g.status().message(), path + ": ")) << g.status();
}

TEST(BadModelFile, ValidBaseModelImports) {
  auto g = ImportModel(ReluModel());
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f32[2,3]");
}

TEST(BadModelFile, EveryTruncationIsAnError) {
  const std::string bytes = ReluModel().SerializeAsString();
  const std::string path = NewTempDir("bad") + "/model.onnx";
  for (size_t n = 0; n < bytes.size(); ++n) {
    WriteFile(path, bytes.substr(0, n));
    auto g = ImportOnnxFile(path);
    ASSERT_FALSE(g.ok()) << "prefix of " << n << " bytes imported";
    EXPECT_TRUE(absl::StartsWith(g.status().message(), path + ": ")) << g.status();
  }
  WriteFile(path, bytes.substr(0, bytes.size() / 2));
  ExpectError(ImportOnnxFile(path).status(), Code::kInvalidArgument,
              {"not a valid ONNX model"});
}

TEST(BadModelFile, RandomBytes) {
  const std::string path = NewTempDir("bad") + "/model.onnx";
  for (int seed = 0; seed < 20; ++seed) {
    std::mt19937 rng(seed);
    std::string bytes(1 + rng() % 4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    WriteFile(path, bytes);
    auto g = ImportOnnxFile(path);
    ASSERT_FALSE(g.ok()) << "seed " << seed;
    EXPECT_TRUE(absl::StartsWith(g.status().message(), path + ": ")) << g.status();
  }
}

TEST(BadModelFile, EmptyFile) {
  const std::string path = NewTempDir("bad") + "/empty.onnx";
  WriteFile(path, "");
  ExpectError(ImportOnnxFile(path).status(), Code::kInvalidArgument, {path, "empty"});
  ExpectError(ImportOnnxBytes("", "", "mem.onnx").status(), Code::kInvalidArgument,
              {"mem.onnx", "empty"});
}

TEST(BadModelFile, DirectoryInsteadOfFile) {
  const std::string dir = NewTempDir("bad");
  ExpectError(ImportOnnxFile(dir).status(), Code::kInvalidArgument, {dir, "not a file"});
}

TEST(BadModelFile, MissingFile) {
  const std::string path = NewTempDir("bad") + "/nope.onnx";
  ExpectError(ImportOnnxFile(path).status(), Code::kNotFound, {path, "not found"});
}

TEST(BadModelFile, FifoIsNotReadAsAModel) {
  const std::string path = NewTempDir("bad") + "/pipe.onnx";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  ExpectError(ImportOnnxFile(path).status(), Code::kInvalidArgument, {path, "not a file"});
}

TEST(BadModelFile, NoGraph) {
  onnx::ModelProto m = NewModel();
  m.clear_graph();
  ExpectImportError(m, Code::kInvalidArgument, {"no graph"});
}

TEST(BadGraph, InputNobodyProduces) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {2});
  AddNode(m, "Add", {"x", "w"}, {"y"}, "add");
  AddOutput(m, "y");
  ExpectImportError(m, Code::kInvalidArgument, {"node 'add' (Add)", "input 'w'", "initializer"});
}

TEST(BadGraph, ValueProducedTwice) {
  onnx::ModelProto m = ReluModel();
  AddNode(m, "Identity", {"x"}, {"y"}, "second");
  ExpectImportError(m, Code::kInvalidArgument,
                    {"value 'y' is produced twice", "node 'second' (Identity)"});
}

TEST(BadGraph, NodeOverwritesInitializer) {
  onnx::ModelProto m = ReluModel();
  AddInitializer(m, "y", TP::FLOAT, {1})->add_float_data(1.0f);
  ExpectImportError(m, Code::kInvalidArgument, {"value 'y' is produced twice", "'relu'"});
}

TEST(BadGraph, NodeOverwritesGraphInput) {
  onnx::ModelProto m = ReluModel();
  AddNode(m, "Identity", {"y"}, {"x"}, "back");
  ExpectImportError(m, Code::kInvalidArgument, {"value 'x' is produced twice", "'back'"});
}

TEST(BadGraph, GraphInputListedTwice) {
  onnx::ModelProto m = ReluModel();
  AddInput(m, "x", TP::FLOAT, {2, 3});
  ExpectImportError(m, Code::kInvalidArgument, {"'x'", "twice"});
}

TEST(BadGraph, TwoNodesFeedingEachOther) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {2});
  AddNode(m, "Add", {"x", "b"}, {"a"}, "first");
  AddNode(m, "Relu", {"a"}, {"b"}, "second");
  AddOutput(m, "b");
  ExpectImportError(m, Code::kInvalidArgument, {"cycle", "node 'first' (Add)"});
}

TEST(BadGraph, NodeFeedingItself) {
  onnx::ModelProto m = NewModel();
  AddNode(m, "Relu", {"a"}, {"a"}, "loop");
  AddOutput(m, "a");
  ExpectImportError(m, Code::kInvalidArgument, {"cycle", "node 'loop' (Relu)"});
}

TEST(BadGraph, OutputNeverProduced) {
  onnx::ModelProto m = ReluModel();
  AddOutput(m, "z");
  ExpectImportError(m, Code::kInvalidArgument, {"graph output 'z' is never produced"});
}

TEST(BadGraph, NoOutputs) {
  onnx::ModelProto m = ReluModel();
  m.mutable_graph()->clear_output();
  ExpectImportError(m, Code::kInvalidArgument, {"no outputs"});
}

TEST(BadGraph, WrongInputCount) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {2});
  AddNode(m, "Relu", {"x", "x"}, {"y"}, "relu2");
  AddOutput(m, "y");
  ExpectImportError(m, Code::kInvalidArgument, {"node 'relu2' (Relu)", "2 inputs"});
}

TEST(BadGraph, UnnamedDimDoesNotAliasADimParam) {
  // x's unnamed dim gets a generated symbol; a dim_param spelled like it must not share it,
  // or two independent sizes would be treated as equal.
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {1})->mutable_type()->mutable_tensor_type()->mutable_shape()
      ->mutable_dim(0)->clear_dim_value();
  AddInput(m, "y", TP::FLOAT, {1})->mutable_type()->mutable_tensor_type()->mutable_shape()
      ->mutable_dim(0)->set_dim_param("x_d0");
  AddOutput(m, "x");
  AddOutput(m, "y");
  auto g = ImportModel(m);
  ASSERT_TRUE(g.ok()) << g.status();
  const TensorType& x = (*g)->inputs()[0]->type();
  const TensorType& y = (*g)->inputs()[1]->type();
  ASSERT_EQ(x.rank(), 1);
  ASSERT_EQ(y.rank(), 1);
  EXPECT_FALSE(x.dims[0].as_const());
  EXPECT_NE(x.ToString(), y.ToString());
}

TEST(BadGraph, ManyDimParamsThatSanitizeAlikeImportQuickly) {
  // "a!#$%", "a!#$&", ... all become "a____" as identifiers; the namer must not probe
  // suffixes _2, _3, ... from scratch for each (quadratic: ~15 s here for 20000 dims).
  const std::string punct = "!#$%&()*+,-.:;<=>?@[]^{|}~";
  onnx::ModelProto m = NewModel();
  auto* shape = AddInput(m, "x", TP::FLOAT, {})->mutable_type()->mutable_tensor_type()
                    ->mutable_shape();
  const int kDims = 20000;
  for (int i = 0; i < kDims; ++i) {
    std::string name = "a";
    for (int k = i, j = 0; j < 4; ++j, k /= punct.size()) name += punct[k % punct.size()];
    shape->add_dim()->set_dim_param(name);
  }
  AddOutput(m, "x");
  const auto start = std::chrono::steady_clock::now();
  auto g = ImportModel(m);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(g.ok()) << g.status();
  const TensorType& x = (*g)->inputs()[0]->type();
  ASSERT_EQ(x.rank(), kDims);
  EXPECT_NE(x.dims[0], x.dims[kDims - 1]);
  EXPECT_LT(seconds, 3.0) << "symbol naming is quadratic";
}

TEST(BadTypes, AddOfF32AndI64) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "a", TP::FLOAT, {2});
  AddInput(m, "b", TP::INT64, {2});
  AddNode(m, "Add", {"a", "b"}, {"y"}, "add");
  AddOutput(m, "y");
  ExpectImportError(m, Code::kInvalidArgument, {"node 'add' (Add)", "i64", "f32"});
}

TEST(BadTypes, AddOfIncompatibleShapes) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "a", TP::FLOAT, {2, 3});
  AddInput(m, "b", TP::FLOAT, {5, 2, 4});
  AddNode(m, "Add", {"a", "b"}, {"y"}, "add");
  AddOutput(m, "y");
  ExpectImportError(m, Code::kInvalidArgument, {"node 'add' (Add)", "broadcast", "3", "4"});
}

TEST(BadTypes, WhereConditionNotBool) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "c", TP::FLOAT, {2});
  AddInput(m, "a", TP::FLOAT, {2});
  AddNode(m, "Where", {"c", "a", "a"}, {"y"}, "where");
  AddOutput(m, "y");
  ExpectImportError(m, Code::kInvalidArgument, {"node 'where' (Where)", "bool"});
}

TEST(BadTypes, DeclaredOutputRankDisagrees) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {2, 3});
  AddNode(m, "Relu", {"x"}, {"y"}, "relu");
  SetValueInfo(m.mutable_graph()->add_output(), "y", TP::FLOAT, {6});
  ExpectImportError(m, Code::kInvalidArgument, {"graph output 'y'", "rank 1", "f32[2,3]"});
}

TEST(BadTypes, DeclaredOutputDTypeDisagrees) {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {2, 3});
  AddNode(m, "Cast", {"x"}, {"y"}, "cast")->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("to");
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(TP::INT32);
    return a;
  }());
  SetValueInfo(m.mutable_graph()->add_output(), "y", TP::INT64, {2, 3});
  ExpectImportError(m, Code::kInvalidArgument, {"graph output 'y'", "i64", "i32[2,3]"});
}

TEST(UnsupportedModel, OpsetTooOld) {
  ExpectImportError([] {
    onnx::ModelProto m = ReluModel();
    m.mutable_opset_import(0)->set_version(12);
    return m;
  }(), Code::kUnimplemented, {"opset 12", "13"});
}

TEST(UnsupportedModel, OpsetTooNew) {
  onnx::ModelProto m = ReluModel();
  m.mutable_opset_import(0)->set_version(29);
  ExpectImportError(m, Code::kUnimplemented, {"opset 29", "28"});
}

TEST(UnsupportedModel, ConflictingDefaultOpsets) {
  onnx::ModelProto m = ReluModel();
  auto* o = m.add_opset_import();
  o->set_domain("ai.onnx");
  o->set_version(18);
  ExpectImportError(m, Code::kInvalidArgument, {"opset", "17", "18"});
}

TEST(UnsupportedModel, NodeOfAnotherDomain) {
  onnx::ModelProto m = ReluModel();
  auto* o = m.add_opset_import();
  o->set_domain("com.microsoft");
  o->set_version(1);
  AddNode(m, "FusedGemm", {"y"}, {"z"}, "fused")->set_domain("com.microsoft");
  AddOutput(m, "z");
  ExpectImportError(m, Code::kUnimplemented, {"node 'fused'", "com.microsoft", "FusedGemm"});
}

TEST(UnsupportedModel, OnlyAnotherDomainImported) {
  onnx::ModelProto m = ReluModel();
  m.mutable_opset_import(0)->set_domain("ai.onnx.ml");
  m.mutable_opset_import(0)->set_version(3);
  ExpectImportError(m, Code::kUnimplemented, {"default", "ai.onnx.ml"});
}

TEST(UnsupportedModel, NoOpsetImportAtAll) {
  onnx::ModelProto m = ReluModel();
  m.clear_opset_import();
  ExpectImportError(m, Code::kInvalidArgument, {"opset"});
}

TEST(UnsupportedModel, UnknownOp) {
  onnx::ModelProto m = ReluModel();
  AddNode(m, "FrobnicateV2", {"y"}, {"z"}, "frob");
  AddOutput(m, "z");
  ExpectImportError(m, Code::kUnimplemented, {"node 'frob'", "unsupported op FrobnicateV2"});
}

TEST(UnsupportedModel, UnknownAttribute) {
  onnx::ModelProto m = ReluModel();
  auto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("mystery");
  a->set_type(onnx::AttributeProto::INT);
  ExpectImportError(m, Code::kUnimplemented, {"node 'relu' (Relu)", "attribute 'mystery'"});
}

}  // namespace
}  // namespace kiln
