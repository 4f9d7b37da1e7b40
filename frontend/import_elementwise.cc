// Importers for elementwise ops whose ONNX form differs from Kiln's.
#include "absl/strings/str_cat.h"
#include "frontend/import_context.h"
#include "frontend/tensor_proto.h"

namespace kiln::frontend {
namespace {

// Cast: ONNX names the target type by its TensorProto code; Kiln by dtype name.
absl::StatusOr<std::vector<Value*>> ImportCast(ImportContext& ctx) {
  const onnx::AttributeProto* to = ctx.FindAttr("to");
  if (to == nullptr) return ctx.Error("missing attribute 'to'");
  if (to->i() < 0 || to->i() > 64) return ctx.Error("attribute 'to' is not an ONNX dtype code");
  auto dtype = DTypeFromOnnx(static_cast<int>(to->i()));
  if (!dtype.ok()) return ctx.Unsupported(dtype.status().message());
  auto attrs = ctx.ConvertAttributes(OpKind::kCast, {"to"});
  if (!attrs.ok()) return attrs.status();
  attrs->Set("to", std::string(DTypeName(*dtype)));
  Node* n = ctx.AddNode(OpKind::kCast, ctx.inputs(), *std::move(attrs), 1);
  return std::vector<Value*>{n->output(0)};
}

}  // namespace

void AddElementwiseImporters(ImporterTable& table) {
  table.Add("Cast", 1, 1000, &ImportCast);
}

}  // namespace kiln::frontend
