// Shape inference: Attention (opset 23) and RotaryEmbedding (opset 23), with 3-D inputs whose
// hidden dim packs the heads, and 4-D [batch, heads, seq, head] inputs.
#include "absl/strings/str_cat.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

// The per-head size of a packed hidden dim: hidden / heads, which must divide exactly.
absl::StatusOr<DimExpr> HeadSize(InferContext& ctx, const DimExpr& hidden, int64_t heads,
                                 absl::string_view what) {
  if (auto h = hidden.as_const(); h && *h % heads != 0) {
    return ctx.Error(
        absl::StrCat(what, " hidden size ", *h, " is not divisible by ", heads, " heads"));
  }
  DimExpr head = DimExpr::FloorDiv(hidden, DimExpr(heads));
  RETURN_IF_ERROR(ctx.Unify(hidden, head * DimExpr(heads)));
  return ctx.Canon(head);
}

// Reads a required-for-3-D head-count attribute, which must be positive when present.
absl::StatusOr<std::optional<int64_t>> HeadsAttr(const InferContext& ctx, absl::string_view name) {
  std::optional<int64_t> v = ctx.node().attr_int_opt(name);
  if (v && *v <= 0) return ctx.Error(absl::StrCat(name, " must be positive, got ", *v));
  return v;
}

// Checks that the mask broadcasts to [batch, q_heads, q_seq, total]; its last dim may be
// shorter than total (the kernel pads it with masked positions).
absl::Status CheckAttentionMask(InferContext& ctx, const std::vector<DimExpr>& target) {
  DType t = ctx.input_dtype(3);
  if (t != DType::kBool && t != ctx.input_dtype(0)) {
    return ctx.Error(absl::StrCat("attn_mask must be bool or ", DTypeName(ctx.input_dtype(0)),
                                  ", got ", DTypeName(t)));
  }
  const std::vector<DimExpr>& mask = ctx.input_dims(3);
  if (mask.empty() || mask.size() > 4) return ctx.Error("attn_mask must have rank 1 to 4");
  for (size_t i = 0; i < mask.size(); ++i) {
    const DimExpr& want = target[4 - mask.size() + i];
    const DimExpr& got = mask[i];
    if (i + 1 == mask.size()) {
      if (auto g = got.as_const(), w = want.as_const(); g && w && *g > *w) {
        return ctx.Error(
            absl::StrCat("attn_mask last dim ", *g, " exceeds the total sequence length ", *w));
      }
      RETURN_IF_ERROR(ctx.Assume(got, DimConstraint::Kind::kLe, want));
      continue;
    }
    if (got.as_const() == 1) continue;
    if (got.is_const() && want.is_const() && got != want) {
      return ctx.Error(absl::StrCat("attn_mask ", ctx.input_type(3).ToString(),
                                    " does not broadcast to ", DimsToString(target)));
    }
    RETURN_IF_ERROR(ctx.Unify(got, want));
  }
  return absl::OkStatus();
}

absl::Status CheckAttentionAttrs(const InferContext& ctx) {
  int64_t mode = ctx.node().attr_int("qk_matmul_output_mode");
  if (mode < 0 || mode > 3) {
    return ctx.Error(absl::StrCat("qk_matmul_output_mode ", mode, " must be in 0..3"));
  }
  if (auto p = ctx.node().attr_int_opt("softmax_precision")) {
    if (*p != 1 && *p != 10 && *p != 11 && *p != 16) {
      return ctx.Error(absl::StrCat("softmax_precision ", *p,
                                    " must be 1 (float), 10 (float16), 11 (double) or 16 "
                                    "(bfloat16)"));
    }
  }
  if (auto s = ctx.node().attr_float_opt("scale"); s && !(*s >= 0)) {
    return ctx.Error(absl::StrCat("scale ", *s, " must be >= 0 (Q and K are scaled by its root)"));
  }
  return absl::OkStatus();
}

// The dims every Attention output is made of.
struct AttnShape {
  DimExpr batch, q_heads, kv_heads, q_seq, kv_seq, total, head, v_head;
};

