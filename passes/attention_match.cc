#include "passes/attention_match.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

absl::Status Miss(absl::string_view why) { return absl::FailedPreconditionError(why); }

// A constant factor: one element, rank at most `rank`, float.
std::optional<double> Factor(const Value* v, int64_t rank) {
  const Tensor* t = ConstantOf(v);
  if (t == nullptr || t->num_elements() != 1 || t->rank() > rank || !IsFloat(t->dtype())) {
    return std::nullopt;
  }
  return t->GetAsDouble(0);
}

// True when `v` is computed from a MatMul through Add/Mul/Div/Where only (the scores side of
// a mask step, as opposed to the mask term).
bool ReachesMatMul(const Value* v, int depth) {
  const Node* n = v ? v->producer() : nullptr;
  if (n == nullptr || depth == 0) return false;
  switch (n->op()) {
    case OpKind::kMatMul:
      return true;
    case OpKind::kAdd:
    case OpKind::kMul:
    case OpKind::kDiv:
    case OpKind::kWhere:
      return std::any_of(n->inputs().begin(), n->inputs().end(),
                         [&](const Value* in) { return ReachesMatMul(in, depth - 1); });
    default:
      return false;
  }
}

// Walks from the softmax input to the scores MatMul, collecting scale and mask steps.
absl::Status ParseScores(Value* x, AttentionMatch& m, std::vector<const Node*>& chain) {
  bool seen_scale = false;
  const int64_t rank = x->type().rank();
  for (int steps = 0; steps < 16; ++steps) {
    Node* n = x->producer();
    if (n == nullptr) return Miss("the softmax input is not computed from a MatMul");
    if (n->op() == OpKind::kMatMul) {
      m.qk = n;
      std::reverse(m.steps.begin(), m.steps.end());
      return absl::OkStatus();
    }
    chain.push_back(n);
    const bool mul = n->op() == OpKind::kMul, div = n->op() == OpKind::kDiv;
    if (mul || div) {
      std::optional<double> c = Factor(n->input(1), rank);
      Value* other = n->input(0);
      if (!c && mul) {
        c = Factor(n->input(0), rank);
        other = n->input(1);
      }
      if (!c || *c <= 0)
        return Miss(absl::StrCat(n->Describe(), " is not a positive constant scale"));
      m.scale *= mul ? *c : 1.0 / *c;
      seen_scale = true;
      x = other;
      continue;
    }
    if (n->op() == OpKind::kAdd) {
      const bool r0 = ReachesMatMul(n->input(0), 8), r1 = ReachesMatMul(n->input(1), 8);
      if (r0 == r1)
        return Miss(absl::StrCat("cannot tell the scores from the mask at ", n->Describe()));
      m.steps.push_back({MaskStep::Kind::kAdd, n->input(r0 ? 1 : 0)});
      x = n->input(r0 ? 0 : 1);
    } else if (n->op() == OpKind::kWhere) {
      std::optional<double> fill_a = ConstantScalar(n->input(1));
      std::optional<double> fill_b = ConstantScalar(n->input(2));
      if (fill_a && !fill_b && ReachesMatMul(n->input(2), 8)) {
        m.steps.push_back({MaskStep::Kind::kDropWhere, n->input(0), *fill_a});
        x = n->input(2);
      } else if (fill_b && !fill_a && ReachesMatMul(n->input(1), 8)) {
        m.steps.push_back({MaskStep::Kind::kKeepWhere, n->input(0), *fill_b});
        x = n->input(1);
      } else {
        return Miss(absl::StrCat(n->Describe(), " is not Where(cond, scores, constant)"));
      }
    } else {
      return Miss(absl::StrCat("the scores pass through ", n->Describe()));
    }
    if (seen_scale) m.scale_outside_masks = true;
  }
  return Miss("the scores chain is too long");
}

