#include "passes/norm_match.h"

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/fusion_match.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// The value squared by `sq` (Pow(v, 2) or Mul(v, v)), else null.
Value* SquaredValue(const Node* sq) {
  if (sq == nullptr) return nullptr;
  if (sq->op() == OpKind::kPow && IsConstantExactly(sq->input(1), 2.0)) return sq->input(0);
  if (sq->op() == OpKind::kMul && sq->input(0) == sq->input(1)) return sq->input(0);
  return nullptr;
}

// Follows `v` = var + eps through 1/sqrt to the node normalising `base`, or sets `why`.
Node* MatchInverseSqrt(const Graph& graph, Value* v, Value* base, std::string* why) {
  Node* u = SoleUser(graph, v);
  Value* inv = nullptr;
  if (u != nullptr && u->op() == OpKind::kSqrt) {
    Value* s = u->output(0);
    Node* u2 = SoleUser(graph, s);
    if (u2 == nullptr) {
      *why = "the square root is used elsewhere";
      return nullptr;
    }
    if (u2->op() == OpKind::kDiv && u2->input(1) == s && u2->input(0) == base) return u2;
    if (u2->op() == OpKind::kReciprocal ||
        (u2->op() == OpKind::kDiv && u2->input(1) == s && IsConstantExactly(u2->input(0), 1.0))) {
      inv = u2->output(0);
    }
  } else if (u != nullptr && u->op() == OpKind::kPow && u->input(0) == v &&
             IsConstantExactly(u->input(1), -0.5)) {
    inv = u->output(0);
  }
  if (inv == nullptr) {
    *why = u == nullptr ? "variance + epsilon is used elsewhere"
                        : "variance + epsilon is not followed by 1/sqrt";
    return nullptr;
  }
  Node* mul = SoleUser(graph, inv);
  if (mul == nullptr) {
    *why = "the inverse standard deviation is used elsewhere";
    return nullptr;
  }
  if (mul->op() != OpKind::kMul || !SplitOperands(mul, [&](Value* o) { return o == base; })) {
    *why = "the inverse standard deviation does not multiply the squared value";
    return nullptr;
  }
  return mul;
}

int64_t StashTypeOf(DType t) {
  switch (t) {
    case DType::kF16:
      return 10;
    case DType::kF64:
      return 11;
    case DType::kBF16:
      return 16;
    default:
      return 1;
  }
}

// A Constant [n] of ones of `dtype`, added before `at`.
absl::StatusOr<Value*> AddOnes(Graph& graph, DType dtype, int64_t n, Node* at) {
  ASSIGN_OR_RETURN(Tensor ones, Tensor::Zeros(dtype, {n}));
  VisitDType(dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>) {
      for (int64_t i = 0; i < n; ++i) ones.data<T>()[i] = T(1.0f);
    }
  });
  Attributes attrs;
  attrs.Set("value", std::move(ones));
  ASSIGN_OR_RETURN(Node * c, AddInferredNode(graph, OpKind::kConstant, {}, 1, std::move(attrs),
                                             graph.UniqueValueName("ones"), at));
  return c->output(0);
}

int FloatWidth(DType t) { return t == DType::kF64 ? 3 : t == DType::kF32 ? 2 : 1; }

}  // namespace

Value* SquaredBase(const Node& reduce) {
  if (reduce.op() != OpKind::kReduceMean || reduce.input(0) == nullptr) return nullptr;
  Value* base = SquaredValue(reduce.input(0)->producer());
  return base != nullptr && IsFloat(base->type().dtype) ? base : nullptr;
}

