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

// A model with float inputs a[2], b[3,1] and i64 input n[] and the given nodes.
std::string Model(const std::vector<onnx::NodeProto>& nodes, const std::string& output) {
  onnx::ModelProto m;
  m.set_ir_version(10);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(21);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  auto add_input = [&](const char* name, int dtype, std::vector<int64_t> dims) {
    auto* in = g->add_input();
    in->set_name(name);
    in->mutable_type()->mutable_tensor_type()->set_elem_type(dtype);
    auto* shape = in->mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  };
  add_input("a", onnx::TensorProto::FLOAT, {2});
  add_input("b", onnx::TensorProto::FLOAT, {3, 1});
  add_input("n", onnx::TensorProto::INT64, {});
  for (const auto& n : nodes) *g->add_node() = n;
  g->add_output()->set_name(output);
  return m.SerializeAsString();
}

onnx::NodeProto NodeOf(const char* op, std::vector<std::string> ins, const char* out) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(out);
  for (const auto& i : ins) n.add_input(i);
  n.add_output(out);
  return n;
}

TEST(ImportCastLike, TakesTheDTypeOfAGraphInputOrACast) {
  onnx::NodeProto to_f16 = NodeOf("Cast", {"a"}, "h");
  *to_f16.add_attribute() = IntAttr("to", onnx::TensorProto::FLOAT16);
  auto g = ImportOnnxBytes(Model({NodeOf("CastLike", {"n", "a"}, "x"), to_f16,
                                  NodeOf("CastLike", {"x", "h"}, "y")},
                                 "y"),
                           "", "m");
  ASSERT_TRUE(g.ok()) << g.status();
  std::vector<Node*> nodes = (*g)->NodeList();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0]->attr_string("to"), "f32");
  EXPECT_EQ(nodes[2]->op(), OpKind::kCast);
  EXPECT_EQ(nodes[2]->num_inputs(), 1);
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f16[]");
}

TEST(ImportCastLike, SeesThroughIdentityAndWhere) {
  // The attention function body casts -inf like Where(mask, 0, -inf) or Identity(mask).
  onnx::NodeProto to_f16 = NodeOf("Cast", {"a"}, "h");
  *to_f16.add_attribute() = IntAttr("to", onnx::TensorProto::FLOAT16);
  // x = CastLike(n, Where(c, a + b, Identity(a))): f32 from the second branch.
  // y = CastLike(x, Where(c, h, h)): f16 from the first.
  auto g = ImportOnnxBytes(
      Model({NodeOf("Equal", {"n", "n"}, "c"), NodeOf("Add", {"a", "b"}, "s"),
             NodeOf("Identity", {"a"}, "i"), NodeOf("Where", {"c", "s", "i"}, "w"),
             NodeOf("CastLike", {"n", "w"}, "x"), to_f16, NodeOf("Where", {"c", "h", "h"}, "v"),
             NodeOf("CastLike", {"x", "v"}, "y")},
            "y"),
      "", "m");
  ASSERT_TRUE(g.ok()) << g.status();
  const Node* x = (*g)->outputs()[0]->producer()->input(0)->producer();
  ASSERT_EQ(x->op(), OpKind::kCast);
  EXPECT_EQ(x->attr_string("to"), "f32");
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f16[]");
  auto unknown = ImportOnnxBytes(Model({NodeOf("Add", {"a", "b"}, "s"),
                                        NodeOf("Equal", {"n", "n"}, "c"),
                                        NodeOf("Where", {"c", "s", "s"}, "w"),
                                        NodeOf("CastLike", {"n", "w"}, "y")},
                                       "y"),
                                 "", "m");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnimplemented) << unknown.status();
}

TEST(ImportCastLike, UnknownTargetDTypeIsUnsupported) {
  auto g = ImportOnnxBytes(Model({NodeOf("Add", {"a", "b"}, "s"),
                                  NodeOf("CastLike", {"n", "s"}, "y")},
                                 "y"),
                           "", "m");
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented) << g.status();
  EXPECT_NE(g.status().message().find("only known after shape inference"), std::string::npos);
}

TEST(ImportSum, BecomesBroadcastingAdds) {
  auto three = ImportOnnxBytes(Model({NodeOf("Sum", {"a", "b", "a"}, "y")}, "y"), "", "m");
  ASSERT_TRUE(three.ok()) << three.status();
  std::vector<Node*> nodes = (*three)->NodeList();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0]->op(), OpKind::kAdd);
  EXPECT_EQ(nodes[1]->op(), OpKind::kAdd);
  EXPECT_EQ(nodes[1]->input(0), nodes[0]->output(0));
  EXPECT_EQ((*three)->outputs()[0]->type().ToString(), "f32[3,2]");
  auto one = ImportOnnxBytes(Model({NodeOf("Sum", {"b"}, "y")}, "y"), "", "m");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ((*one)->NodeList()[0]->op(), OpKind::kIdentity);
  auto mixed = ImportOnnxBytes(Model({NodeOf("Sum", {"a", "n"}, "y")}, "y"), "", "m");
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInvalidArgument) << mixed.status();
}

}  // namespace
}  // namespace kiln
