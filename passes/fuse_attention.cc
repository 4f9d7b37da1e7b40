// fuse-attention: rewrites scaled-dot-product attention subgraphs into FusedAttention.
//
// Structure (passes/attention_match.h): MatMul(Softmax(mask(c * Q'K'^T)), V') with Q, K, V
// traced back through the exporters' layout chains to [B, H, S, D] tensors, grouped-query
// repeats recognised as kv_num_heads. Semantics: the mask steps are classified by running them
// on probes (passes/attention_mask.h) as none / padding / causal / both; a mask that adds other
// values becomes FusedAttention's additive `bias` with mask "none". Every candidate is then
// checked end to end: the original subgraph and the FusedAttention replacement (once with
// empty_rows "zero", once "uniform") run on the same probes with random Q, K, V, and the graph
// is rewritten only if one of them matches on every probe (relative L2 <= 1e-5, or 1e-2 for
// 16-bit floats, whose every op rounds). Anything refused leaves the graph as it was and a note
// saying why. ONNX's opset-23 Attention op is rewritten too where its semantics fit
// (passes/fuse_attention_onnx.cc).
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/attention_match.h"
#include "passes/fuse_attention_patterns.h"
#include "passes/node_checkpoint.h"
#include "passes/passes.h"
#include "passes/pattern.h"
#include "runtime/compare.h"

