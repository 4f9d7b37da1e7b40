// Shape inference for the ops that fusion passes create (see the end of ir/ops.def).
#include "absl/strings/str_cat.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

absl::Status ExpectFloat(const InferContext& ctx, int i) {
  if (!IsFloat(ctx.input_dtype(i))) {
    return ctx.Error(absl::StrCat("input ", i, " must be a float tensor, got ",
                                  DTypeName(ctx.input_dtype(i))));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InferSkipNorm(InferContext& ctx) {
  const std::string norm = ctx.node().attr_string("norm");
  if (norm != "layer" && norm != "rms") return ctx.Error("norm must be \"layer\" or \"rms\"");
  if (norm == "rms" && ctx.has_input(3)) return ctx.Error("an rms norm takes no bias");
  RETURN_IF_ERROR(ExpectFloat(ctx, 0));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2, 3}));
  if (ctx.input_rank(0) < 1 || ctx.input_rank(2) != 1) {
    return ctx.Error("x must have rank >= 1 and scale rank 1");
  }
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims,
                   ctx.BroadcastShapes(ctx.input_dims(0), ctx.input_dims(1)));
  RETURN_IF_ERROR(ctx.Unify(dims.back(), ctx.input_dims(2)[0]));
  if (ctx.has_input(3)) {
    if (ctx.input_rank(3) != 1) return ctx.Error("bias must have rank 1");
    RETURN_IF_ERROR(ctx.Unify(dims.back(), ctx.input_dims(3)[0]));
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) ctx.SetOutput(i, ctx.input_dtype(0), dims);
  return absl::OkStatus();
}

absl::Status InferFusedMatMul(InferContext& ctx) {
  const Node& n = ctx.node();
  RETURN_IF_ERROR(ExpectFloat(ctx, 0));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1}));
  // The epilogue operands (bias, residual) have the output's dtype, as cuBLASLt's C and bias
  // have D's.
  DType out_dtype = ctx.input_dtype(0);
  if (const std::string* to = n.attrs().FindAs<std::string>("to")) {
    std::optional<DType> dt = ParseDType(*to);
    if (!dt || !IsFloat(*dt)) {
      return ctx.Error(absl::StrCat("to '", *to, "' is not a float dtype"));
    }
    out_dtype = *dt;
  }
  for (int i : {2, 3}) {
    if (ctx.has_input(i) && ctx.input_dtype(i) != out_dtype) {
      return ctx.Error(absl::StrCat("input ", i, " is ", DTypeName(ctx.input_dtype(i)),
                                    "; the bias and residual must have the output's dtype ",
                                    DTypeName(out_dtype)));
    }
  }
  const std::string act = n.attr_string("activation");
  if (act != "none" && act != "relu" && act != "gelu" && act != "gelu_tanh" && act != "silu") {
    return ctx.Error(absl::StrCat("unknown activation '", act, "'"));
  }
  std::vector<DimExpr> a = ctx.input_dims(0), b = ctx.input_dims(1);
  if (a.size() < 2 || b.size() < 2) return ctx.Error("operands must have rank >= 2");
  if (n.attr_int("trans_a")) std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (n.attr_int("trans_b")) std::swap(b[b.size() - 1], b[b.size() - 2]);
  RETURN_IF_ERROR(ctx.Unify(a.back(), b[b.size() - 2]));
  std::vector<DimExpr> batch_a(a.begin(), a.end() - 2), batch_b(b.begin(), b.end() - 2);
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims, ctx.BroadcastShapes(batch_a, batch_b));
  dims.push_back(a[a.size() - 2]);
  dims.push_back(b.back());
  if (ctx.has_input(2)) {
    if (ctx.input_rank(2) != 1) return ctx.Error("bias must have rank 1");
    RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(2)[0], dims.back()));
  }
  if (ctx.has_input(3)) {
    ASSIGN_OR_RETURN(std::vector<DimExpr> with_residual,
                     ctx.BroadcastShapes(dims, ctx.input_dims(3)));
    if (with_residual != dims) return ctx.Error("the residual must not widen the output");
  }
  ctx.SetOutput(0, out_dtype, dims);
  return absl::OkStatus();
}