std::optional<NormStatistics> MatchNormStatistics(const Graph& graph, Node* reduce,
                                                  std::string* why) {
  why->clear();
  NormStatistics m;
  m.base = SquaredBase(*reduce);
  if (m.base == nullptr) return std::nullopt;
  m.square = reduce->input(0)->producer();
  if (!HasSingleUse(graph, m.square->output(0))) {
    *why = "the square is used elsewhere";
    return std::nullopt;
  }
  Value* mean = reduce->output(0);
  Node* add = SoleUser(graph, mean);
  if (add == nullptr || add->op() != OpKind::kAdd) {  // Not followed by + eps: no norm.
    if (add == nullptr) *why = "the mean of squares is used elsewhere";
    return std::nullopt;
  }
  Value* eps = add->input(0) == mean ? add->input(1) : add->input(0);
  std::optional<double> e = ConstantScalar(eps);
  if (!e || add->output(0)->type() != mean->type()) {
    *why = "epsilon is not a scalar constant";
    return std::nullopt;
  }
  m.epsilon = *e;
  m.normalize = MatchInverseSqrt(graph, add->output(0), m.base, why);
  if (m.normalize == nullptr) return std::nullopt;
  // Checked last, so that other statistics over squares (GroupNorm's, MVN's) are no near miss.
  if (!ReducesLastAxisKeepingDims(*reduce)) {
    *why = "the mean of squares is not over the last axis alone with keepdims";
    return std::nullopt;
  }
  return m;
}

NormTail MatchNormTail(const Graph& graph, const NormStatistics& stats, Value* input,
                       bool with_bias) {
  NormTail t;
  t.input = input;
  t.stash = input->type().dtype;
  t.out = stats.normalize->output(0);
  Node* user = SoleUser(graph, t.out);
  Node* up = input->producer();
  if (user != nullptr && user->op() == OpKind::kCast && up != nullptr &&
      up->op() == OpKind::kCast) {
    DType narrow = up->input(0)->type().dtype;
    if (IsFloat(narrow) && user->output(0)->type().dtype == narrow &&
        FloatWidth(narrow) <= FloatWidth(t.stash)) {
      t.input = up->input(0);
      t.out = user->output(0);
      user = SoleUser(graph, t.out);
    }
  }
  auto vector_operand = [&](Node* n, OpKind op) -> Value* {
    if (n == nullptr || n->op() != op) return nullptr;
    auto split = SplitOperands(n, [&](Value* o) { return o == t.out; });
    if (!split || split->second == t.out || !IsLastAxisVector(split->second, t.out)) {
      return nullptr;
    }
    return split->second;
  };
  if ((t.scale = vector_operand(user, OpKind::kMul)) != nullptr) {
    t.out = user->output(0);
    user = SoleUser(graph, t.out);
  }
  if (with_bias && (t.bias = vector_operand(user, OpKind::kAdd)) != nullptr) {
    t.out = user->output(0);
  }
  return t;
}

absl::StatusOr<bool> EmitNorm(Graph& graph, PassContext& ctx, absl::string_view pass, OpKind op,
                              const NormStatistics& stats, const NormTail& tail) {
  const TensorType& type = tail.input->type();
  Node* at = tail.out->producer();
  if (tail.out->type() != type) {
    NoteOnce(ctx, absl::StrCat(pass, ": ", at->Describe(), ": the result has type ",
                               tail.out->type().ToString(), ", not the input's ", type.ToString()));
    return false;
  }
  Value* scale = tail.scale;
  if (scale == nullptr) {
    std::optional<int64_t> h = type.dims.back().as_const();
    if (!h) {
      NoteOnce(ctx, absl::StrCat(pass, ": ", at->Describe(),
                                 ": no scale and a symbolic last dim, so no ones vector to use"));
      return false;
    }
    ASSIGN_OR_RETURN(scale, AddOnes(graph, type.dtype, *h, at));
  }
  std::vector<Value*> inputs = {tail.input, scale};
  if (tail.bias != nullptr) inputs.push_back(tail.bias);
  Attributes attrs;
  attrs.Set("axis", int64_t{-1});
  attrs.Set("epsilon", static_cast<float>(stats.epsilon));
  attrs.Set("stash_type", StashTypeOf(tail.stash));
  absl::StatusOr<Node*> fused =
      AddInferredNode(graph, op, inputs, 1, std::move(attrs), at->name(), at);
  if (!fused.ok()) {  // Declined rather than failing the compilation.
    if (scale != tail.scale) graph.RemoveNode(scale->producer());
    NoteOnce(ctx, absl::StrCat(pass, ": ", at->Describe(), ": ", fused.status().message()));
    return false;
  }
  RETURN_IF_ERROR(ReplaceValue(graph, tail.out, (*fused)->output(0)));
  EraseDeadProducers(graph, {tail.out});
  return true;
}

}  // namespace kiln
