#include <string>

#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "onnx/onnx.pb.h"

namespace kiln {
namespace {

// A one-node model: y = Cast(x: float[2]) with the given attributes, at `opset`.
std::string CastModel(const std::vector<onnx::AttributeProto>& attrs, int opset = 25) {
  onnx::ModelProto m;
  m.set_ir_version(10);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("x");
  in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
  g->add_output()->set_name("y");
  onnx::NodeProto* n = g->add_node();
  n->set_op_type("Cast");
  n->set_name("cast");
  n->add_input("x");
  n->add_output("y");
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

TEST(ImportCast, MapsTheTargetCodeAndDropsRoundMode) {
  onnx::AttributeProto round_mode;
  round_mode.set_name("round_mode");
  round_mode.set_type(onnx::AttributeProto::STRING);
  round_mode.set_s("up");
  auto g = ImportOnnxBytes(CastModel({IntAttr("to", onnx::TensorProto::FLOAT16), round_mode,
                                      IntAttr("saturate", 1)}),
                           "", "m");
  ASSERT_TRUE(g.ok()) << g.status();
  const Node* n = (*g)->NodeList().back();
  EXPECT_EQ(n->op(), OpKind::kCast);
  EXPECT_EQ(n->attr_string("to"), "f16");
  EXPECT_FALSE(n->attrs().Has("round_mode"));
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f16[2]");
}

TEST(ImportCast, RejectsTargetsKilnLacksAndMalformedOnes) {
  // 17 is FLOAT8E4M3FN (newer than the onnx.proto Kiln builds against).
  auto f8 = ImportOnnxBytes(CastModel({IntAttr("to", 17)}), "", "m");
  EXPECT_EQ(f8.status().code(), absl::StatusCode::kUnimplemented) << f8.status();
  auto undefined = ImportOnnxBytes(CastModel({IntAttr("to", 0)}), "", "m");
  EXPECT_EQ(undefined.status().code(), absl::StatusCode::kInvalidArgument) << undefined.status();
  onnx::AttributeProto float_to;
  float_to.set_name("to");
  float_to.set_type(onnx::AttributeProto::FLOAT);
  float_to.set_f(1);
  auto wrong_type = ImportOnnxBytes(CastModel({float_to}), "", "m");
  EXPECT_EQ(wrong_type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_type.status().message().find("'to' must be an int"), std::string::npos)
      << wrong_type.status();
  auto missing = ImportOnnxBytes(CastModel({}), "", "m");
  EXPECT_NE(missing.status().message().find("missing attribute 'to'"), std::string::npos)
      << missing.status();
}

}  // namespace
}  // namespace kiln
