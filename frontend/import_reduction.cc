// Importers for reductions and normalisations whose ONNX form differs from Kiln's.
//
// ReduceMean, ReduceMax and ReduceMin took `axes` as an attribute before opset 18 (ReduceSum
// before 13, which Kiln does not import); Kiln's form has them as an optional int64 input.
#include "absl/strings/str_cat.h"
#include "frontend/import_context.h"

namespace kiln::frontend {
namespace {

template <OpKind kOp>
absl::StatusOr<std::vector<Value*>> ImportReduceWithAxesAttr(ImportContext& ctx) {
  if (ctx.inputs().size() != 1) {
    return ctx.Error(
        absl::StrCat("takes 1 input at opset ", ctx.opset(), ", got ", ctx.inputs().size()));
  }
  const onnx::AttributeProto* axes = ctx.FindAttr("axes");
  if (axes && axes->type() != onnx::AttributeProto::INTS) {
    return ctx.Error("attribute 'axes' must be a list of ints");
  }
  auto attrs = ctx.ConvertAttributes(kOp, {"axes"});
  if (!attrs.ok()) return attrs.status();
  // The reduction is added first so that it, not its axes constant, carries the ONNX name.
  Node* n = ctx.AddNode(kOp, ctx.inputs(), *std::move(attrs), 1);
  // An empty list means "all axes" here, which the input form says by omitting it.
  if (axes && axes->ints_size() > 0) {
    Value* c = ctx.AddInt64s({axes->ints().begin(), axes->ints().end()});
    ctx.graph().MoveBefore(c->producer(), n);
    n->AddInput(c);
  }
  return std::vector<Value*>{n->output(0)};
}

}  // namespace

void AddReductionImporters(ImporterTable& table) {
  table.Add("ReduceMean", 1, 17, &ImportReduceWithAxesAttr<OpKind::kReduceMean>);
  table.Add("ReduceMax", 1, 17, &ImportReduceWithAxesAttr<OpKind::kReduceMax>);
  table.Add("ReduceMin", 1, 17, &ImportReduceWithAxesAttr<OpKind::kReduceMin>);
}

}  // namespace kiln::frontend
