// The ONNX Attention op (opset 23) as FusedAttention. It fits when qk_matmul_output is unused,
// there is no softcap, is_causal holds only over equal new query and key lengths (ONNX aligns
// the causal mask at the cache's end, FusedAttention at the keys' end), and an attn_mask, if
// any, spans every key (ONNX pads a shorter one with -inf). A KV cache (4-D) becomes Concats
// that also replace present_key/present_value. The mask becomes the additive bias (a boolean
// one as Where(mask, 0, -inf)); ONNX zeroes rows whose bias drops every key, which is
// FusedAttention's empty_rows "zero". softmax_precision only asks for at least that precision,
// which the fused op's float softmax gives.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/fuse_attention_patterns.h"
#include "passes/node_checkpoint.h"

namespace kiln {
namespace {

// Why `n` cannot become a FusedAttention, or "" if it can.
std::string Misfit(const Graph& graph, const Node& n) {
  const auto& q = n.input(0)->type().dims;
  const auto& k = n.input(1)->type().dims;
  const bool four_d = q.size() == 4, past = n.input(4) != nullptr;
  if (n.num_outputs() > 3 && IsUsed(graph, n.output(3))) return "its qk_matmul_output is used";
  const bool present = (n.num_outputs() > 1 && IsUsed(graph, n.output(1))) ||
                       (n.num_outputs() > 2 && IsUsed(graph, n.output(2)));
  if (!four_d && (past || present)) return "it has a KV cache over 3-D inputs";
  if (past && n.input(5) == nullptr) return "it has past_key without past_value";
  if (n.attr_float("softcap") != 0) return "it soft-caps the scores";
  const int64_t seq_axis = four_d ? 2 : 1;
  if (n.attr_int("is_causal") != 0 && !(q[seq_axis] == k[seq_axis])) {
    return "is_causal over query and key lengths that may differ (ONNX aligns it at the "
           "cache's end, FusedAttention at the keys' end)";
  }
  const DimExpr total = past ? n.input(4)->type().dims[2] + k[seq_axis] : k[seq_axis];
  if (n.input(3) != nullptr &&
      (n.input(3)->type().rank() == 0 || !(n.input(3)->type().dims.back() == total))) {
    return "attn_mask may be shorter than the keys (ONNX pads it with -inf)";
  }
  return "";
}

// Y's heads and head size from the inputs' types and attributes; false if not constant.
bool Heads(const Node& n, int64_t* heads, int64_t* kv_heads, int64_t* head) {
  const auto& q = n.input(0)->type().dims;
  const auto& k = n.input(1)->type().dims;
  if (q.size() == 4) {
    auto h = q[1].as_const(), kh = k[1].as_const(), d = q[3].as_const();
    if (!h || !kh || !d) return false;
    *heads = *h;
    *kv_heads = *kh;
    *head = *d;
    return true;
  }
  auto h = n.attr_int_opt("q_num_heads"), kh = n.attr_int_opt("kv_num_heads");
  auto hidden = q[2].as_const();
  if (!h || !kh || !hidden || *h <= 0 || *hidden % *h != 0) return false;
  *heads = *h;
  *kv_heads = *kh;
  *head = *hidden / *h;
  return true;
}

// The additive bias for attn_mask (a boolean mask as Where(mask, 0, -inf)).
absl::StatusOr<Value*> Bias(Graph& graph, Node* n) {
  Value* mask = n->input(3);
  if (mask == nullptr || mask->type().dtype != DType::kBool) return mask;
  const DType t = n->input(0)->type().dtype;
  ASSIGN_OR_RETURN(Tensor zero, Tensor::Zeros(t, {}));
  ASSIGN_OR_RETURN(Tensor minus_inf, Tensor::Zeros(t, {}));
  VisitDType(t, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, Half> ||
                  std::is_same_v<T, BFloat16>) {
      minus_inf.data<T>()[0] = T(-std::numeric_limits<float>::infinity());
    }
    return 0;
  });
  Value* z = graph.AddConstant(zero);
  Value* m = graph.AddConstant(minus_inf);
  ASSIGN_OR_RETURN(Node * w, AddInferredNode(graph, OpKind::kWhere, {mask, z, m}, 1, {},
                                             absl::StrCat(n->name(), "/bias"), n));
  return w->output(0);
}

class OnnxAttentionPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "fuse-attention-onnx"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* n, Graph& graph, PassContext& ctx) override {
    if (n->op() != OpKind::kAttention || refused_.contains(n)) return false;
    std::string why = Misfit(graph, *n);
    int64_t heads = 0, kv_heads = 0, head = 0;
    if (why.empty() && !Heads(*n, &heads, &kv_heads, &head))
      why = "its head counts are not constant";
    if (why.empty()) {
      absl::StatusOr<std::string> done = Rewrite(graph, n, heads, kv_heads, head);
      if (!done.ok()) return done.status();
      if (done->empty()) return true;
      why = *done;
    }
    refused_.insert(n);
    ctx.Note(absl::StrCat("fuse-attention: ", n->name(), ": ", why));
    return false;
  }

 private:
  // Rewrites `n`; returns "" on success, else why not (the graph unchanged).
  absl::StatusOr<std::string> Rewrite(Graph& graph, Node* n, int64_t heads, int64_t kv_heads,
                                      int64_t head) {
    const NodeCheckpoint checkpoint(graph);
    absl::StatusOr<std::string> why = Build(graph, n, heads, kv_heads, head);
    if (!why.ok() || !why->empty()) checkpoint.Rollback(graph);
    return why;
  }

  absl::StatusOr<std::string> Build(Graph& graph, Node* n, int64_t heads, int64_t kv_heads,
                                    int64_t head) {
    std::vector<Value*> kv = {n->input(1), n->input(2)};
    if (n->input(4) != nullptr) {
      Attributes axis;
      axis.Set("axis", int64_t{2});
      for (int i = 0; i < 2; ++i) {
        ASSIGN_OR_RETURN(Node * cat,
                         AddInferredNode(graph, OpKind::kConcat, {n->input(4 + i), kv[i]}, 1, axis,
                                         absl::StrCat(n->name(), "/present"), n));
        kv[i] = cat->output(0);
      }
    }
    ASSIGN_OR_RETURN(Value * bias, Bias(graph, n));
    std::vector<Value*> inputs = {n->input(0), kv[0], kv[1]};
    if (bias != nullptr) inputs.insert(inputs.end(), {nullptr, bias});
    Attributes a;
    a.Set("num_heads", heads);
    a.Set("kv_num_heads", kv_heads);
    a.Set("scale", n->attr_float_opt("scale").value_or(
                       static_cast<float>(1.0 / std::sqrt(static_cast<double>(head)))));
    a.Set("mask", std::string(n->attr_int("is_causal") != 0 ? "causal" : "none"));
    a.Set("layout", std::string(n->input(0)->type().rank() == 4 ? "bhsd" : "bsd"));
    a.Set("empty_rows", std::string("zero"));
    absl::StatusOr<Node*> fused =
        AddInferredNode(graph, OpKind::kFusedAttention, inputs, 1, a, n->name(), n);
    if (!fused.ok()) return std::string(fused.status().message());
    // Y, and present_key/present_value (the cache with the new keys/values) where used.
    const std::vector<Value*> replacements = {(*fused)->output(0), kv[0], kv[1]};
    std::vector<int> replaced;
    for (int i = 0; i < std::min(n->num_outputs(), 3); ++i) {
      if (i > 0 && !IsUsed(graph, n->output(i))) continue;
      if (replacements[i]->type() != n->output(i)->type()) {
        return absl::StrCat("the fused form of output ", i, " has type ",
                            replacements[i]->type().ToString(), ", not ",
                            n->output(i)->type().ToString());
      }
      replaced.push_back(i);
    }
    std::vector<Value*> old;
    for (int i : replaced) {
      RETURN_IF_ERROR(ReplaceValue(graph, n->output(i), replacements[i]));
      old.push_back(n->output(i));
    }
    EraseDeadProducers(graph, old);
    return std::string();
  }

  absl::flat_hash_set<const Node*> refused_;
};

}  // namespace

std::unique_ptr<RewritePattern> CreateOnnxAttentionPattern() {
  return std::make_unique<OnnxAttentionPattern>();
}

}  // namespace kiln
