// Algebraic simplification: rewrites that remove or merge ops by algebra, as XLA's
// AlgebraicSimplifier does. Every rewrite keeps the result's type exactly (dtype and symbolic
// dims) and its values bit for bit up to the sign of a zero:
//   x*1, 1*x, x+0, 0+x, x-0, x/1, Pow(x, 1)     -> x   (only if x already has the result's
//                                                       shape: broadcasting must not change it)
//   Neg(Neg(x))                                  -> x
//   Transpose(Transpose(x, p), q)                -> Transpose(x, p∘q), or x when p∘q = id
//   view(view(x)) with the type of x             -> x   (view: Reshape, Squeeze, Unsqueeze,
//                                                       Flatten; all keep row-major order)
//   Reshape(view(x), s)                          -> Reshape(x, s) when s has no 0 that would
//                                                       copy a dim of the intermediate
//   Cast(Cast(x, T1), T2) with x -> T1 lossless  -> Cast(x, T2), or x when T2 is x's dtype
//   Expand(x, s) with the type of x              -> x
// A graph output keeps its name: it is forwarded only to a value that has a producer and is
// not itself an output (that value takes the output's name).
#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// Replaces `old_value` by `replacement` when their types match and names can be kept.
absl::StatusOr<bool> Forward(Graph& graph, Value* old_value, Value* replacement) {
  if (old_value == replacement || old_value->type() != replacement->type()) return false;
  if (IsGraphOutput(graph, old_value) &&
      (replacement->producer() == nullptr || IsGraphOutput(graph, replacement))) {
    return false;
  }
  RETURN_IF_ERROR(ReplaceValue(graph, old_value, replacement));
  EraseDeadProducers(graph, {old_value});
  return true;
}

// Adds `op(inputs)` before `root`; replaces root's output by it when the inferred type is the
// same, else removes it again. The new node takes root's name.
absl::StatusOr<bool> ReplaceWithNew(Graph& graph, Node* root, OpKind op,
                                    std::vector<Value*> inputs, Attributes attrs) {
  Value* old_value = root->output(0);
  if (IsGraphOutput(graph, old_value)) {
    for (Value* in : inputs) {
      if (IsGraphOutput(graph, in)) return false;
    }
  }
  auto node = AddInferredNode(graph, op, std::move(inputs), 1, std::move(attrs),
                              absl::StrCat(root->name(), "_simplified"), root);
  if (!node.ok()) return false;  // The combined op is not valid here; leave the pair.
  if ((*node)->output(0)->type() != old_value->type()) {
    graph.RemoveNode(*node);
    return false;
  }
  std::string name = root->name();
  RETURN_IF_ERROR(ReplaceValue(graph, old_value, (*node)->output(0)));
  EraseDeadProducers(graph, {old_value});
  (*node)->set_name(name);
  return true;
}

// The contents of a small integer value: a constant, or symbolic contents that are all known.
std::optional<std::vector<int64_t>> KnownInts(const Value* v) {
  if (v == nullptr) return std::nullopt;
  std::vector<int64_t> out;
  if (const Tensor* t = ConstantOf(v); t != nullptr && IsInteger(t->dtype())) {
    for (int64_t i = 0; i < t->num_elements(); ++i) out.push_back(t->GetAsInt(i));
    return out;
  }
  if (!v->sym_value()) return std::nullopt;
  for (const DimExpr& d : *v->sym_value()) {
    std::optional<int64_t> c = d.as_const();
    if (!c) return std::nullopt;
    out.push_back(*c);
  }
  return out;
}

// x op c -> x, for the identity element c of `op` on the sides where it is one.
class IdentityOperand : public RewritePattern {
 public:
  absl::string_view name() const override { return "identity-operand"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext&) override {
    double identity;
    bool commutative;
    switch (n->op()) {
      case OpKind::kAdd: identity = 0, commutative = true; break;
      case OpKind::kMul: identity = 1, commutative = true; break;
      case OpKind::kSub: identity = 0, commutative = false; break;
      case OpKind::kDiv:
      case OpKind::kPow: identity = 1, commutative = false; break;
      default: return false;
    }
    auto is_identity = [&](const Value* v) {
      std::optional<double> c = ConstantScalar(v);
      return c.has_value() && *c == identity;
    };
    Value* out = n->output(0);
    if (is_identity(n->input(1))) {
      ASSIGN_OR_RETURN(bool done, Forward(graph, out, n->input(0)));
      if (done) return true;
    }
    if (commutative && is_identity(n->input(0))) return Forward(graph, out, n->input(1));
    return false;
  }
};

class DoubleNegation : public RewritePattern {
 public:
  absl::string_view name() const override { return "double-negation"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext&) override {
    if (n->op() != OpKind::kNeg) return false;
    Node* inner = ProducerOf(n->input(0), OpKind::kNeg);
    if (inner == nullptr) return false;
    return Forward(graph, n->output(0), inner->input(0));
  }
};

// Transpose's permutation (absent: reversed dims).
std::vector<int64_t> PermOf(const Node& n) {
  if (const std::vector<int64_t>* p = n.attr_ints("perm")) return *p;
  std::vector<int64_t> perm(n.input(0)->type().rank());
  std::iota(perm.rbegin(), perm.rend(), 0);
  return perm;
}

