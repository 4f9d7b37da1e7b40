// The ONNX Attention op (opset 23) as FusedAttention. It fits when only Y is used, there is no
// KV cache input (past_key/past_value), no softcap, a causal mask only over equal query and key
// lengths (ONNX aligns is_causal top-left without a cache, FusedAttention bottom-right), and an
// attn_mask, if any, spans every key (ONNX pads a shorter one with -inf). The mask becomes the
// additive bias (a boolean one as Where(mask, 0, -inf)); ONNX zeroes rows whose bias drops every
// key, which is FusedAttention's empty_rows "zero". softmax_precision only asks for at least
// that precision, which the fused op's float softmax gives.
#include <cmath>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/fuse_attention_patterns.h"

namespace kiln {
namespace {

// Why `n` cannot become a FusedAttention, or "" if it can.
std::string Misfit(const Graph& graph, const Node& n) {
  absl::flat_hash_set<const Value*> outputs(graph.outputs().begin(), graph.outputs().end());
  for (int i = 1; i < n.num_outputs(); ++i) {
    if (!n.output(i)->uses().empty() || outputs.contains(n.output(i))) {
      return absl::StrCat("its output ", i, " (present KV or qk_matmul_output) is used");
    }
  }
  if (n.input(4) != nullptr || n.input(5) != nullptr) return "it has a past KV cache";
  if (n.attr_float("softcap") != 0) return "it soft-caps the scores";
  const auto& q = n.input(0)->type().dims;
  const auto& k = n.input(1)->type().dims;
  const int64_t seq_axis = q.size() == 4 ? 2 : 1;
  if (n.attr_int("is_causal") != 0 && !(q[seq_axis] == k[seq_axis])) {
    return "is_causal without a cache is top-left aligned, and the query and key lengths may "
           "differ";
  }
  if (n.input(3) != nullptr && !(n.input(3)->type().dims.back() == k[seq_axis])) {
    return "attn_mask is shorter than the keys (ONNX pads it with -inf)";
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
  z->set_type({t, {}});
  Value* m = graph.AddConstant(minus_inf);
  m->set_type({t, {}});
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
    ASSIGN_OR_RETURN(Value * bias, Bias(graph, n));
    std::vector<Value*> inputs = {n->input(0), n->input(1), n->input(2)};
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
    if (!fused.ok() || (*fused)->output(0)->type() != n->output(0)->type()) {
      std::string why = fused.ok() ? absl::StrCat("the fused output type ",
                                                  (*fused)->output(0)->type().ToString(),
                                                  " differs from ", n->output(0)->type().ToString())
                                   : std::string(fused.status().message());
      if (fused.ok()) EraseDeadProducers(graph, {(*fused)->output(0)});
      if (bias != n->input(3)) EraseDeadProducers(graph, {bias});
      return why;
    }
    Value* old = n->output(0);
    RETURN_IF_ERROR(ReplaceValue(graph, old, (*fused)->output(0)));
    EraseDeadProducers(graph, {old});
    return std::string();
  }

  absl::flat_hash_set<const Node*> refused_;
};

}  // namespace

std::unique_ptr<RewritePattern> CreateOnnxAttentionPattern() {
  return std::make_unique<OnnxAttentionPattern>();
}

}  // namespace kiln
