// Mixed precision (--precision fp16|bf16): computes the model in the 16-bit float type T while
// its interface stays as exported.
//
// Every node with a float32 input or output computes in T, except the nodes that must stay f32:
//   - Range with float32 output, and every Cast from float32 to an integer type, with their
//     whole float32 backward slice (shape arithmetic done in float must round exactly as
//     exported, and a float Range's element count must not change);
//   - variance statistics of decomposed normalisations: ReduceMean/ReduceSum of Pow(a, 2) or
//     Mul(a, a), the square itself, and the chain after the reduction while its other operands
//     are constants (Add eps, Sqrt, Reciprocal, Div(1, .)), so squares cannot overflow f16 and
//     tiny variances keep their precision;
//   - rotary angles: a Sin/Cos whose argument derives from integer positions (through a Cast
//     from an integer type or a float Range), with the argument's float32 backward slice (the
//     frequencies too), as HF computes them in f32
//     for 16-bit models (position * frequency loses whole radians in f16 past ~1000).
// Shape reads only its input's shape and takes whichever version of it exists. Reductions and
// normalisations computed in T still accumulate in float32: the reference kernels of Softmax,
// LogSoftmax, ReduceMean/ReduceSum (AccumOf<Half> = float), LayerNormalization and
// RMSNormalization (double, statistics rounded to stash_type, which stays float32), and
// MatMul/Gemm (float accumulators) do so for 16-bit inputs, as the GPU kernels do.
//
// Float32 constants used in T are converted (a copy is made when f32 users remain), with finite
// values clamped to T's largest finite magnitude: an attention mask built from
// finfo(float32).min must become T's lowest finite value, not -inf (-inf - -inf gives NaN in
// a fully masked row). ConstantOfShape values and Cast targets of float32 become T the same way.
// Casts are inserted where an f32 value meets a T node or the other way round: after graph
// inputs, before graph outputs (which keep their names and float32 type), and around the nodes
// kept in f32. A FusedKernel computing in T has its body converted the same way, with the
// body's float32 inputs and outputs becoming T.
#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/shape_inference.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

bool IsF32(const Value* v) { return v != nullptr && v->type().dtype == DType::kF32; }

bool HasF32Input(const Node& n) {
  for (const Value* v : n.inputs()) {
    if (IsF32(v)) return true;
  }
  return false;
}

bool HasF32Output(const Node& n) {
  for (int i = 0; i < n.num_outputs(); ++i) {
    if (IsF32(n.output(i))) return true;
  }
  return false;
}

// The largest finite value of a 16-bit float type.
float MaxFinite(DType t) {
  return t == DType::kF16 ? 65504.0f : BFloat16BitsToFloat(0x7f7f);
}

// `src` (float32) as `t`, finite values clamped into t's finite range.
Tensor ConvertTensor(const Tensor& src, DType t) {
  Tensor out = *Tensor::Zeros(t, src.shape());
  const float limit = MaxFinite(t);
  const float* in = src.data<float>();
  for (int64_t i = 0; i < src.num_elements(); ++i) {
    float v = in[i];
    if (std::isfinite(v)) v = std::clamp(v, -limit, limit);
    if (t == DType::kF16) {
      out.data<Half>()[i] = Half(v);
    } else {
      out.data<BFloat16>()[i] = BFloat16(v);
    }
  }
  return out;
}

bool IsSquare(const Node* n) {
  if (n == nullptr) return false;
  if (n->op() == OpKind::kMul) return n->input(0) == n->input(1);
  return n->op() == OpKind::kPow && IsConstantNear(n->input(1), 2.0, 0);
}

// Follows the variance statistic after its reduction while the other operands are constants.
void ExtendStatistic(const Graph& graph, Node* r, absl::flat_hash_set<const Node*>& keep) {
  for (Node* cur = r;;) {
    Value* out = cur->output(0);
    if (!HasSingleUse(graph, out)) return;
    Node* u = out->uses()[0].user;
    switch (u->op()) {
      case OpKind::kAdd: case OpKind::kSub: case OpKind::kMul: case OpKind::kDiv:
      case OpKind::kSqrt: case OpKind::kReciprocal: break;
      default: return;
    }
    for (const Value* in : u->inputs()) {
      if (in != out && ConstantOf(in) == nullptr) return;
    }
    keep.insert(u);
    cur = u;
  }
}

