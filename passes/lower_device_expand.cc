// lower-device's expansions of RotaryEmbedding and patch-embedding Conv into primitive ops.
//
// RotaryEmbedding (ONNX 23): x is viewed as [B, H, S, D] (4-D) or [B, S, H, D] (3-D input
// [B, S, H*D] reshaped with num_heads). The cos/sin rows are cache[position_ids] (a Gather) or
// the [B, S, R/2] caches themselves, unsqueezed over the head axis. The rotated pairs are
// x1 = x[..., :R/2], x2 = x[..., R/2:R], or x[..., 0:R:2], x[..., 1:R:2] when interleaved;
// out = (cos x1 - sin x2, sin x1 + cos x2), concatenated (interleaved: unsqueezed, concatenated
// on a new last axis and reshaped back to R), then concatenated with the unrotated x[..., R:].
// Everything is computed in f32 (as the reference kernel does) and cast back once.
//
// Patch-embedding Conv (2-D, stride == kernel, no padding, dilation 1, group 1): with
// x [N, C, H, W] and w [O, C, kh, kw], Ho = H / kh, Wo = W / kw (floor, as the conv drops the
// remainder), im2col is Slice (only if the remainder is nonzero) -> Reshape
// [N, C, Ho, kh, Wo, kw] -> Transpose [N, Ho, Wo, C, kh, kw] -> Reshape [N, Ho*Wo, C*kh*kw];
// then FusedMatMul(patches, Reshape(w, [O, C*kh*kw]), bias, trans_b) gives [N, Ho*Wo, O],
// and Transpose + Reshape give NCHW back. When the model immediately flattens and transposes
// back to [N, Ho*Wo, O] (a ViT), that pair is cancelled and the GEMM output used directly;
// when FusedKernels read the NCHW output (the same flatten/transpose already fused by -O3),
// they are inlined so the planner fuses the layout nodes into their re-formed kernel.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/fused_kernel_builder.h"
#include "passes/lower_device_rewrites.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

absl::StatusOr<bool> Leave(PassContext& ctx, const Node* n, absl::string_view why) {
  ctx.Note(absl::StrCat("lower-device: ", n->name(), ": ", n->op_name(), " stays (", why, ")"));
  return false;
}

// The rotated part of x4 (its last axis holds D >= rot entries); cos/sin broadcast to
// x4[..., :rot/2].
absl::StatusOr<Value*> Rotate(LoweringBuilder& b, Value* x4, Value* cos, Value* sin, int64_t rot,
                              bool interleaved) {
  const int64_t half = rot / 2;
  Value* axis = b.Ints({3});
  std::vector<Value*> x1_in = {x4, b.Ints({0}), b.Ints({interleaved ? rot : half}), axis};
  std::vector<Value*> x2_in = {x4, b.Ints({interleaved ? 1 : half}), b.Ints({rot}), axis};
  if (interleaved) {
    x1_in.push_back(b.Ints({2}));
    x2_in.push_back(b.Ints({2}));
  }
  ASSIGN_OR_RETURN(Value * x1, b.Add(OpKind::kSlice, x1_in));
  ASSIGN_OR_RETURN(Value * x2, b.Add(OpKind::kSlice, x2_in));
  ASSIGN_OR_RETURN(Value * cx1, b.Add(OpKind::kMul, {cos, x1}));
  ASSIGN_OR_RETURN(Value * sx2, b.Add(OpKind::kMul, {sin, x2}));
  ASSIGN_OR_RETURN(Value * sx1, b.Add(OpKind::kMul, {sin, x1}));
  ASSIGN_OR_RETURN(Value * cx2, b.Add(OpKind::kMul, {cos, x2}));
  ASSIGN_OR_RETURN(Value * o1, b.Add(OpKind::kSub, {cx1, sx2}));
  ASSIGN_OR_RETURN(Value * o2, b.Add(OpKind::kAdd, {sx1, cx2}));
  if (!interleaved) return b.Add(OpKind::kConcat, {o1, o2}, OneAttr("axis", int64_t{3}));
  ASSIGN_OR_RETURN(Value * u1, b.Add(OpKind::kUnsqueeze, {o1, b.Ints({4})}));
  ASSIGN_OR_RETURN(Value * u2, b.Add(OpKind::kUnsqueeze, {o2, b.Ints({4})}));
  ASSIGN_OR_RETURN(Value * pairs, b.Add(OpKind::kConcat, {u1, u2}, OneAttr("axis", int64_t{4})));
  return b.Add(OpKind::kReshape, {pairs, b.Ints({0, 0, 0, rot})});
}