class TransposeTranspose : public RewritePattern {
 public:
  absl::string_view name() const override { return "transpose-transpose"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext&) override {
    if (n->op() != OpKind::kTranspose) return false;
    Node* inner = ProducerOf(n->input(0), OpKind::kTranspose);
    if (inner == nullptr) return false;
    std::vector<int64_t> p = PermOf(*inner), q = PermOf(*n);
    if (p.size() != q.size()) return false;
    // Output dim i of the outer is dim q[i] of the inner, which is dim p[q[i]] of x.
    std::vector<int64_t> composed(q.size());
    bool identity = true;
    for (size_t i = 0; i < q.size(); ++i) {
      if (q[i] < 0 || q[i] >= static_cast<int64_t>(p.size())) return false;
      composed[i] = p[q[i]];
      identity &= composed[i] == static_cast<int64_t>(i);
    }
    if (identity) return Forward(graph, n->output(0), inner->input(0));
    Attributes attrs;
    attrs.Set("perm", composed);
    return ReplaceWithNew(graph, n, OpKind::kTranspose, {inner->input(0)}, std::move(attrs));
  }
};

bool IsView(OpKind op) {
  return op == OpKind::kReshape || op == OpKind::kSqueeze || op == OpKind::kUnsqueeze ||
         op == OpKind::kFlatten;
}

class ViewOfView : public RewritePattern {
 public:
  absl::string_view name() const override { return "view-of-view"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext&) override {
    if (!IsView(n->op()) || n->input(0) == nullptr) return false;
    Node* inner = n->input(0)->producer();
    if (inner == nullptr || !IsView(inner->op())) return false;
    Value* x = inner->input(0);
    if (n->output(0)->type() == x->type()) return Forward(graph, n->output(0), x);
    if (n->op() != OpKind::kReshape) return false;
    // With allowzero=0 a 0 copies the input's dim, which differs between x and the view.
    std::optional<std::vector<int64_t>> shape = KnownInts(n->input(1));
    if (!shape) return false;
    if (n->attr_int("allowzero") == 0 &&
        std::find(shape->begin(), shape->end(), 0) != shape->end()) {
      return false;
    }
    return ReplaceWithNew(graph, n, OpKind::kReshape, {x, n->input(1)}, n->attrs());
  }
};

// True when every value of `from` converts to `to` exactly (so a later Cast sees the same
// number whether or not this one ran).
bool LosslessCast(DType from, DType to) {
  if (from == to || from == DType::kBool) return true;
  if (to == DType::kBool) return false;
  // Mantissa precision of the float types: integers up to 2^p are exact.
  auto precision = [](DType t) -> int {
    switch (t) {
      case DType::kF16: return 11;
      case DType::kBF16: return 8;
      case DType::kF32: return 24;
      case DType::kF64: return 53;
      default: return 0;
    }
  };
  if (IsFloat(from)) {
    if (!IsFloat(to)) return false;
    if (from == DType::kF64) return false;
    if (from == DType::kF32) return to == DType::kF64;
    return to == DType::kF32 || to == DType::kF64;  // f16 and bf16 widen to f32 and f64.
  }
  int bits = static_cast<int>(DTypeSize(from)) * 8;
  bool is_signed = IsSignedInteger(from);
  if (IsFloat(to)) return (is_signed ? bits - 1 : bits) <= precision(to);
  int to_bits = static_cast<int>(DTypeSize(to)) * 8;
  if (IsSignedInteger(to)) return is_signed ? to_bits >= bits : to_bits > bits;
  return !is_signed && to_bits >= bits;
}

class CastOfCast : public RewritePattern {
 public:
  absl::string_view name() const override { return "cast-of-cast"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext&) override {
    if (n->op() != OpKind::kCast) return false;
    Node* inner = ProducerOf(n->input(0), OpKind::kCast);
    if (inner == nullptr) return false;
    Value* x = inner->input(0);
    if (!LosslessCast(x->type().dtype, inner->output(0)->type().dtype)) return false;
    if (n->output(0)->type() == x->type()) return Forward(graph, n->output(0), x);
    return ReplaceWithNew(graph, n, OpKind::kCast, {x}, n->attrs());
  }
};

class ExpandToSameShape : public RewritePattern {
 public:
  absl::string_view name() const override { return "expand-same-shape"; }
  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext&) override {
    if (n->op() != OpKind::kExpand) return false;
    return Forward(graph, n->output(0), n->input(0));
  }
};

class AlgebraicSimplify : public Pass {
 public:
  AlgebraicSimplify() {
    patterns_.push_back(std::make_unique<IdentityOperand>());
    patterns_.push_back(std::make_unique<DoubleNegation>());
    patterns_.push_back(std::make_unique<TransposeTranspose>());
    patterns_.push_back(std::make_unique<ViewOfView>());
    patterns_.push_back(std::make_unique<CastOfCast>());
    patterns_.push_back(std::make_unique<ExpandToSameShape>());
  }
  absl::string_view name() const override { return "algebraic-simplify"; }
  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    return ApplyPatternsGreedily(graph, ctx, patterns_);
  }

 private:
  std::vector<std::unique_ptr<RewritePattern>> patterns_;
};

}  // namespace

bool IsLosslessCast(DType from, DType to) { return LosslessCast(from, to); }

std::unique_ptr<Pass> CreateAlgebraicSimplify() { return std::make_unique<AlgebraicSimplify>(); }

}  // namespace kiln