// Marks the angle computations of rotary embeddings: a Sin/Cos whose argument derives from
// integer positions (a Cast from an integer type or a float Range), with the argument's whole
// float32 backward slice (the frequencies too).
// position * frequency loses whole radians in f16 once positions pass ~1000; sin and cos are
// in [-1, 1] and convert well afterwards.
void KeepAngles(const Graph& graph, absl::flat_hash_set<const Node*>& keep) {
  absl::flat_hash_set<const Node*> from_positions;
  for (const Node* n : graph.nodes()) {
    if (!HasF32Output(*n)) continue;
    bool source = n->op() == OpKind::kRange ||
                  (n->op() == OpKind::kCast && n->input(0) != nullptr &&
                   !IsFloat(n->input(0)->type().dtype));
    for (const Value* v : n->inputs()) {
      source |= IsF32(v) && v->producer() != nullptr && from_positions.contains(v->producer());
    }
    if (source) from_positions.insert(n);
  }
  std::vector<const Node*> work;
  for (const Node* n : graph.nodes()) {
    if ((n->op() == OpKind::kSin || n->op() == OpKind::kCos) && from_positions.contains(n)) {
      if (keep.insert(n).second) work.push_back(n);
    }
  }
  while (!work.empty()) {
    const Node* n = work.back();
    work.pop_back();
    for (const Value* v : n->inputs()) {
      const Node* p = v != nullptr ? v->producer() : nullptr;
      if (IsF32(v) && p != nullptr && keep.insert(p).second) {
        work.push_back(p);
      }
    }
  }
}

// The nodes that stay float32 (see the file comment).
absl::flat_hash_set<const Node*> KeepInF32(const Graph& graph) {
  absl::flat_hash_set<const Node*> keep;
  std::vector<const Node*> work;
  for (Node* n : graph.nodes()) {
    bool range = n->op() == OpKind::kRange && HasF32Output(*n);
    bool to_int = n->op() == OpKind::kCast && HasF32Input(*n) &&
                  IsInteger(n->output(0)->type().dtype);
    if (range || to_int) {
      if (keep.insert(n).second) work.push_back(n);
    }
    bool reduce = n->op() == OpKind::kReduceMean || n->op() == OpKind::kReduceSum;
    if (reduce && IsF32(n->output(0)) && n->input(0)->producer() != nullptr &&
        IsSquare(n->input(0)->producer()) && HasSingleUse(graph, n->input(0))) {
      keep.insert(n->input(0)->producer());
      keep.insert(n);
      ExtendStatistic(graph, n, keep);
    }
  }
  KeepAngles(graph, keep);
  while (!work.empty()) {  // The float32 backward slice of Range and float -> int Casts.
    const Node* n = work.back();
    work.pop_back();
    for (const Value* v : n->inputs()) {
      if (!IsF32(v) || v->producer() == nullptr) continue;
      if (keep.insert(v->producer()).second) work.push_back(v->producer());
    }
  }
  return keep;
}

enum class Role { kUntouched, kSource, kNeutral, kKeep, kConvert };

class Converter {
 public:
  Converter(Graph& graph, DType t, bool is_body) : graph_(graph), t_(t), is_body_(is_body) {
    for (Value* in : graph.inputs()) env_.AddSymbolsOf(in->type());
  }

  // Converts the graph; returns whether anything changed.
  absl::StatusOr<bool> Run();
  int kept() const { return kept_; }

 private:
  Role RoleOf(const Node& n) const;
  absl::StatusOr<Value*> Convert(Value* v, DType to, Node* before);
  absl::StatusOr<Value*> AddCast(Value* v, DType to, Node* before, const std::string& name);
  absl::Status RewriteNode(Node* n, Role role);
  absl::Status FixOutputs();

