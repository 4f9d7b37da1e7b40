// Constant folding: a node whose inputs are all constants is evaluated with its reference
// kernel and replaced by Constant nodes; so is any integer value whose symbolic contents are
// all known integers (a Shape of a static tensor, arithmetic on such shapes). Outputs larger
// than kMaxFoldedElements are left alone so folding never bloats the model.
#include "absl/strings/str_cat.h"
#include "ir/shape_inference.h"
#include "passes/passes.h"
#include "runtime/reference/kernel.h"

namespace kiln {
namespace {

constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;

bool IsConstant(const Value* v) {
  return v == nullptr || (v->producer() && v->producer()->op() == OpKind::kConstant);
}

std::optional<int64_t> StaticCount(const TensorType& t) {
  auto c = t.NumElements().as_const();
  return c;
}

// The tensor that a value's symbolic contents spell, when they are all constants.
std::optional<Tensor> TensorFromSym(const Value* v) {
  const TensorType& t = v->type();
  if (!v->sym_value() || !t.is_static() || !(IsInteger(t.dtype) || t.dtype == DType::kBool)) {
    return std::nullopt;
  }
  std::vector<int64_t> shape;
  for (const DimExpr& d : t.dims) shape.push_back(*d.as_const());
  auto tensor = Tensor::Zeros(t.dtype, shape);
  if (!tensor.ok() || tensor->num_elements() != static_cast<int64_t>(v->sym_value()->size())) {
    return std::nullopt;
  }
  for (int64_t i = 0; i < tensor->num_elements(); ++i) {
    auto c = (*v->sym_value())[i].as_const();
    if (!c) return std::nullopt;
    VisitDType(t.dtype, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_integral_v<T>) tensor->data<T>()[i] = static_cast<T>(*c);
      return 0;
    });
  }
  return *std::move(tensor);
}

// Replaces `v` by a Constant holding `t`, keeping v's name.
absl::Status ReplaceWithConstant(Graph& graph, Node* before, Value* v, Tensor t) {
  Attributes attrs;
  attrs.Set("value", std::move(t));
  Node* c = graph.AddNode(OpKind::kConstant, {}, 1, std::move(attrs), "", before);
  ShapeEnv env;
  RETURN_IF_ERROR(InferNode(*c, env));
  std::string name = v->name();
  graph.ReplaceAllUsesWith(v, c->output(0));
  RETURN_IF_ERROR(graph.RenameValue(v, graph.UniqueValueName(name + "_folded")));
  RETURN_IF_ERROR(graph.RenameValue(c->output(0), name));
  c->set_name(name);
  return absl::OkStatus();
}

class ConstantFolding : public Pass {
 public:
  absl::string_view name() const override { return "constant-folding"; }

  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    bool changed = false;
    for (Node* n : graph.NodeList()) {
      if (n->op() == OpKind::kConstant || n->body() != nullptr) continue;
      bool all_const = true;
      for (const Value* v : n->inputs()) all_const &= IsConstant(v);
      bool small = true;
      for (int i = 0; i < n->num_outputs(); ++i) {
        auto count = StaticCount(n->output(i)->type());
        small &= count.has_value() && *count <= kMaxFoldedElements;
      }
      if (!small) continue;
      std::vector<Tensor> results;
      if (all_const) {
        reference::KernelContext kctx{*n, {}};
        for (const Value* v : n->inputs()) {
          kctx.inputs.push_back(v ? v->producer()->attrs().FindAs<Tensor>("value") : nullptr);
        }
        auto r = reference::GetKernel(n->op())(kctx);
        if (!r.ok()) {
          ctx.Note(absl::StrCat("constant-folding: left ", n->Describe(), ": ", r.status().message()));
          continue;
        }
        results = *std::move(r);
      } else {
        for (int i = 0; i < n->num_outputs(); ++i) {
          std::optional<Tensor> t = TensorFromSym(n->output(i));
          if (!t) break;
          results.push_back(*std::move(t));
        }
        if (static_cast<int>(results.size()) != n->num_outputs()) continue;
      }
      for (int i = 0; i < n->num_outputs(); ++i) {
        RETURN_IF_ERROR(ReplaceWithConstant(graph, n, n->output(i), std::move(results[i])));
      }
      graph.RemoveNode(n);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateConstantFolding() { return std::make_unique<ConstantFolding>(); }

}  // namespace kiln
