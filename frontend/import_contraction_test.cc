#include <cctype>
#include <string>
#include <vector>

#include "frontend/onnx_import.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "onnx/onnx.pb.h"

namespace kiln {
namespace {

void AddInput(onnx::GraphProto* g, const std::string& name, std::vector<std::string> dims) {
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (const std::string& d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (std::isdigit(static_cast<unsigned char>(d[0]))) {
      dim->set_dim_value(std::stoll(d));
    } else {
      dim->set_dim_param(d);
    }
  }
}

// A one-node model at `opset` over inputs named x0.. with the given dims.
onnx::ModelProto OneNode(int opset, const std::string& op,
                         const std::vector<std::vector<std::string>>& inputs,
                         std::vector<std::string> node_inputs, std::vector<std::string> outputs) {
  onnx::ModelProto m;
  m.set_ir_version(9);
  m.add_opset_import()->set_version(opset);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  for (size_t i = 0; i < inputs.size(); ++i) AddInput(g, absl::StrCat("x", i), inputs[i]);
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name("n");
  for (const std::string& in : node_inputs) n->add_input(in);
  for (const std::string& out : outputs) n->add_output(out);
  g->add_output()->set_name(outputs[0]);
  return m;
}

absl::StatusOr<std::unique_ptr<Graph>> Import(const onnx::ModelProto& m) {
  return ImportOnnxBytes(m.SerializeAsString(), "", "test.onnx");
}

TEST(ImportContractionTest, Attention24WithoutNonpadImportsAsAttention23) {
  onnx::ModelProto m =
      OneNode(24, "Attention", {{"b", "2", "s", "8"}, {"b", "2", "t", "8"}, {"b", "2", "t", "8"}},
              {"x0", "x1", "x2", "", "", "", ""}, {"y"});
  auto g = Import(m);
  ASSERT_TRUE(g.ok()) << g.status();
  const Node* n = *(*g)->nodes().begin();
  EXPECT_EQ(n->op(), OpKind::kAttention);
  EXPECT_EQ(n->num_inputs(), 3);
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f32[b,2,s,8]");
}

TEST(ImportContractionTest, Attention24NonpadKvSeqlenIsUnsupported) {
  onnx::ModelProto m = OneNode(
      24, "Attention", {{"1", "2", "3", "8"}, {"1", "2", "3", "8"}, {"1", "2", "3", "8"}, {"1"}},
      {"x0", "x1", "x2", "", "", "", "x3"}, {"y"});
  auto g = Import(m);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(g.status().message().find("nonpad_kv_seqlen"), std::string::npos);
}

TEST(ImportContractionTest, Attention25WindowIsUnsupported) {
  onnx::ModelProto m =
      OneNode(25, "Attention", {{"1", "2", "3", "8"}, {"1", "2", "3", "8"}, {"1", "2", "3", "8"}},
              {"x0", "x1", "x2"}, {"y"});
  onnx::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("left_window_size");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(4);
  auto g = Import(m);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(g.status().message().find("left_window_size"), std::string::npos);
}

TEST(ImportContractionTest, EinsumWithSpacesAndSymbolicDims) {
  onnx::ModelProto m =
      OneNode(13, "Einsum", {{"b", "2", "3"}, {"b", "3", "4"}}, {"x0", "x1"}, {"y"});
  onnx::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("equation");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("bij, bjk -> bik");
  auto g = Import(m);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f32[b,2,4]");
}

}  // namespace
}  // namespace kiln
