// fuse-rotary: x * cos + rotate_half(x) * sin -> RotaryEmbedding (opset 23, non-interleaved).
//
// rotate_half(x) = Concat(Neg(x[..., h:]), x[..., :h]) with h = D / 2, over x [B, H, S, D].
// The exporters' cos/sin are [batch or 1, 1, S, D] = cat(freqs, freqs) along the last axis;
// RotaryEmbedding without position_ids reads cos/sin caches [B, S, D/2] and uses each half
// twice, which is only equivalent when the two halves are equal. That is proved structurally
// (HalvesEqual: a Concat(t, t) on the last axis or a constant with equal halves, through
// elementwise ops, ops constant along that axis, row gathers and layout ops that keep it);
// then the caches are the first half (a Slice), expanded to the batch when cos is shared by
// the whole batch. Anything else is refused with a note.
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/node_checkpoint.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

absl::Status Miss(absl::string_view why) { return absl::FailedPreconditionError(why); }

std::optional<std::vector<int64_t>> Ints(const Value* v) {
  const Tensor* t = v ? ConstantOf(v) : nullptr;
  if (t == nullptr || !IsInteger(t->dtype())) return std::nullopt;
  std::vector<int64_t> out;
  for (int64_t i = 0; i < t->num_elements(); ++i) out.push_back(t->GetAsInt(i));
  return out;
}