absl::StatusOr<Value*> ExpandRotaryNodes(LoweringBuilder& b, const Node& n, int64_t heads,
                                         int64_t head, int64_t rot) {
  Value* x = n.input(0);
  const bool packed = x->type().rank() == 3;
  ASSIGN_OR_RETURN(Value * xf, b.CastTo(x, DType::kF32));
  Value* x4 = xf;
  if (packed) {
    ASSIGN_OR_RETURN(x4, b.Add(OpKind::kReshape, {xf, b.Ints({0, 0, heads, head})}));
  }
  std::vector<Value*> trig;
  for (int i : {1, 2}) {
    Value* c = n.input(i);
    if (n.input(3) != nullptr) {
      ASSIGN_OR_RETURN(c, b.Add(OpKind::kGather, {c, n.input(3)}, OneAttr("axis", int64_t{0})));
    }
    ASSIGN_OR_RETURN(c, b.CastTo(c, DType::kF32));
    // [B, S, R/2] -> [B, 1, S, R/2] against [B, H, S, D]; [B, S, 1, R/2] against [B, S, H, D].
    ASSIGN_OR_RETURN(c, b.Add(OpKind::kUnsqueeze, {c, b.Ints({packed ? 2 : 1})}));
    trig.push_back(c);
  }
  const bool interleaved = n.attr_int("interleaved") != 0;
  ASSIGN_OR_RETURN(Value * y, Rotate(b, x4, trig[0], trig[1], rot, interleaved));
  if (rot < head) {
    ASSIGN_OR_RETURN(Value * rest,
                     b.Add(OpKind::kSlice, {x4, b.Ints({rot}), b.Ints({head}), b.Ints({3})}));
    ASSIGN_OR_RETURN(y, b.Add(OpKind::kConcat, {y, rest}, OneAttr("axis", int64_t{3})));
  }
  if (packed) {
    ASSIGN_OR_RETURN(y, b.Add(OpKind::kReshape, {y, b.Ints({0, 0, heads * head})}));
  }
  return b.CastTo(y, x->type().dtype);
}

}  // namespace

absl::StatusOr<bool> ExpandRotary(Graph& graph, Node* n, PassContext& ctx) {
  const TensorType& t = n->input(0)->type();
  std::optional<int64_t> heads, head;
  if (t.rank() == 4) {
    heads = t.dims[1].as_const();
    head = t.dims[3].as_const();
  } else if (t.rank() == 3) {
    heads = n->attr_int_opt("num_heads");
    std::optional<int64_t> hidden = t.dims[2].as_const();
    if (heads && *heads > 0 && hidden && *hidden % *heads == 0) head = *hidden / *heads;
  }
  if (!head) return Leave(ctx, n, "the head size is not a known constant");
  int64_t rot = n->attr_int("rotary_embedding_dim");
  if (rot == 0) rot = *head;
  if (rot <= 0 || rot % 2 != 0 || rot > *head) return Leave(ctx, n, "invalid rotary dim");
  LoweringBuilder b(graph, n);
  absl::StatusOr<Value*> y = ExpandRotaryNodes(b, *n, heads.value_or(0), *head, rot);
  if (!y.ok()) {
    b.Rollback();
    return Leave(ctx, n, y.status().message());
  }
  RETURN_IF_ERROR(ReplaceValue(graph, n->output(0), *y));
  graph.RemoveNode(n);
  return true;
}

