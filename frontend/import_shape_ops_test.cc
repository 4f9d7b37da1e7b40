// Import tests for the shape-op importers: Constant's attribute forms and Split before
// opset 18 (no num_outputs: equal parts).
#include "frontend/onnx_import.h"
#include "gtest/gtest.h"
#include "onnx/onnx.pb.h"

namespace kiln {
namespace {

// A model with one float input `x` of `dims` and the given nodes; outputs named `outs`.
onnx::ModelProto Model(int64_t opset, std::vector<int64_t> dims,
                       std::vector<onnx::NodeProto> nodes, std::vector<std::string> outs) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  for (auto& n : nodes) *g->add_node() = n;
  for (const std::string& o : outs) g->add_output()->set_name(o);
  return m;
}

onnx::NodeProto Node(const std::string& op, std::vector<std::string> in,
                     std::vector<std::string> out) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(out[0]);
  for (auto& s : in) n.add_input(s);
  for (auto& s : out) n.add_output(s);
  return n;
}

absl::StatusOr<std::unique_ptr<Graph>> Import(const onnx::ModelProto& m) {
  return ImportOnnxBytes(m.SerializeAsString(), "", "test");
}

TEST(ImportShapeOpsTest, SplitBeforeOpset18SplitsEqually) {
  onnx::NodeProto split = Node("Split", {"x"}, {"a", "b", "c"});
  auto* axis = split.add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(1);
  auto g = Import(Model(13, {2, 6}, {split}, {"a", "b", "c"}));
  ASSERT_TRUE(g.ok()) << g.status();
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*g)->outputs()[i]->type().ToString(), "f32[2,2]");
}

TEST(ImportShapeOpsTest, SplitAtOpset18NeedsNumOutputsOrSizes) {
  auto g = Import(Model(18, {6}, {Node("Split", {"x"}, {"a", "b"})}, {"a", "b"}));
  EXPECT_FALSE(g.ok());
}

TEST(ImportShapeOpsTest, ConstantValueIntsCarriesSymbolicContents) {
  onnx::NodeProto c = Node("Constant", {}, {"shape"});
  auto* v = c.add_attribute();
  v->set_name("value_ints");
  v->set_type(onnx::AttributeProto::INTS);
  v->add_ints(3);
  v->add_ints(-1);
  auto g = Import(Model(17, {2, 6}, {c, Node("Reshape", {"x", "shape"}, {"y"})}, {"y"}));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f32[3,4]");
}

}  // namespace
}  // namespace kiln