int64_t Normalize(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

// True when `v`'s last axis is constant: rank 0 or last dim 1.
bool FlatAlongLast(const Value* v) {
  return v->type().rank() == 0 || v->type().dims.back().as_const() == 1;
}

// True when constant `t`'s last axis holds two equal halves.
bool ConstantHalvesEqual(const Tensor& t) {
  if (t.rank() == 0 || t.shape().back() % 2 != 0) return false;
  const int64_t d = t.shape().back(), half = d / 2;
  for (int64_t row = 0; row < t.num_elements(); row += d) {
    for (int64_t j = 0; j < half; ++j) {
      if (t.GetAsDouble(row + j) != t.GetAsDouble(row + half + j)) return false;
    }
  }
  return true;
}

// True when `v`'s last axis provably holds two equal halves.
bool HalvesEqual(const Value* v, int depth) {
  const Node* n = v ? v->producer() : nullptr;
  if (n == nullptr || depth == 0) return false;
  const int64_t last = v->type().rank() - 1;
  const Value* in = n->input(0);
  switch (n->op()) {
    case OpKind::kConstant: {
      const Tensor* t = ConstantOf(v);
      return t != nullptr && ConstantHalvesEqual(*t);
    }
    case OpKind::kGather: {
      // Gathering rows (not along the last axis) keeps each row's halves.
      const int64_t rank = in->type().rank();
      return rank >= 1 && Normalize(n->attr_int("axis"), rank) != rank - 1 &&
             HalvesEqual(in, depth - 1);
    }
    case OpKind::kConcat:
      return n->num_inputs() == 2 && n->input(0) == n->input(1) &&
             Normalize(n->attr_int("axis"), last + 1) == last;
    case OpKind::kCos:
    case OpKind::kSin:
    case OpKind::kNeg:
    case OpKind::kIdentity:
    case OpKind::kCast:
    case OpKind::kExp:
    case OpKind::kSqrt:
    case OpKind::kReciprocal:
    case OpKind::kTanh:
    case OpKind::kSigmoid:
    case OpKind::kAbs:
      return HalvesEqual(in, depth - 1);
    case OpKind::kMul:
    case OpKind::kAdd:
    case OpKind::kSub:
    case OpKind::kDiv: {
      const Value* b = n->input(1);
      const bool ha = HalvesEqual(in, depth - 1), hb = HalvesEqual(b, depth - 1);
      return (ha || hb) && (ha || FlatAlongLast(in)) && (hb || FlatAlongLast(b));
    }
    case OpKind::kUnsqueeze: {
      auto axes = Ints(n->input(1));
      if (!axes) return false;
      for (int64_t a : *axes) {
        if (Normalize(a, last + 1) == last) return false;
      }
      return HalvesEqual(in, depth - 1);
    }
    case OpKind::kReshape:
    case OpKind::kExpand:
      return in->type().rank() >= 1 && in->type().dims.back() == v->type().dims.back() &&
             HalvesEqual(in, depth - 1);
    case OpKind::kTranspose: {
      const auto* perm = n->attr_ints("perm");
      return perm && perm->back() == last && HalvesEqual(in, depth - 1);
    }
    default:
      return false;
  }
}

// Slice(x, [start], [end], [last axis], [1]) as (start, end), or nullopt.
std::optional<std::pair<int64_t, int64_t>> LastAxisSlice(const Node& s) {
  const int64_t rank = s.input(0)->type().rank();
  auto starts = Ints(s.input(1)), ends = Ints(s.input(2));
  auto axes = s.input(3) ? Ints(s.input(3))
                         : std::optional<std::vector<int64_t>>(std::vector<int64_t>{rank - 1});
  auto steps =
      s.input(4) ? Ints(s.input(4)) : std::optional<std::vector<int64_t>>(std::vector<int64_t>{1});
  if (!starts || !ends || !axes || !steps || starts->size() != 1 || ends->size() != 1 ||
      axes->size() != 1 || steps->size() != 1 || (*steps)[0] != 1 ||
      Normalize((*axes)[0], rank) != rank - 1) {
    return std::nullopt;
  }
  return std::make_pair((*starts)[0], (*ends)[0]);
}

struct RotaryMatch {
  Value* x;
  Value* cos;
  Value* sin;
};

// Finds the rotate_half form at `add`: nullopt if absent, FailedPrecondition if it almost is.
absl::StatusOr<std::optional<RotaryMatch>> Match(const Node* add) {
  if (add->op() != OpKind::kAdd) return std::nullopt;
  for (int order = 0; order < 2; ++order) {
    Node* mc = ProducerOf(add->input(order), OpKind::kMul);
    Node* ms = ProducerOf(add->input(1 - order), OpKind::kMul);
    if (mc == nullptr || ms == nullptr) continue;
    for (int r = 0; r < 2; ++r) {
      Node* cat = ProducerOf(ms->input(r), OpKind::kConcat);
      Node* neg = cat && cat->num_inputs() == 2 ? ProducerOf(cat->input(0), OpKind::kNeg) : nullptr;
      Node* lo = neg ? ProducerOf(cat->input(1), OpKind::kSlice) : nullptr;
      Node* hi = neg ? ProducerOf(neg->input(0), OpKind::kSlice) : nullptr;
      if (lo == nullptr || hi == nullptr || lo->input(0) != hi->input(0)) continue;
      Value* x = lo->input(0);
      auto split = SplitOperands(mc, [x](Value* v) { return v == x; });
      if (!split) continue;
      const TensorType& t = x->type();
      auto d = t.rank() == 4 ? t.dims[3].as_const() : std::nullopt;
      if (!d || *d % 2 != 0) return Miss("x is not [batch, heads, seq, even head size]");
      auto lo_range = LastAxisSlice(*lo), hi_range = LastAxisSlice(*hi);
      if (Normalize(cat->attr_int("axis"), 4) != 3 || !lo_range || !hi_range ||
          lo_range->first != 0 || lo_range->second != *d / 2 || hi_range->first != *d / 2 ||
          hi_range->second < *d) {
        return Miss(
            "the rotated part is not cat(-x[..., D/2:], x[..., :D/2]) (partial, interleaved or "
            "reversed rotary)");
      }
      if (t.dtype != DType::kF32 && t.dtype != DType::kF16 && t.dtype != DType::kBF16) {
        return Miss("RotaryEmbedding takes f32, f16 or bf16");
      }
      if (add->output(0)->type() != t) return Miss("cos/sin broadcast beyond x's shape");
      return std::optional<RotaryMatch>(RotaryMatch{x, split->second, ms->input(1 - r)});
    }
  }
  return std::nullopt;
}

Value* I64s(Graph& graph, const std::vector<int64_t>& v) {
  Value* c = graph.AddConstant(Tensor::FromVector<int64_t>(v, {static_cast<int64_t>(v.size())}));
  std::vector<DimExpr> sym(v.begin(), v.end());
  c->set_sym_value(sym);
  return c;
}

// `c` (broadcast against x [B, H, S, D]) as a [B or 1, S, D] tensor, or why not.
absl::StatusOr<Value*> ThreeD(Graph& graph, Value* c, const TensorType& x, Node* before,
                              const std::string& name) {
  const auto& d = c->type().dims;
  const bool tail_ok = d.size() >= 2 && d[d.size() - 2] == x.dims[2] && d.back() == x.dims[3];
  if (!tail_ok) return Miss("cos/sin are not [.., seq, head size] like x");
  if (d.size() == 4 && d[1].as_const() == 1 && (d[0].as_const() == 1 || d[0] == x.dims[0])) {
    Node* u = ProducerOf(c, OpKind::kUnsqueeze);
    auto axes = u ? Ints(u->input(1)) : std::nullopt;
    if (axes && axes->size() == 1 && Normalize((*axes)[0], 4) == 1) return u->input(0);
    ASSIGN_OR_RETURN(Node * s, AddInferredNode(graph, OpKind::kSqueeze, {c, I64s(graph, {1})}, 1,
                                               {}, name, before));
    return s->output(0);
  }
  if (d.size() == 3 && d[0].as_const() == 1) return c;
  if (d.size() == 2) {
    ASSIGN_OR_RETURN(Node * u, AddInferredNode(graph, OpKind::kUnsqueeze, {c, I64s(graph, {0})}, 1,
                                               {}, name, before));
    return u->output(0);
  }
  return Miss("cos/sin vary over the heads or do not broadcast over the batch");
}

// The RotaryEmbedding cache for cos or sin: its first half, [B, S, D/2].
absl::StatusOr<Value*> Cache(Graph& graph, Value* c, Value* x, Node* before) {
  const std::string name = absl::StrCat(before->name(), "/rotary_cache");
  const TensorType& t = x->type();
  ASSIGN_OR_RETURN(Value * c3, ThreeD(graph, c, t, before, name));
  const int64_t half = *t.dims[3].as_const() / 2;
  ASSIGN_OR_RETURN(Node * slice,
                   AddInferredNode(graph, OpKind::kSlice,
                                   {c3, I64s(graph, {0}), I64s(graph, {half}), I64s(graph, {2})}, 1,
                                   {}, name, before));
  Value* out = slice->output(0);
  if (out->type().dims[0] == t.dims[0]) return out;
  Attributes first;
  first.Set("start", int64_t{0});
  first.Set("end", int64_t{1});
  Attributes rest;
  rest.Set("start", int64_t{1});
  ASSIGN_OR_RETURN(Node * b, AddInferredNode(graph, OpKind::kShape, {x}, 1, first, name, before));
  ASSIGN_OR_RETURN(Node * sd, AddInferredNode(graph, OpKind::kShape, {out}, 1, rest, name, before));
  Attributes axis0;
  axis0.Set("axis", int64_t{0});
  ASSIGN_OR_RETURN(Node * shape,
                   AddInferredNode(graph, OpKind::kConcat, {b->output(0), sd->output(0)}, 1, axis0,
                                   name, before));
  ASSIGN_OR_RETURN(Node * e, AddInferredNode(graph, OpKind::kExpand, {out, shape->output(0)}, 1, {},
                                             name, before));
  return e->output(0);
}

class FuseRotaryPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "fuse-rotary"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* add, Graph& graph, PassContext& ctx) override {
    if (refused_.contains(add)) return false;
    absl::StatusOr<std::optional<RotaryMatch>> m = Match(add);
    if (m.ok() && !m->has_value()) return false;
    absl::Status s = m.ok() ? Rewrite(graph, add, **m) : m.status();
    if (s.ok()) return true;
    if (!absl::IsFailedPrecondition(s) && !absl::IsInvalidArgument(s)) return s;
    refused_.insert(add);
    ctx.Note(absl::StrCat("fuse-rotary: ", add->name(), ": ", s.message()));
    return false;
  }

 private:
  absl::Status Rewrite(Graph& graph, Node* add, const RotaryMatch& m) {
    if (!HalvesEqual(m.cos, 12) || !HalvesEqual(m.sin, 12)) {
      return Miss("cannot prove that cos and sin are cat(f, f) (two equal halves)");
    }
    const NodeCheckpoint checkpoint(graph);
    absl::StatusOr<Node*> rope = BuildRotary(graph, add, m);
    if (!rope.ok()) {
      checkpoint.Rollback(graph);
      return rope.status();
    }
    Value* old = add->output(0);
    RETURN_IF_ERROR(ReplaceValue(graph, old, (*rope)->output(0)));
    EraseDeadProducers(graph, {old});
    return absl::OkStatus();
  }

  absl::StatusOr<Node*> BuildRotary(Graph& graph, Node* add, const RotaryMatch& m) {
    // Check shapes before adding anything, so a refusal leaves the graph untouched.
    for (Value* c : {m.cos, m.sin}) {
      const auto& d = c->type().dims;
      if (d.size() < 2 || d.size() > 4 || !(d.back() == m.x->type().dims[3])) {
        return Miss("cos/sin are not [.., seq, head size] like x");
      }
    }
    ASSIGN_OR_RETURN(Value * cos, Cache(graph, m.cos, m.x, add));
    ASSIGN_OR_RETURN(Value * sin, Cache(graph, m.sin, m.x, add));
    return AddInferredNode(graph, OpKind::kRotaryEmbedding, {m.x, cos, sin}, 1, {},
                           absl::StrCat(add->name(), "/rotary"), add);
  }

  absl::flat_hash_set<const Node*> refused_;
};

}  // namespace

std::unique_ptr<Pass> CreateFuseRotary() {
  return MakePatternPass("fuse-rotary", std::make_unique<FuseRotaryPattern>());
}

}  // namespace kiln
