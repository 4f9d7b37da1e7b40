// Importers for data-movement and shape ops whose ONNX form differs from Kiln's.
#include "absl/strings/str_cat.h"
#include "frontend/import_context.h"
#include "frontend/tensor_proto.h"

namespace kiln::frontend {
namespace {

// Constant: ONNX has value, value_float(s), value_int(s), value_string(s) and sparse_value;
// Kiln keeps one tensor attribute.
absl::StatusOr<std::vector<Value*>> ImportConstant(ImportContext& ctx) {
  if (ctx.proto().attribute_size() != 1) {
    return ctx.Error("Constant needs exactly one value attribute");
  }
  const onnx::AttributeProto& a = ctx.proto().attribute(0);
  Tensor t;
  if (a.name() == "value") {
    auto r = TensorFromProto(a.t(), ctx.base_dir());
    if (!r.ok()) return ctx.Error(r.status().message());
    t = *std::move(r);
  } else if (a.name() == "value_float") {
    t = Tensor::Scalar<float>(a.f());
  } else if (a.name() == "value_floats") {
    t = Tensor::FromVector<float>({a.floats().begin(), a.floats().end()},
                                  {static_cast<int64_t>(a.floats_size())});
  } else if (a.name() == "value_int") {
    t = Tensor::Scalar<int64_t>(a.i());
  } else if (a.name() == "value_ints") {
    t = Tensor::FromVector<int64_t>({a.ints().begin(), a.ints().end()},
                                    {static_cast<int64_t>(a.ints_size())});
  } else {
    return ctx.Unsupported(absl::StrCat("Constant attribute '", a.name(), "'"));
  }
  Attributes attrs;
  attrs.Set("value", std::move(t));
  Node* n = ctx.AddNode(OpKind::kConstant, {}, std::move(attrs), 1);
  return std::vector<Value*>{n->output(0)};
}

// Split before opset 18: without the `split` input the outputs are equal parts. Kiln's
// (opset 18) form says so with num_outputs.
absl::StatusOr<std::vector<Value*>> ImportSplit13(ImportContext& ctx) {
  auto attrs = ctx.ConvertAttributes(OpKind::kSplit);
  if (!attrs.ok()) return attrs.status();
  if (attrs->Has("num_outputs")) return ctx.Error("num_outputs needs opset 18");
  if (ctx.input(1) == nullptr) attrs->Set("num_outputs", int64_t{ctx.num_outputs()});
  Node* n = ctx.AddNode(OpKind::kSplit, ctx.inputs(), *std::move(attrs), ctx.num_outputs());
  std::vector<Value*> outs;
  for (int i = 0; i < n->num_outputs(); ++i) outs.push_back(n->output(i));
  return outs;
}

}  // namespace

void AddShapeOpImporters(ImporterTable& table) {
  table.Add("Constant", 1, 1000, &ImportConstant);
  table.Add("Split", 1, 17, &ImportSplit13);
}

}  // namespace kiln::frontend
