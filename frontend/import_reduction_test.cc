// Importers of the reduction family: opset < 18 `axes` attributes become an int64 input.
#include <algorithm>

#include "frontend/import_context.h"
#include "gtest/gtest.h"

namespace kiln::frontend {
namespace {

onnx::NodeProto ReduceProto(const char* op, std::vector<int64_t> axes, bool with_axes = true) {
  onnx::NodeProto p;
  p.set_op_type(op);
  p.set_name("r");
  p.add_input("x");
  p.add_output("y");
  if (with_axes) {
    onnx::AttributeProto* a = p.add_attribute();
    a->set_name("axes");
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : axes) a->add_ints(v);
  }
  onnx::AttributeProto* k = p.add_attribute();
  k->set_name("keepdims");
  k->set_type(onnx::AttributeProto::INT);
  k->set_i(0);
  return p;
}

class ReductionImportTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::vector<Value*>> Import(const onnx::NodeProto& p, int64_t opset,
                                             std::vector<Value*> inputs = {}) {
    if (inputs.empty()) inputs.push_back(x_);
    ImportFn fn = GetImporterTable().Find(p.op_type(), opset);
    if (fn == nullptr) return absl::NotFoundError("no special importer");
    ImportContext ctx(graph_, p, opset, std::move(inputs));
    return fn(ctx);
  }

  Graph graph_;
  Value* x_ = graph_.AddInput("x", TensorType{DType::kF32, {2, 3, 4}});
};

TEST_F(ReductionImportTest, AxesAttributeBecomesAConstantInput) {
  for (const char* op : {"ReduceMean", "ReduceMax", "ReduceMin"}) {
    auto outs = Import(ReduceProto(op, {1, -1}), 13);
    ASSERT_TRUE(outs.ok()) << op << ": " << outs.status();
    ASSERT_EQ(outs->size(), 1u);
    Node* n = (*outs)[0]->producer();
    EXPECT_EQ(n->op_name(), op);
    EXPECT_EQ(n->name(), "r");  // The reduction, not its constant, keeps the ONNX name.
    EXPECT_FALSE(n->attrs().Has("axes"));
    EXPECT_EQ(n->attr_int("keepdims"), 0);
    ASSERT_EQ(n->num_inputs(), 2);
    EXPECT_EQ(n->input(0), x_);
    const Node* c = n->input(1)->producer();
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->op(), OpKind::kConstant);
    const Tensor* axes = c->attrs().FindAs<Tensor>("value");
    ASSERT_NE(axes, nullptr);
    EXPECT_EQ(axes->dtype(), DType::kI64);
    EXPECT_EQ(axes->shape(), (std::vector<int64_t>{2}));
    EXPECT_EQ(axes->GetAsInt(0), 1);
    EXPECT_EQ(axes->GetAsInt(1), -1);
    // The constant must precede its user in the graph's order.
    std::vector<Node*> order = graph_.NodeList();
    auto pos = [&](const Node* node) { return std::find(order.begin(), order.end(), node); };
    EXPECT_LT(pos(c), pos(n));
  }
}

TEST_F(ReductionImportTest, MissingOrEmptyAxesMeanAllAxes) {
  auto none = Import(ReduceProto("ReduceMax", {}, /*with_axes=*/false), 17);
  auto empty = Import(ReduceProto("ReduceMin", {}), 13);
  ASSERT_TRUE(none.ok() && empty.ok());
  EXPECT_EQ((*none)[0]->producer()->num_inputs(), 1);
  EXPECT_EQ((*empty)[0]->producer()->num_inputs(), 1);
}

TEST_F(ReductionImportTest, NewerOpsetsAndReduceSumImportGenerically) {
  EXPECT_EQ(GetImporterTable().Find("ReduceMean", 18), nullptr);
  EXPECT_EQ(GetImporterTable().Find("ReduceMax", 20), nullptr);
  EXPECT_EQ(GetImporterTable().Find("ReduceSum", 13), nullptr);
  EXPECT_NE(GetImporterTable().Find("ReduceMean", 13), nullptr);
}

TEST_F(ReductionImportTest, RejectsMalformedNodes) {
  onnx::NodeProto bad_type = ReduceProto("ReduceMean", {});
  bad_type.mutable_attribute(0)->set_type(onnx::AttributeProto::INT);
  auto r1 = Import(bad_type, 13);
  EXPECT_EQ(r1.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r1.status().message().find("axes"), absl::string_view::npos);
  auto r2 = Import(ReduceProto("ReduceMean", {0}), 13, {x_, x_});
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r2.status().message().find("takes 1 input"), absl::string_view::npos);
}

}  // namespace
}  // namespace kiln::frontend