absl::Status InferFusedAttention(InferContext& ctx) {
  const Node& n = ctx.node();
  for (int i = 0; i < 3; ++i) RETURN_IF_ERROR(ExpectFloat(ctx, i));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
  int64_t hq = n.attr_int("num_heads"), hkv = n.attr_int("kv_num_heads");
  if (hq <= 0 || hkv <= 0 || hq % hkv != 0) {
    return ctx.Error(absl::StrCat("num_heads ", hq, " must be a positive multiple of kv_num_heads ", hkv));
  }
  const std::string mask = n.attr_string("mask"), layout = n.attr_string("layout");
  const std::string empty = n.attr_string("empty_rows");
  if (mask != "none" && mask != "padding" && mask != "causal" && mask != "both") {
    return ctx.Error(absl::StrCat("unknown mask kind '", mask, "'"));
  }
  if (empty != "zero" && empty != "uniform") return ctx.Error("empty_rows must be zero or uniform");
  bool needs_key_mask = mask == "padding" || mask == "both";
  if (needs_key_mask != ctx.has_input(3)) {
    return ctx.Error(absl::StrCat("mask '", mask, "' ", needs_key_mask ? "needs" : "takes no",
                                  " key_mask input"));
  }
  const auto& q = ctx.input_dims(0);
  const auto& k = ctx.input_dims(1);
  const auto& v = ctx.input_dims(2);
  DimExpr batch, skv;
  if (n.attr_int("packed") != 0) {
    if (layout != "bsd" || q.size() != 3) return ctx.Error("packed q/k/v need layout bsd, 3-D");
    for (int i : {1, 2}) {
      for (int d = 0; d < 3; ++d) RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(i)[d], q[d]));
    }
    std::optional<int64_t> width = q[2].as_const();
    const int64_t heads = hq + 2 * hkv;
    if (!width || *width % heads != 0) {
      return ctx.Error(absl::StrCat("packed q/k/v width ", q[2].ToString(),
                                    " is not a constant multiple of ", heads, " heads"));
    }
    batch = q[0];
    skv = q[1];
    ctx.SetOutput(0, ctx.input_dtype(0), {q[0], q[1], DimExpr(*width / heads * hq)});
  } else if (layout == "bhsd") {
    if (q.size() != 4 || k.size() != 4 || v.size() != 4) return ctx.Error("bhsd inputs must be 4-D");
    RETURN_IF_ERROR(ctx.Unify(q[1], DimExpr(hq)));
    RETURN_IF_ERROR(ctx.Unify(k[1], DimExpr(hkv)));
    RETURN_IF_ERROR(ctx.Unify(v[1], DimExpr(hkv)));
    RETURN_IF_ERROR(ctx.Unify(q[3], k[3]));
    for (int d : {0, 2}) RETURN_IF_ERROR(ctx.Unify(k[d], v[d]));
    RETURN_IF_ERROR(ctx.Unify(q[0], k[0]));
    batch = q[0];
    skv = k[2];
    ctx.SetOutput(0, ctx.input_dtype(0), {q[0], q[1], q[2], v[3]});
  } else if (layout == "bsd") {
    if (q.size() != 3 || k.size() != 3 || v.size() != 3) return ctx.Error("bsd inputs must be 3-D");
    for (int d : {0, 1}) RETURN_IF_ERROR(ctx.Unify(k[d], v[d]));
    RETURN_IF_ERROR(ctx.Unify(q[0], k[0]));
    // q's last dim is Hq*D and k's Hkv*D, so Hkv*q = Hq*k.
    RETURN_IF_ERROR(ctx.Unify(q[2] * DimExpr(hkv), k[2] * DimExpr(hq)));
    batch = q[0];
    skv = k[1];
    DimExpr dv = DimExpr::FloorDiv(v[2], DimExpr(hkv));
    ctx.SetOutput(0, ctx.input_dtype(0), {q[0], q[1], dv * DimExpr(hq)});
  } else {
    return ctx.Error(absl::StrCat("unknown layout '", layout, "'"));
  }
  if (ctx.has_input(3)) {
    if (ctx.input_rank(3) != 2) return ctx.Error("key_mask must be [batch, kv_seq]");
    RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(3)[0], batch));
    RETURN_IF_ERROR(ctx.Unify(ctx.input_dims(3)[1], skv));
  }
  if (ctx.has_input(4)) {
    RETURN_IF_ERROR(ExpectFloat(ctx, 4));
    if (ctx.input_rank(4) > 4) return ctx.Error("bias must have rank <= 4");
  }
  return absl::OkStatus();
}

absl::Status InferDimValues(InferContext& ctx) {
  const auto* dims = ctx.node().attrs().FindAs<std::vector<DimExpr>>("value");
  bool scalar = ctx.node().attr_int("scalar") != 0;
  if (scalar && dims->size() != 1) return ctx.Error("a scalar DimValues holds exactly one dim");
  for (const DimExpr& d : *dims) {
    if (!d.is_valid()) return ctx.Error("invalid dim expression");
  }
  ctx.SetOutput(0, DType::kI64,
                scalar ? std::vector<DimExpr>{} : std::vector<DimExpr>{DimExpr(static_cast<int64_t>(dims->size()))});
  ctx.SetOutputSym(0, *dims);
  return absl::OkStatus();
}

absl::Status InferFusedKernel(InferContext& ctx) {
  const Graph* body = ctx.node().body();
  if (body == nullptr) return ctx.Error("a FusedKernel needs a body");
  if (static_cast<int>(body->inputs().size()) != ctx.num_inputs() ||
      static_cast<int>(body->outputs().size()) != ctx.num_outputs()) {
    return ctx.Error("body inputs/outputs do not match the node's");
  }
  // Dims are unified rather than compared: a fused body may hold the op that unified a
  // data-dependent dim (a Range's length) with a known one, so a re-inferred outer graph only
  // learns that equality here.
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const TensorType& want = body->inputs()[i]->type();
    const TensorType& have = ctx.input_type(i);
    absl::Status match = want.dtype == have.dtype && want.rank() == have.rank()
                             ? absl::OkStatus()
                             : absl::InvalidArgumentError("dtype or rank differ");
    for (int64_t d = 0; match.ok() && d < want.rank(); ++d) {
      match = ctx.Unify(want.dims[d], have.dims[d]);
    }
    if (!match.ok()) {
      return ctx.Error(absl::StrCat("body input ", i, " has type ", want.ToString(),
                                    ", node input has ", have.ToString()));
    }
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) ctx.SetOutput(i, body->outputs()[i]->type());
  return absl::OkStatus();
}

}  // namespace kiln