  Graph& graph_;
  DType t_;
  bool is_body_;
  ShapeEnv env_;
  absl::flat_hash_set<const Node*> keep_;
  absl::flat_hash_set<const Value*> was_f32_;
  absl::flat_hash_map<const Value*, Value*> as_t_, as_f32_;
  bool changed_ = false;
  int kept_ = 0;
};

bool IsSixteenBit(DType t) { return t == DType::kF16 || t == DType::kBF16; }

Role Converter::RoleOf(const Node& n) const {
  if (n.op() == OpKind::kConstant) return Role::kSource;
  if (n.op() == OpKind::kCast && n.input(0) != nullptr) {
    // A Cast between f32 and a 16-bit type is already a boundary (one this pass inserted, when
    // it runs again): leaving it keeps the pass idempotent.
    DType from = n.input(0)->type().dtype, to = n.output(0)->type().dtype;
    if ((from == DType::kF32 && IsSixteenBit(to)) || (IsSixteenBit(from) && to == DType::kF32)) {
      return Role::kUntouched;
    }
  }
  bool f32_in = false;
  for (const Value* v : n.inputs()) f32_in |= v != nullptr && was_f32_.contains(v);
  if (!f32_in && !HasF32Output(n)) return Role::kUntouched;
  if (n.op() == OpKind::kShape) return Role::kNeutral;
  return keep_.contains(&n) ? Role::kKeep : Role::kConvert;
}

absl::StatusOr<Value*> Converter::AddCast(Value* v, DType to, Node* before,
                                          const std::string& name) {
  Attributes attrs;
  attrs.Set("to", std::string(DTypeName(to)));
  Node* cast = graph_.AddNode(OpKind::kCast, {v}, 1, std::move(attrs), name, before);
  RETURN_IF_ERROR(InferNode(*cast, env_));
  return cast->output(0);
}

// `v` in dtype `to` (T or f32), made once per value: a converted copy of a constant, else a
// Cast placed before `before` (the first user that needs it).
absl::StatusOr<Value*> Converter::Convert(Value* v, DType to, Node* before) {
  auto& memo = to == DType::kF32 ? as_f32_ : as_t_;
  if (auto it = memo.find(v); it != memo.end()) return it->second;
  std::string name = graph_.UniqueValueName(absl::StrCat(v->name(), "_", DTypeName(to)));
  Value* out;
  if (const Tensor* c = ConstantOf(v); c != nullptr && to != DType::kF32) {
    out = graph_.AddConstant(ConvertTensor(*c, to), name);
    RETURN_IF_ERROR(InferNode(*out->producer(), env_));
  } else {
    ASSIGN_OR_RETURN(out, AddCast(v, to, before, name));
  }
  memo[v] = out;
  changed_ = true;
  return out;
}

absl::Status Converter::RewriteNode(Node* n, Role role) {
  if (role == Role::kKeep || role == Role::kConvert) {
    DType want = role == Role::kKeep ? DType::kF32 : t_;
    DType other = role == Role::kKeep ? t_ : DType::kF32;
    for (int i = 0; i < n->num_inputs(); ++i) {
      Value* v = n->input(i);
      if (v == nullptr || !was_f32_.contains(v) || v->type().dtype != other) continue;
      ASSIGN_OR_RETURN(Value* c, Convert(v, want, n));
      n->SetInput(i, c);
    }
  }
  if (role == Role::kConvert) {
    if (n->op() == OpKind::kCast && n->output(0)->type().dtype == DType::kF32) {
      n->mutable_attrs().Set("to", std::string(DTypeName(t_)));
      changed_ = true;
    }
    const Tensor* fill = n->op() == OpKind::kConstantOfShape
                             ? n->attrs().FindAs<Tensor>("value") : nullptr;
    if (fill != nullptr && fill->dtype() == DType::kF32) {
      n->mutable_attrs().Set("value", ConvertTensor(*fill, t_));
      changed_ = true;
    }
    if (n->body() != nullptr) {
      Converter body(*n->mutable_body(), t_, /*is_body=*/true);
      ASSIGN_OR_RETURN(bool body_changed, body.Run());
      changed_ |= body_changed;
    }
  }
  kept_ += role == Role::kKeep;
  std::vector<DType> before;
  for (int i = 0; i < n->num_outputs(); ++i) before.push_back(n->output(i)->type().dtype);
  RETURN_IF_ERROR(InferNode(*n, env_));
  for (int i = 0; i < n->num_outputs(); ++i) changed_ |= n->output(i)->type().dtype != before[i];
  return absl::OkStatus();
}

