// Importers for elementwise ops whose ONNX form differs from Kiln's.
#include "absl/strings/str_cat.h"
#include "frontend/import_context.h"
#include "frontend/tensor_proto.h"

namespace kiln::frontend {
namespace {

// Cast: ONNX names the target type by its TensorProto code; Kiln by dtype name. `round_mode`
// (opset 24+) only affects casts to float8e8m0, a dtype Kiln lacks, so it is dropped (like
// `saturate`, which only concerns float8 targets, it cannot change a Kiln result).
absl::StatusOr<std::vector<Value*>> ImportCast(ImportContext& ctx) {
  const onnx::AttributeProto* to = ctx.FindAttr("to");
  if (to == nullptr) return ctx.Error("missing attribute 'to'");
  if (to->type() != onnx::AttributeProto::INT) return ctx.Error("attribute 'to' must be an int");
  auto dtype = DTypeFromOnnx(static_cast<int>(to->i()));
  if (!dtype.ok()) {
    if (dtype.status().code() == absl::StatusCode::kUnimplemented) {
      return ctx.Unsupported(dtype.status().message());
    }
    return ctx.Error(absl::StrCat("attribute 'to': ", dtype.status().message()));
  }
  auto attrs = ctx.ConvertAttributes(OpKind::kCast, {"to", "round_mode"});
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
