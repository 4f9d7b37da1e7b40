// lower-device's GEMM and Split rewrites, and the node builder its rewrites share.
//
// cuBLASLt runs one strided batch (runtime/cuda/gemm_plan.h, PlanFusedMatMul): each operand's
// batch dims must be all 1 (one matrix, stride 0) or, left-padded with 1s, the whole output
// batch. An operand that broadcasts only part of the batch is Expanded to the whole batch (a
// copy kernel) rather than left unexecutable. Epilogue parts cuBLASLt lacks (erf GELU, SiLU, a
// residual after an activation or of another shape, a bias that is not [N]) move into
// elementwise nodes after the GEMM, in the order act(x @ w + bias) + residual evaluates them.
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/gemm_util.h"
#include "passes/lower_device.h"
#include "passes/lower_device_rewrites.h"
#include "passes/pattern.h"

namespace kiln {

LoweringBuilder::LoweringBuilder(Graph& graph, Node* before)
    : graph_(graph), before_(before), name_(absl::StrCat(before->name(), "/lower")) {}

absl::StatusOr<Value*> LoweringBuilder::Add(OpKind op, std::vector<Value*> inputs,
                                            Attributes attrs) {
  ASSIGN_OR_RETURN(Node * n, AddInferredNode(graph_, op, std::move(inputs), 1, std::move(attrs),
                                             name_, before_));
  added_.push_back(n);
  return n->output(0);
}

Value* LoweringBuilder::Ints(const std::vector<int64_t>& values) {
  const int64_t n = static_cast<int64_t>(values.size());
  Value* c = graph_.AddConstant(Tensor::FromVector<int64_t>(values, {n}));
  c->set_sym_value(std::vector<DimExpr>(values.begin(), values.end()));
  added_.push_back(c->producer());
  return c;
}

void LoweringBuilder::Rollback() {
  for (auto it = added_.rbegin(); it != added_.rend(); ++it) graph_.RemoveNode(*it);
  added_.clear();
}

absl::StatusOr<Value*> LoweringBuilder::Dims(const std::vector<DimExpr>& values) {
  std::vector<int64_t> ints;
  for (const DimExpr& d : values) {
    std::optional<int64_t> c = d.as_const();
    if (!c) return Add(OpKind::kDimValues, {}, OneAttr("value", values));
    ints.push_back(*c);
  }
  return Ints(ints);
}

absl::StatusOr<Value*> LoweringBuilder::CastTo(Value* v, DType to) {
  if (v->type().dtype == to) return v;
  return Add(OpKind::kCast, {v}, OneAttr("to", std::string(DTypeName(to))));
}

Attributes OneAttr(absl::string_view name, AttrValue value) {
  Attributes a;
  a.Set(name, std::move(value));
  return a;
}

bool BatchFits(const std::vector<DimExpr>& dims, const std::vector<DimExpr>& out_batch) {
  if (dims.size() < 2 || dims.size() - 2 > out_batch.size()) return false;
  const size_t batch = dims.size() - 2;
  bool single = true;
  for (size_t i = 0; i < batch; ++i) single &= dims[i] == DimExpr(1);
  if (single) return true;
  const size_t pad = out_batch.size() - batch;
  for (size_t i = 0; i < out_batch.size(); ++i) {
    const DimExpr d = i < pad ? DimExpr(1) : dims[i - pad];
    if (d != out_batch[i]) return false;
  }
  return true;
}

namespace {

// `v` itself when cuBLASLt can batch it against `out_batch`, else v expanded to that batch.
absl::StatusOr<Value*> FitBatch(LoweringBuilder& b, Value* v,
                                const std::vector<DimExpr>& out_batch) {
  const std::vector<DimExpr>& dims = v->type().dims;
  if (BatchFits(dims, out_batch)) return v;
  std::vector<DimExpr> shape = out_batch;
  shape.insert(shape.end(), dims.end() - 2, dims.end());
  ASSIGN_OR_RETURN(Value * s, b.Dims(shape));
  return b.Add(OpKind::kExpand, {v, s});
}

std::vector<DimExpr> OutBatch(const Node& n) {
  const std::vector<DimExpr>& out = n.output(0)->type().dims;
  return std::vector<DimExpr>(out.begin(), out.end() - std::min<size_t>(2, out.size()));
}

bool GemmDType(DType t) { return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16; }

absl::StatusOr<Value*> Activation(LoweringBuilder& b, Value* v, const std::string& act) {
  if (act == "relu") return b.Add(OpKind::kRelu, {v});
  if (act == "silu") return b.Add(OpKind::kSilu, {v});
  if (act == "gelu") return b.Add(OpKind::kGelu, {v});
  if (act == "gelu_tanh") return b.Add(OpKind::kGelu, {v}, OneAttr("approximate", "tanh"));
  return absl::InternalError(absl::StrCat("unknown FusedMatMul activation ", act));
}

// MatMul with a vector operand (ONNX: a 1-D a is a [1, K] row, a 1-D b a [K, 1] column, and
// the added dim is dropped from the result) as Unsqueeze -> FusedMatMul -> Squeeze (views).
absl::StatusOr<Value*> VectorMatMul(LoweringBuilder& b, const Node& n) {
  Value* a = n.input(0);
  Value* w = n.input(1);
  const bool row = a->type().rank() == 1, column = w->type().rank() == 1;
  if (row) {
    ASSIGN_OR_RETURN(a, b.Add(OpKind::kUnsqueeze, {a, b.Ints({0})}));
  }
  if (column) {
    ASSIGN_OR_RETURN(w, b.Add(OpKind::kUnsqueeze, {w, b.Ints({1})}));
  }
  const int64_t rank = std::max(a->type().rank(), w->type().rank());
  // The result keeps the batch dims; the dims dropped for vectors are its last ones.
  const std::vector<DimExpr>& out = n.output(0)->type().dims;
  const std::vector<DimExpr> out_batch(out.begin(),
                                       out.begin() + std::min<size_t>(rank - 2, out.size()));
  ASSIGN_OR_RETURN(a, FitBatch(b, a, out_batch));
  ASSIGN_OR_RETURN(w, FitBatch(b, w, out_batch));
  ASSIGN_OR_RETURN(Value * y, b.Add(OpKind::kFusedMatMul, {a, w}));
  std::vector<int64_t> axes;
  if (row) axes.push_back(rank - 2);
  if (column) axes.push_back(rank - 1);
  return b.Add(OpKind::kSqueeze, {y, b.Ints(axes)});
}

}  // namespace

absl::StatusOr<bool> LowerMatMul(Graph& graph, Node* n, PassContext& ctx) {
  const int64_t ra = n->input(0)->type().rank(), rb = n->input(1)->type().rank();
  if (GemmDType(n->output(0)->type().dtype) && ra >= 1 && rb >= 1 && (ra == 1 || rb == 1)) {
    LoweringBuilder b(graph, n);
    absl::StatusOr<Value*> y = VectorMatMul(b, *n);
    if (!y.ok()) {
      b.Rollback();
      ctx.Note(
          absl::StrCat("lower-device: ", n->name(), ": MatMul stays (", y.status().message(), ")"));
      return false;
    }
    RETURN_IF_ERROR(ReplaceValue(graph, n->output(0), *y));
    graph.RemoveNode(n);
    return true;
  }
  std::string why;
  std::optional<GemmSpec> spec = ReadGemm(*n, &why);
  if (spec && !GemmDType(n->output(0)->type().dtype)) why = "cuBLASLt runs f32, f16 and bf16";
  if (!spec || !why.empty()) {
    ctx.Note(absl::StrCat("lower-device: ", n->name(), ": ", n->op_name(), " stays (", why, ")"));
    return false;
  }
  LoweringBuilder b(graph, n);
  const std::vector<DimExpr> out_batch = OutBatch(*n);
  ASSIGN_OR_RETURN(spec->a, FitBatch(b, spec->a, out_batch));
  ASSIGN_OR_RETURN(spec->b, FitBatch(b, spec->b, out_batch));
  ASSIGN_OR_RETURN(Node * f, EmitFusedMatMul(graph, *spec, n->output(0), n, n->name()));
  // A Gemm's C can be a bias or residual cuBLASLt cannot take.
  RETURN_IF_ERROR(LowerFusedMatMul(graph, f, ctx).status());
  return true;
}

absl::StatusOr<bool> LowerFusedMatMul(Graph& graph, Node* n, PassContext& ctx) {
  const DType out_dtype = n->output(0)->type().dtype;
  if (!ctx.exact_gelu && n->attr_string("activation") == "gelu" &&
      (out_dtype == DType::kF16 || out_dtype == DType::kBF16)) {
    n->mutable_attrs().Set("activation", std::string("gelu_tanh"));
    ctx.Note(absl::StrCat("lower-device: ", n->name(), ": 16-bit erf GELU epilogue computed in "
                          "the tanh form (cuBLASLt's; --exact-gelu keeps erf)"));
    if (!CublasLtRefusal(*n)) return true;
  }
  if (!CublasLtRefusal(*n)) return false;
  std::string why;
  std::optional<GemmSpec> spec = ReadGemm(*n, &why);
  const TensorType& t = n->output(0)->type();
  if (spec && !GemmDType(t.dtype)) why = "cuBLASLt runs f32, f16 and bf16";
  if (!spec || !why.empty()) {
    ctx.Note(absl::StrCat("lower-device: ", n->name(), ": FusedMatMul stays (", why, ")"));
    return false;
  }
  LoweringBuilder b(graph, n);
  const std::vector<DimExpr> out_batch = OutBatch(*n);
  ASSIGN_OR_RETURN(Value * a, FitBatch(b, spec->a, out_batch));
  ASSIGN_OR_RETURN(Value * w, FitBatch(b, spec->b, out_batch));
  const std::string& act = spec->activation;
  const bool bias_ok = spec->bias == nullptr || (spec->bias->type().dims.size() == 1 &&
                                                 spec->bias->type().dims[0] == t.dims.back());
  const bool act_ok = bias_ok && (act == "none" || act == "relu" || act == "gelu_tanh");
  const std::string gemm_act = act_ok ? act : "none";
  const bool residual_in =
      spec->residual != nullptr && act_ok && act == "none" && spec->residual->type().dims == t.dims;
  std::vector<Value*> inputs = {a, w, bias_ok ? spec->bias : nullptr,
                                residual_in ? spec->residual : nullptr};
  while (inputs.back() == nullptr) inputs.pop_back();
  Attributes attrs;
  attrs.Set("trans_a", int64_t{spec->trans_a});
  attrs.Set("trans_b", int64_t{spec->trans_b});
  attrs.Set("alpha", spec->alpha);
  attrs.Set("activation", gemm_act);
  ASSIGN_OR_RETURN(Value * v, b.Add(OpKind::kFusedMatMul, inputs, std::move(attrs)));
  if (!bias_ok) {
    ASSIGN_OR_RETURN(v, b.Add(OpKind::kAdd, {v, spec->bias}));
  }
  if (gemm_act != act) {
    ASSIGN_OR_RETURN(v, Activation(b, v, act));
  }
  if (spec->residual != nullptr && !residual_in) {
    ASSIGN_OR_RETURN(v, b.Add(OpKind::kAdd, {v, spec->residual}));
  }
  RETURN_IF_ERROR(ReplaceValue(graph, n->output(0), v));
  graph.RemoveNode(n);
  return true;
}

absl::StatusOr<bool> LowerSplit(Graph& graph, Node* n, PassContext& ctx) {
  if (IsHostValueNode(*n)) return false;
  Value* x = n->input(0);
  const int64_t rank = x->type().rank();
  int64_t axis = n->attr_int("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  LoweringBuilder b(graph, n);
  std::vector<Value*> slices;
  DimExpr offset(0);
  for (int i = 0; i < n->num_outputs(); ++i) {
    const DimExpr end = offset + n->output(i)->type().dims[axis];
    absl::StatusOr<Value*> starts = b.Dims({offset});
    absl::StatusOr<Value*> ends = starts.ok() ? b.Dims({end}) : starts;
    absl::StatusOr<Value*> s =
        ends.ok() ? b.Add(OpKind::kSlice, {x, *starts, *ends, b.Ints({axis})}) : ends;
    if (!s.ok() || (*s)->type() != n->output(i)->type()) {
      ctx.Note(absl::StrCat("lower-device: ", n->name(), ": Split stays (output ", i,
                            " is not a Slice: ", s.ok() ? "type differs" : s.status().message(),
                            ")"));
      b.Rollback();
      return false;
    }
    slices.push_back(*s);
    offset = end;
  }
  for (int i = 0; i < n->num_outputs(); ++i) {
    RETURN_IF_ERROR(ReplaceValue(graph, n->output(i), slices[i]));
  }
  graph.RemoveNode(n);
  return true;
}

}  // namespace kiln