// The values between the two MatMuls must not be read by anything else.
absl::Status CheckPrivate(const Graph& graph, const std::vector<const Node*>& internal,
                          const Node* root) {
  absl::flat_hash_set<const Node*> inside(internal.begin(), internal.end());
  inside.insert(root);
  absl::flat_hash_set<const Value*> outputs(graph.outputs().begin(), graph.outputs().end());
  for (const Node* n : internal) {
    const Value* out = n->output(0);
    bool private_use = !outputs.contains(out);
    for (const Use& u : out->uses()) private_use = private_use && inside.contains(u.user);
    if (!private_use)
      return Miss(absl::StrCat("'", out->name(), "' is also used outside the attention"));
  }
  return absl::OkStatus();
}

absl::Status TraceOperands(AttentionMatch& m) {
  auto q = TraceHeads(m.qk->input(0), OperandLayout::kBhsd);
  auto k = TraceHeads(m.qk->input(1), OperandLayout::kBhds);
  auto v = TraceHeads(m.root->input(1), OperandLayout::kBhsd);
  for (const auto* s : {&q, &k, &v}) {
    if (!s->ok()) return Miss(s->status().message());
  }
  m.q = *q;
  m.k = *k;
  m.v = *v;
  m.num_heads = m.q.heads;
  m.kv_num_heads = m.k.heads;
  if (m.q.group != 1 || m.k.heads != m.v.heads || m.k.heads * m.k.group != m.num_heads ||
      m.v.heads * m.v.group != m.num_heads) {
    return Miss(absl::StrCat("head counts do not fit: q ", m.q.heads, " (x", m.q.group, "), k ",
                             m.k.heads, " (x", m.k.group, "), v ", m.v.heads, " (x", m.v.group,
                             ")"));
  }
  const std::vector<DimExpr> qd = BaseDims(m.q), kd = BaseDims(m.k), vd = BaseDims(m.v);
  const auto& sd = m.qk->output(0)->type().dims;
  if (!(qd[0] == kd[0] && kd[0] == vd[0] && kd[2] == vd[2] && qd[3] == kd[3] && qd[2] == sd[2] &&
        kd[2] == sd[3])) {
    return Miss(absl::StrCat("q ", DimsToString(qd), ", k ", DimsToString(kd), ", v ",
                             DimsToString(vd), " do not fit together"));
  }
  if (m.q.value->type().dtype != m.k.value->type().dtype ||
      m.q.value->type().dtype != m.v.value->type().dtype || !IsFloat(m.q.value->type().dtype)) {
    return Miss("q, k and v are not floats of one dtype");
  }
  m.scale *= m.q.scale * m.k.scale;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<AttentionMatch>> MatchAttention(const Graph& graph, Node* root) {
  if (root->op() != OpKind::kMatMul) return std::nullopt;
  AttentionMatch m;
  m.root = root;
  std::vector<const Node*> internal;
  Value* probs = root->input(0);
  if (Node* where = ProducerOf(probs, OpKind::kWhere)) {
    Node* isnan = ProducerOf(where->input(0), OpKind::kIsNaN);
    if (isnan && IsConstantNear(where->input(1), 0.0) && where->input(2) == isnan->input(0)) {
      probs = where->input(2);
      internal = {where, isnan};
    }
  }
  Node* softmax = ProducerOf(probs, OpKind::kSoftmax);
  if (softmax == nullptr) return std::nullopt;
  const int64_t rank = probs->type().rank();
  const int64_t axis = softmax->attr_int("axis");
  if (rank != 4 || root->input(1)->type().rank() != 4) {
    return Miss("softmax @ V is not 4-D [batch, heads, seq, seq]");
  }
  if (axis != -1 && axis != rank - 1) return Miss("the softmax is not over the last axis");
  internal.push_back(softmax);
  RETURN_IF_ERROR(ParseScores(softmax->input(0), m, internal));
  internal.push_back(m.qk);
  if (m.qk->input(0)->type().rank() != 4 || m.qk->input(1)->type().rank() != 4) {
    return Miss("Q @ K^T is not 4-D");
  }
  RETURN_IF_ERROR(CheckPrivate(graph, internal, root));
  RETURN_IF_ERROR(TraceOperands(m));
  return std::optional<AttentionMatch>(std::move(m));
}

}  // namespace kiln