// Reads the dims of Q, K and V (3-D with head-count attributes, or 4-D) and unifies those the
// op requires equal.
absl::StatusOr<AttnShape> QkvShape(InferContext& ctx) {
  const int64_t rank = ctx.input_rank(0);
  if (rank != 3 && rank != 4) return ctx.Error("Q must be 3-D or 4-D");
  if (ctx.input_rank(1) != rank || ctx.input_rank(2) != rank) {
    return ctx.Error(absl::StrCat("Q, K and V must have the same rank, got ",
                                  ctx.input_type(0).ToString(), ", ", ctx.input_type(1).ToString(),
                                  ", ", ctx.input_type(2).ToString()));
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> q_heads_attr, HeadsAttr(ctx, "q_num_heads"));
  ASSIGN_OR_RETURN(std::optional<int64_t> kv_heads_attr, HeadsAttr(ctx, "kv_num_heads"));
  const std::vector<DimExpr>& q = ctx.input_dims(0);
  const std::vector<DimExpr>& k = ctx.input_dims(1);
  const std::vector<DimExpr>& v = ctx.input_dims(2);
  AttnShape s;
  s.batch = q[0];
  if (rank == 3) {
    if (!q_heads_attr || !kv_heads_attr) {
      return ctx.Error("3-D inputs need the q_num_heads and kv_num_heads attributes");
    }
    s.q_heads = *q_heads_attr;
    s.kv_heads = *kv_heads_attr;
    s.q_seq = q[1];
    s.kv_seq = k[1];
    ASSIGN_OR_RETURN(s.head, HeadSize(ctx, q[2], *q_heads_attr, "Q"));
    ASSIGN_OR_RETURN(DimExpr k_head, HeadSize(ctx, k[2], *kv_heads_attr, "K"));
    RETURN_IF_ERROR(ctx.Unify(k_head, s.head));
    ASSIGN_OR_RETURN(s.v_head, HeadSize(ctx, v[2], *kv_heads_attr, "V"));
    RETURN_IF_ERROR(ctx.Unify(v[1], s.kv_seq));
  } else {
    s.q_heads = q[1];
    s.kv_heads = k[1];
    s.q_seq = q[2];
    s.kv_seq = k[2];
    s.head = q[3];
    s.v_head = v[3];
    if (q_heads_attr) RETURN_IF_ERROR(ctx.Unify(s.q_heads, *q_heads_attr));
    if (kv_heads_attr) RETURN_IF_ERROR(ctx.Unify(s.kv_heads, *kv_heads_attr));
    RETURN_IF_ERROR(ctx.Unify(v[1], s.kv_heads));
    RETURN_IF_ERROR(ctx.Unify(v[2], s.kv_seq));
    if (k[3].is_const() && s.head.is_const() && k[3] != s.head) {
      return ctx.Error(
          absl::StrCat("Q head size ", s.head.ToString(), " differs from K's ", k[3].ToString()));
    }
    RETURN_IF_ERROR(ctx.Unify(k[3], s.head));
  }
  RETURN_IF_ERROR(ctx.Unify(k[0], s.batch));
  RETURN_IF_ERROR(ctx.Unify(v[0], s.batch));
  if (auto hq = ctx.Canon(s.q_heads).as_const(), hk = ctx.Canon(s.kv_heads).as_const();
      hq && hk && (*hk == 0 || *hq % *hk != 0)) {
    return ctx.Error(absl::StrCat(*hq, " query heads are not a multiple of ", *hk, " KV heads"));
  }
  s.total = s.kv_seq;
  return s;
}

// Checks past_key [batch, kv_heads, past, head] and past_value [..., v_head]; the total
// sequence becomes past + kv_seq.
absl::Status AddPast(InferContext& ctx, AttnShape& s) {
  if (ctx.has_input(4) != ctx.has_input(5)) {
    return ctx.Error("past_key and past_value must be given together");
  }
  if (!ctx.has_input(4)) return absl::OkStatus();
  const std::vector<DimExpr>& pk = ctx.input_dims(4);
  const std::vector<DimExpr>& pv = ctx.input_dims(5);
  if (pk.size() != 4 || pv.size() != 4) return ctx.Error("past_key and past_value must be 4-D");
  const std::pair<DimExpr, DimExpr> must_equal[] = {
      {pk[0], s.batch},    {pk[1], s.kv_heads}, {pk[3], s.head},  {pv[0], s.batch},
      {pv[1], s.kv_heads}, {pv[2], pk[2]},      {pv[3], s.v_head}};
  for (const auto& [got, want] : must_equal) RETURN_IF_ERROR(ctx.Unify(got, want));
  s.total = pk[2] + s.kv_seq;
  return absl::OkStatus();
}

}  // namespace

