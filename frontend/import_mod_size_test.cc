// Import tests for Mod and Size: both import generically (their ONNX forms have not changed
// since opset 13), so these check the attribute schema and the inferred result.
#include <string>

#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "onnx/onnx.pb.h"

namespace kiln {
namespace {

// y = op(inputs...) over inputs named a, b, ... of `elem_type` and shape [n, 3] (n symbolic).
std::string OneNodeModel(const char* op, int num_inputs, int elem_type,
                         const std::vector<onnx::AttributeProto>& attrs, int opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name("node");
  for (int i = 0; i < num_inputs; ++i) {
    auto* in = g->add_input();
    std::string name(1, static_cast<char>('a' + i));
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    tt->mutable_shape()->add_dim()->set_dim_param("n");
    tt->mutable_shape()->add_dim()->set_dim_value(3);
    n->add_input(name);
  }
  n->add_output("y");
  g->add_output()->set_name("y");
  for (const auto& a : attrs) *n->add_attribute() = a;
  return m.SerializeAsString();
}

onnx::AttributeProto IntAttr(const char* name, int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}

TEST(ImportModSize, ModKeepsFmod) {
  auto g = ImportOnnxBytes(OneNodeModel("Mod", 2, onnx::TensorProto::FLOAT, {IntAttr("fmod", 1)}),
                           "", "m");
  ASSERT_TRUE(g.ok()) << g.status();
  const Node* n = (*g)->NodeList().back();
  EXPECT_EQ(n->op(), OpKind::kMod);
  EXPECT_EQ(n->attr_int("fmod"), 1);
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f32[n,3]");
  auto ints = ImportOnnxBytes(OneNodeModel("Mod", 2, onnx::TensorProto::INT8, {}, 28), "", "m");
  ASSERT_TRUE(ints.ok()) << ints.status();
  EXPECT_EQ((*ints)->NodeList().back()->attr_int("fmod"), 0);
}

TEST(ImportModSize, FloatModWithoutFmodIsRejected) {
  auto g = ImportOnnxBytes(OneNodeModel("Mod", 2, onnx::TensorProto::DOUBLE, {}), "", "m");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << g.status();
  EXPECT_NE(g.status().message().find("fmod must be 1"), std::string::npos) << g.status();
}

TEST(ImportModSize, SizeIsAnI64Scalar) {
  auto g = ImportOnnxBytes(OneNodeModel("Size", 1, onnx::TensorProto::FLOAT16, {}, 21), "", "m");
  ASSERT_TRUE(g.ok()) << g.status();
  const Value* y = (*g)->outputs()[0];
  EXPECT_EQ(y->type().ToString(), "i64[]");
  ASSERT_TRUE(y->sym_value().has_value());
  EXPECT_EQ(DimsToString(*y->sym_value()), "[3*n]");
}

}  // namespace
}  // namespace kiln