namespace {

// Why `n` is not a patch-embedding Conv whose shapes are all known, or nullopt.
std::optional<std::string> NotPatchConv(const Node& n) {
  const TensorType& x = n.input(0)->type();
  const TensorType& w = n.input(1)->type();
  if (x.rank() != 4 || w.rank() != 4) return "not a 2-D convolution";
  if (x.dtype != DType::kF32 && x.dtype != DType::kF16 && x.dtype != DType::kBF16) {
    return "cuBLASLt runs f32, f16 and bf16";
  }
  for (int i : {1, 2, 3}) {
    if (!x.dims[i].as_const()) return "input channels or spatial size not constant";
  }
  for (const DimExpr& d : w.dims) {
    if (!d.as_const()) return "weight shape not constant";
  }
  const int64_t kh = *w.dims[2].as_const(), kw = *w.dims[3].as_const();
  if (n.attr_int("group") != 1) return "grouped";
  const std::string pad = n.attr_string("auto_pad");
  if (pad != "NOTSET" && pad != "VALID") return "auto_pad " + pad;
  auto all = [&](const char* name, int64_t want) {
    const std::vector<int64_t>* v = n.attr_ints(name);
    if (v == nullptr) return true;
    for (int64_t e : *v) {
      if (e != want) return false;
    }
    return true;
  };
  if (!all("dilations", 1)) return "dilated";
  if (!all("pads", 0)) return "padded";
  if (const std::vector<int64_t>* k = n.attr_ints("kernel_shape");
      k != nullptr && *k != std::vector<int64_t>{kh, kw}) {
    return "kernel_shape differs from the weight";
  }
  const std::vector<int64_t>* s = n.attr_ints("strides");
  if (s == nullptr ? (kh != 1 || kw != 1) : *s != std::vector<int64_t>{kh, kw}) {
    return "stride differs from the kernel size";
  }
  if (*x.dims[2].as_const() < kh || *x.dims[3].as_const() < kw) return "input smaller than a patch";
  return std::nullopt;
}

// The model's Reshape/Flatten to [N, O, L] + Transpose back to [N, L, O] after conv output
// `y`, when `g` ([N, L, O]) can replace the transpose's output; else null.
Node* PatchTranspose(const Graph& graph, Value* y, Value* g) {
  if (!HasSingleUse(graph, y)) return nullptr;
  Node* u = y->uses()[0].user;
  if ((u->op() != OpKind::kReshape && u->op() != OpKind::kFlatten) || u->input(0) != y) {
    return nullptr;
  }
  const std::vector<DimExpr>& gd = g->type().dims;
  if (u->output(0)->type().dims != std::vector<DimExpr>{gd[0], gd[2], gd[1]} ||
      !HasSingleUse(graph, u->output(0))) {
    return nullptr;
  }
  Node* t = u->output(0)->uses()[0].user;
  const std::vector<int64_t>* perm = t->attr_ints("perm");
  if (t->op() != OpKind::kTranspose || perm == nullptr || *perm != std::vector<int64_t>{0, 2, 1} ||
      t->output(0)->type() != g->type()) {
    return nullptr;
  }
  return t;
}

absl::StatusOr<Value*> PatchGemm(LoweringBuilder& b, const Node& n) {
  Value* x = n.input(0);
  const std::vector<DimExpr>& xd = x->type().dims;
  const std::vector<DimExpr>& wd = n.input(1)->type().dims;
  const int64_t c = *xd[1].as_const(), h = *xd[2].as_const(), w = *xd[3].as_const();
  const int64_t o = *wd[0].as_const(), kh = *wd[2].as_const(), kw = *wd[3].as_const();
  const int64_t ho = h / kh, wo = w / kw;
  if (h % kh != 0 || w % kw != 0) {
    ASSIGN_OR_RETURN(
        x, b.Add(OpKind::kSlice, {x, b.Ints({0, 0}), b.Ints({ho * kh, wo * kw}), b.Ints({2, 3})}));
  }
  ASSIGN_OR_RETURN(x, b.Add(OpKind::kReshape, {x, b.Ints({0, c, ho, kh, wo, kw})}));
  ASSIGN_OR_RETURN(
      x, b.Add(OpKind::kTranspose, {x}, OneAttr("perm", std::vector<int64_t>{0, 2, 4, 1, 3, 5})));
  ASSIGN_OR_RETURN(x, b.Add(OpKind::kReshape, {x, b.Ints({0, ho * wo, c * kh * kw})}));
  ASSIGN_OR_RETURN(Value * wm, b.Add(OpKind::kReshape, {n.input(1), b.Ints({o, c * kh * kw})}));
  std::vector<Value*> inputs = {x, wm};
  if (n.input(2) != nullptr) inputs.push_back(n.input(2));
  return b.Add(OpKind::kFusedMatMul, inputs, OneAttr("trans_b", int64_t{1}));
}

}  // namespace

absl::StatusOr<bool> LowerPatchConv(Graph& graph, Node* n, PassContext& ctx) {
  if (std::optional<std::string> why = NotPatchConv(*n)) {
    return Leave(ctx, n, absl::StrCat("not a patch embedding: ", *why));
  }
  LoweringBuilder b(graph, n);
  absl::StatusOr<Value*> g = PatchGemm(b, *n);
  if (!g.ok()) {
    b.Rollback();
    return Leave(ctx, n, g.status().message());
  }
  Value* y = n->output(0);
  if (Node* t = PatchTranspose(graph, y, *g)) {
    Node* u = t->input(0)->producer();
    RETURN_IF_ERROR(ReplaceValue(graph, t->output(0), *g));
    graph.RemoveNode(t);
    graph.RemoveNode(u);
    graph.RemoveNode(n);
    return true;
  }
  const std::vector<DimExpr>& yd = y->type().dims;
  ASSIGN_OR_RETURN(Value * back,
                   b.Add(OpKind::kTranspose, {*g}, OneAttr("perm", std::vector<int64_t>{0, 2, 1})));
  ASSIGN_OR_RETURN(
      Value * nchw,
      b.Add(OpKind::kReshape,
            {back, b.Ints({0, *yd[1].as_const(), *yd[2].as_const(), *yd[3].as_const()})}));
  RETURN_IF_ERROR(ReplaceValue(graph, y, nchw));
  graph.RemoveNode(n);
  // Kernels that read the NCHW output (a ViT's flatten/transpose fused with the embeddings'
  // norm) are inlined so the lowering planner re-fuses them with the layout nodes, which then
  // become index arithmetic instead of a copy kernel.
  std::vector<Node*> users;
  for (const Use& u : nchw->uses()) {
    if (u.user->op() == OpKind::kFusedKernel &&
        std::find(users.begin(), users.end(), u.user) == users.end()) {
      users.push_back(u.user);
    }
  }
  for (Node* k : users) RETURN_IF_ERROR(InlineFusedKernel(graph, k));
  return true;
}

}  // namespace kiln