namespace kiln {
namespace {

// One way to express the matched attention as a FusedAttention.
struct Plan {
  MaskKind kind = MaskKind::kNone;
  const Value* key_mask = nullptr;  // Graph input read by padding.
  Value* bias = nullptr;
};

Value* ScalarI64(Graph& graph, int64_t x) {
  Value* v = graph.AddConstant(Tensor::Scalar<int64_t>(x));
  v->set_sym_value(std::vector<DimExpr>{DimExpr(x)});
  return v;
}

// Gather(src, Range(0, dim `dim` of `sized`), axis): the leading part of `src` along `axis` that
// matches `sized`, failing at run time like the exporters' own gathers if `src` is shorter.
absl::StatusOr<Value*> GatherPrefix(Graph& graph, Value* src, int64_t axis, Value* sized,
                                    int64_t dim, Node* before) {
  const std::string base = absl::StrCat(before->name(), "/key_mask");
  Attributes sa;
  sa.Set("start", dim);
  sa.Set("end", dim + 1);
  ASSIGN_OR_RETURN(Node * shape,
                   AddInferredNode(graph, OpKind::kShape, {sized}, 1, sa, base, before));
  ASSIGN_OR_RETURN(
      Node * n, AddInferredNode(graph, OpKind::kSqueeze, {shape->output(0)}, 1, {}, base, before));
  ASSIGN_OR_RETURN(Node * range,
                   AddInferredNode(graph, OpKind::kRange,
                                   {ScalarI64(graph, 0), n->output(0), ScalarI64(graph, 1)}, 1, {},
                                   base, before));
  Attributes ga;
  ga.Set("axis", axis);
  ASSIGN_OR_RETURN(Node * g, AddInferredNode(graph, OpKind::kGather, {src, range->output(0)}, 1, ga,
                                             base, before));
  return g->output(0);
}

// The key mask as [B, Skv] (`q` and `k` are the [B, H, S, D] bases): the graph input itself
// when its dims already are those.
absl::StatusOr<Value*> KeyMaskInput(Graph& graph, Node* root, const Value* input, Value* q,
                                    Value* k) {
  Value* km = const_cast<Value*>(input);
  const auto& dims = km->type().dims;
  if (!(dims[0] == q->type().dims[0])) {
    ASSIGN_OR_RETURN(km, GatherPrefix(graph, km, 0, q, 0, root));
  }
  if (!(dims[1] == k->type().dims[2])) {
    ASSIGN_OR_RETURN(km, GatherPrefix(graph, km, 1, k, 2, root));
  }
  return km;
}

// The base as [B, H, S, D]: a Transpose when it was found in another order.
absl::StatusOr<Value*> Materialize(Graph& graph, const HeadsBase& base, Node* root) {
  if (base.perm.empty()) return base.value;
  Attributes a;
  a.Set("perm", base.perm);
  ASSIGN_OR_RETURN(Node * t, AddInferredNode(graph, OpKind::kTranspose, {base.value}, 1, a,
                                             absl::StrCat(root->name(), "/bhsd"), root));
  return t->output(0);
}

// Adds FusedAttention nodes for `plan` with empty_rows "zero" and "uniform" (on failure the
// caller rolls back what was added).
absl::StatusOr<std::vector<Node*>> AddCandidates(Graph& graph, const AttentionMatch& m,
                                                 const Plan& plan) {
  std::vector<Value*> inputs;
  for (const HeadsBase* b : {&m.q, &m.k, &m.v}) {
    ASSIGN_OR_RETURN(Value * in, Materialize(graph, *b, m.root));
    inputs.push_back(in);
  }
  if (plan.key_mask != nullptr || plan.bias != nullptr) {
    Value* km = nullptr;
    if (plan.key_mask != nullptr) {
      ASSIGN_OR_RETURN(km, KeyMaskInput(graph, m.root, plan.key_mask, inputs[0], inputs[1]));
    }
    inputs.push_back(km);
  }
  if (plan.bias != nullptr) inputs.push_back(plan.bias);
  std::vector<Node*> nodes;
  for (const char* empty : {"zero", "uniform"}) {
    Attributes a;
    a.Set("num_heads", m.num_heads);
    a.Set("kv_num_heads", m.kv_num_heads);
    a.Set("scale", static_cast<float>(m.scale));
    a.Set("mask", std::string(MaskKindName(plan.kind)));
    a.Set("empty_rows", std::string(empty));
    ASSIGN_OR_RETURN(Node * n,
                     AddInferredNode(graph, OpKind::kFusedAttention, inputs, 1, a,
                                     absl::StrCat(m.root->name(), "/fused_attention"), m.root));
    nodes.push_back(n);
  }
  return nodes;
}

// Runs the original and the candidates on every probe; returns which candidates always match.
absl::StatusOr<std::vector<bool>> Verify(const Graph& graph, const AttentionMatch& m,
                                         const Plan& plan, const std::vector<Node*>& candidates,
                                         double* worst) {
  std::vector<Value*> outputs = {m.root->output(0)};
  for (Node* n : candidates) outputs.push_back(n->output(0));
  ASSIGN_OR_RETURN(Subgraph sub,
                   ExtractSubgraph(graph, outputs, {m.q.value, m.k.value, m.v.value}));
  const ProbeSpec spec = MaskProbeSpec(graph, plan.key_mask, m.qk->output(0)->type());
  std::vector<bool> ok(candidates.size(), true);
  // 16-bit graphs round every op, which the fused op does not: only their own tolerance can
  // tell a wrong rewrite from rounding.
  const DType dtype = m.root->output(0)->type().dtype;
  const double tolerance = dtype == DType::kF16 || dtype == DType::kBF16 ? 1e-2 : 1e-5;
  for (int p = 0; p < kNumProbes; ++p) {
    ASSIGN_OR_RETURN(Probe probe, MakeProbe(sub, spec, p));
    ASSIGN_OR_RETURN(std::vector<Tensor> out, RunProbe(sub, probe));
    for (size_t c = 0; c < candidates.size(); ++c) {
      CompareResult r = CompareTensors(out[c + 1], out[0], tolerance);
      ok[c] = ok[c] && r.ok;
      if (!r.ok) *worst = std::max(*worst, r.error);
    }
  }
  return ok;
}

// Rewrites with `plan` if a candidate verifies; otherwise leaves the graph as it was and
// returns the reason.
absl::StatusOr<std::string> TryPlan(Graph& graph, const AttentionMatch& m, const Plan& plan) {
  const NodeCheckpoint checkpoint(graph);
  absl::StatusOr<std::vector<Node*>> candidates = AddCandidates(graph, m, plan);
  double worst = 0;
  absl::StatusOr<std::vector<bool>> ok =
      candidates.ok() ? Verify(graph, m, plan, *candidates, &worst)
                      : absl::StatusOr<std::vector<bool>>(candidates.status());
  int chosen = -1;
  for (size_t c = 0; ok.ok() && c < ok->size(); ++c) {
    if ((*ok)[c]) {
      chosen = static_cast<int>(c);
      break;
    }
  }
  if (chosen < 0) {
    checkpoint.Rollback(graph);
    if (!candidates.ok()) return std::string(candidates.status().message());
    if (!ok.ok()) return absl::StrCat("probing the rewrite failed: ", ok.status().message());
    return absl::StrCat("the FusedAttention (mask ", MaskKindName(plan.kind),
                        plan.bias ? ", bias" : "",
                        ") differs from the original on probes (relative L2 error ", worst, ")");
  }
  for (size_t c = 0; c < candidates->size(); ++c) {
    if (static_cast<int>(c) != chosen) EraseDeadProducers(graph, {(*candidates)[c]->output(0)});
  }
  Value* old = m.root->output(0);
  RETURN_IF_ERROR(ReplaceValue(graph, old, (*candidates)[chosen]->output(0)));
  EraseDeadProducers(graph, {old});
  return std::string();
}

// The plans worth trying for `m`'s mask, best first; empty with `why` set if none.
std::vector<Plan> PlanMask(const Graph& graph, const AttentionMatch& m, std::string* why) {
  if (m.steps.empty()) return {Plan{}};
  std::vector<Plan> plans;
  absl::StatusOr<MaskClass> mask = ClassifyMask(graph, m.steps, m.qk->output(0)->type());
  if (mask.ok()) {
    plans.push_back({mask->kind, mask->key_mask, nullptr});
  } else {
    *why = absl::StrCat("the mask is not canonical: ", mask.status().message());
  }
  // An additive term alone can always be passed through as a bias.
  const bool one_add = m.steps.size() == 1 && m.steps[0].kind == MaskStep::Kind::kAdd;
  if (one_add && !m.scale_outside_masks && IsFloat(m.steps[0].value->type().dtype)) {
    plans.push_back({MaskKind::kNone, nullptr, m.steps[0].value});
  } else if (!mask.ok()) {
    absl::StrAppend(why, m.scale_outside_masks ? "; it is scaled with the scores"
                                               : "; it is not a single additive term");
  }
  return plans;
}

class FuseAttentionPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "fuse-attention"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    if (refused_.contains(root)) return false;
    absl::StatusOr<std::optional<AttentionMatch>> match = MatchAttention(graph, root);
    if (match.ok() && !match->has_value()) return false;
    std::string why;
    if (!match.ok()) {
      why = std::string(match.status().message());
    } else {
      for (const Plan& plan : PlanMask(graph, **match, &why)) {
        ASSIGN_OR_RETURN(std::string failed, TryPlan(graph, **match, plan));
        if (failed.empty()) return true;
        why = failed;
      }
    }
    refused_.insert(root);
    ctx.Note(absl::StrCat("fuse-attention: ", root->name(), ": ", why));
    return false;
  }

 private:
  absl::flat_hash_set<const Node*> refused_;
};

}  // namespace

std::unique_ptr<Pass> CreateFuseAttention() {
  std::vector<std::unique_ptr<RewritePattern>> patterns;
  patterns.push_back(std::make_unique<FuseAttentionPattern>());
  patterns.push_back(CreateOnnxAttentionPattern());
  return MakePatternPass("fuse-attention", std::move(patterns));
}

}  // namespace kiln
