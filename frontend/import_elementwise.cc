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
  if (to->i() < 0 || to->i() > 64) return ctx.Error("attribute 'to' is not an ONNX dtype code");
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

// The dtype of `v` while importing, before shape inference has run: known for graph inputs,
// the outputs of Constant and Cast nodes, and Identity/Where of values whose dtype is known.
std::optional<DType> DTypeBeforeInference(const Value* v) {
  if (v->has_type()) return v->type().dtype;
  const Node* p = v->producer();
  if (p == nullptr) return std::nullopt;
  if (p->op() == OpKind::kConstant) {
    if (const Tensor* t = p->attrs().FindAs<Tensor>("value")) return t->dtype();
  }
  if (p->op() == OpKind::kCast) return ParseDType(p->attr_string("to"));
  // Ops whose result has an input's dtype (Where: either branch's), as in the attention
  // function body's CastLike(-inf, Where(mask, 0, -inf)).
  if (p->op() == OpKind::kIdentity && p->num_inputs() == 1) {
    return DTypeBeforeInference(p->input(0));
  }
  if (p->op() == OpKind::kWhere && p->num_inputs() == 3) {
    if (auto t = DTypeBeforeInference(p->input(1))) return t;
    return DTypeBeforeInference(p->input(2));
  }
  return std::nullopt;
}

// CastLike(x, like) is Cast(x, to = dtype of like). Function bodies (the `_expanded` forms of
// many ops) use it to cast constants to the dtype of a function input.
absl::StatusOr<std::vector<Value*>> ImportCastLike(ImportContext& ctx) {
  if (ctx.input(0) == nullptr || ctx.input(1) == nullptr) {
    return ctx.Error("CastLike needs two inputs");
  }
  std::optional<DType> dtype = DTypeBeforeInference(ctx.input(1));
  if (!dtype) {
    return ctx.Unsupported("CastLike whose target dtype is only known after shape inference");
  }
  auto attrs = ctx.ConvertAttributes(OpKind::kCast, {"round_mode"});
  if (!attrs.ok()) return attrs.status();
  attrs->Set("to", std::string(DTypeName(*dtype)));
  Node* n = ctx.AddNode(OpKind::kCast, {ctx.input(0)}, *std::move(attrs), 1);
  return std::vector<Value*>{n->output(0)};
}

// Sum(x0, x1, ...) is a left fold of broadcasting Adds (one input: Identity).
absl::StatusOr<std::vector<Value*>> ImportSum(ImportContext& ctx) {
  if (ctx.inputs().empty()) return ctx.Error("Sum needs at least one input");
  for (Value* v : ctx.inputs()) {
    if (v == nullptr) return ctx.Error("Sum inputs may not be omitted");
  }
  if (ctx.proto().attribute_size() > 0) return ctx.Unsupported("attributes on Sum");
  if (ctx.inputs().size() == 1) {
    return std::vector<Value*>{ctx.AddNode(OpKind::kIdentity, ctx.inputs(), {}, 1)->output(0)};
  }
  Value* acc = ctx.input(0);
  for (size_t i = 1; i < ctx.inputs().size(); ++i) {
    acc = ctx.AddNode(OpKind::kAdd, {acc, ctx.input(static_cast<int>(i))}, {}, 1)->output(0);
  }
  return std::vector<Value*>{acc};
}

}  // namespace

void AddElementwiseImporters(ImporterTable& table) {
  table.Add("Cast", 1, 1000, &ImportCast);
  table.Add("CastLike", 15, 1000, &ImportCastLike);
  table.Add("Sum", 13, 1000, &ImportSum);
}

}  // namespace kiln::frontend