absl::Status InferAttention(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kF32, DType::kF16, DType::kBF16, DType::kF64}));
  for (int i : {1, 2, 4, 5}) {
    if (ctx.has_input(i) && ctx.input_dtype(i) != ctx.input_dtype(0)) {
      return ctx.Unsupported(absl::StrCat("input ", i, " has dtype ", DTypeName(ctx.input_dtype(i)),
                                          " but Q has ", DTypeName(ctx.input_dtype(0)),
                                          " (mixed Q and K/V dtypes)"));
    }
  }
  RETURN_IF_ERROR(CheckAttentionAttrs(ctx));
  ASSIGN_OR_RETURN(AttnShape s, QkvShape(ctx));
  RETURN_IF_ERROR(AddPast(ctx, s));
  auto c = [&](const DimExpr& d) { return ctx.Canon(d); };
  if (ctx.has_input(3)) {
    RETURN_IF_ERROR(CheckAttentionMask(ctx, {c(s.batch), c(s.q_heads), c(s.q_seq), c(s.total)}));
  }
  const DType t = ctx.input_dtype(0);
  if (ctx.input_rank(0) == 4) {
    ctx.SetOutput(0, t, {c(s.batch), c(s.q_heads), c(s.q_seq), c(s.v_head)});
  } else {
    ctx.SetOutput(0, t, {c(s.batch), c(s.q_seq), c(s.q_heads * s.v_head)});
  }
  if (ctx.num_outputs() > 1)
    ctx.SetOutput(1, t, {c(s.batch), c(s.kv_heads), c(s.total), c(s.head)});
  if (ctx.num_outputs() > 2) {
    ctx.SetOutput(2, t, {c(s.batch), c(s.kv_heads), c(s.total), c(s.v_head)});
  }
  if (ctx.num_outputs() > 3) {
    ctx.SetOutput(3, t, {c(s.batch), c(s.q_heads), c(s.q_seq), c(s.total)});
  }
  return absl::OkStatus();
}

absl::Status InferRotaryEmbedding(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kF32, DType::kF16, DType::kBF16}));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
  const std::vector<DimExpr>& x = ctx.input_dims(0);
  ASSIGN_OR_RETURN(std::optional<int64_t> num_heads, HeadsAttr(ctx, "num_heads"));
  DimExpr batch, seq, head;
  if (x.size() == 4) {
    batch = x[0];
    seq = x[2];
    head = x[3];
    if (num_heads) RETURN_IF_ERROR(ctx.Unify(x[1], *num_heads));
  } else if (x.size() == 3) {
    if (!num_heads) return ctx.Error("3-D input needs the num_heads attribute");
    batch = x[0];
    seq = x[1];
    ASSIGN_OR_RETURN(head, HeadSize(ctx, x[2], *num_heads, "input"));
  } else {
    return ctx.Error(absl::StrCat("input must be 3-D or 4-D, got ", ctx.input_type(0).ToString()));
  }
  const int64_t rot_attr = ctx.node().attr_int("rotary_embedding_dim");
  DimExpr rot = rot_attr == 0 ? ctx.Canon(head) : DimExpr(rot_attr);
  if (rot_attr < 0) return ctx.Error("rotary_embedding_dim must be >= 0");
  if (auto r = rot.as_const(); r && *r % 2 != 0) {
    return ctx.Error(absl::StrCat("rotary dim ", *r, " must be even"));
  }
  if (auto r = rot.as_const(), h = ctx.Canon(head).as_const(); r && h && *r > *h) {
    return ctx.Error(absl::StrCat("rotary_embedding_dim ", *r, " exceeds the head size ", *h));
  }
  DimExpr half = DimExpr::FloorDiv(rot, DimExpr(2));
  const std::vector<DimExpr>& cos = ctx.input_dims(1);
  const std::vector<DimExpr>& sin = ctx.input_dims(2);
  const size_t cache_rank = ctx.has_input(3) ? 2 : 3;
  if (cos.size() != cache_rank || sin.size() != cache_rank) {
    return ctx.Error(absl::StrCat(
        "cos_cache and sin_cache must be ", cache_rank, "-D ",
        ctx.has_input(3) ? "[max_position, rotary_dim/2]" : "[batch, seq, rotary_dim/2]", ", got ",
        ctx.input_type(1).ToString(), " and ", ctx.input_type(2).ToString()));
  }
  for (size_t i = 0; i < cache_rank; ++i) RETURN_IF_ERROR(ctx.Unify(sin[i], cos[i]));
  if (auto got = ctx.Canon(cos.back()).as_const(), want = ctx.Canon(half).as_const();
      got && want && *got != *want) {
    return ctx.Error(absl::StrCat("cos_cache last dim ", *got, " must be rotary_dim/2 = ", *want));
  }
  RETURN_IF_ERROR(ctx.Unify(cos.back(), half));
  if (ctx.has_input(3)) {
    RETURN_IF_ERROR(ctx.ExpectDType(3, {DType::kI64}));
    if (ctx.input_rank(3) != 2) return ctx.Error("position_ids must be 2-D [batch, seq]");
    RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(3)[0], batch));
    RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(3)[1], seq));
  } else {
    RETURN_IF_ERROR(ctx.Unify(cos[0], batch));
    RETURN_IF_ERROR(ctx.Unify(cos[1], seq));
  }
  std::vector<DimExpr> out;
  for (const DimExpr& d : x) out.push_back(ctx.Canon(d));
  ctx.SetOutput(0, ctx.input_dtype(0), std::move(out));
  return absl::OkStatus();
}

}  // namespace kiln