// Graph outputs keep float32 (a body's become T, matching its node).
absl::Status Converter::FixOutputs() {
  absl::flat_hash_map<const Value*, Value*> done;  // A value may be several outputs.
  for (int i = 0; i < static_cast<int>(graph_.outputs().size()); ++i) {
    Value* v = graph_.outputs()[i];
    if (auto it = done.find(v); it != done.end()) {
      graph_.SetOutput(i, it->second);
      continue;
    }
    if (!was_f32_.contains(v)) continue;
    DType want = is_body_ ? t_ : DType::kF32;
    if (v->type().dtype == want) continue;
    std::string name = v->name();
    if (!is_body_ && v->producer() != nullptr) {
      RETURN_IF_ERROR(graph_.RenameValue(
          v, graph_.UniqueValueName(absl::StrCat(name, "_", DTypeName(t_)))));
    }
    ASSIGN_OR_RETURN(Value* cast, AddCast(v, want, nullptr, is_body_ ? "" : name));
    if (!is_body_ && cast->name() != name) RETURN_IF_ERROR(graph_.RenameValue(cast, name));
    graph_.SetOutput(i, cast);
    done[v] = cast;
    changed_ = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Converter::Run() {
  for (Value* in : graph_.inputs()) {
    if (!IsF32(in)) continue;
    was_f32_.insert(in);
    if (is_body_) {  // The node feeds T now.
      in->set_type(TensorType{t_, in->type().dims});
      changed_ = true;
    }
  }
  std::vector<Node*> nodes = graph_.NodeList();
  for (Node* n : nodes) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      if (IsF32(n->output(i))) was_f32_.insert(n->output(i));
    }
  }
  keep_ = KeepInF32(graph_);
  for (Node* n : nodes) {
    Role role = RoleOf(*n);
    if (role == Role::kUntouched || role == Role::kSource) continue;
    RETURN_IF_ERROR(RewriteNode(n, role));
  }
  RETURN_IF_ERROR(FixOutputs());
  if (env_.has_bindings()) {
    return absl::InternalError("mixed-precision: re-inference unified symbols");
  }
  // Constants whose every user now reads a converted copy.
  for (Node* n : nodes) {
    if (n->op() == OpKind::kConstant && n->output(0)->uses().empty() &&
        std::find(graph_.outputs().begin(), graph_.outputs().end(), n->output(0)) ==
            graph_.outputs().end() &&
        as_t_.contains(n->output(0))) {
      graph_.RemoveNode(n);
    }
  }
  return changed_;
}

class MixedPrecision : public Pass {
 public:
  absl::string_view name() const override { return "mixed-precision"; }

  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    if (ctx.precision == DType::kF32) return false;
    if (ctx.precision != DType::kF16 && ctx.precision != DType::kBF16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "precision ", DTypeName(ctx.precision), " is not f32, f16 or bf16"));
    }
    Converter converter(graph, ctx.precision, /*is_body=*/false);
    ASSIGN_OR_RETURN(bool changed, converter.Run());
    if (converter.kept() > 0) {
      ctx.Note(absl::StrCat("mixed-precision: ", converter.kept(),
                            " nodes stay f32 (shape arithmetic, float Range, variance, rotary "
                            "angles)"));
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateMixedPrecision() { return std::make_unique<MixedPrecision>(); }

}  // namespace kiln
