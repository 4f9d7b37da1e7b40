// ExprEmitter's per-op rules: elementwise arithmetic and injective index mappings.
#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codegen/expr_emitter.h"
#include "ir/status_macros.h"

namespace kiln {
namespace {

// `name` of the C math library for compute type `ct` (expf for float, exp for double).
std::string Math(absl::string_view name, const std::string& ct) {
  return ct == "float" ? absl::StrCat(name, "f") : std::string(name);
}

absl::StatusOr<std::string> Unary(const Node& n, const std::string& ct, const std::string& a) {
  bool fp = ct == "float" || ct == "double";
  switch (n.op()) {
    case OpKind::kAbs:
      return fp ? Math("fabs", ct) + "(" + a + ")" : "(" + a + " < 0 ? -" + a + " : " + a + ")";
    case OpKind::kNeg:
      return "(-" + a + ")";
    case OpKind::kExp:
      return Math("exp", ct) + "(" + a + ")";
    case OpKind::kLog:
      return Math("log", ct) + "(" + a + ")";
    case OpKind::kSqrt:
      return Math("sqrt", ct) + "(" + a + ")";
    case OpKind::kReciprocal:
      return "((" + ct + ")1 / " + a + ")";
    case OpKind::kSin:
      return Math("sin", ct) + "(" + a + ")";
    case OpKind::kCos:
      return Math("cos", ct) + "(" + a + ")";
    case OpKind::kTanh:
      return Math("tanh", ct) + "(" + a + ")";
    case OpKind::kErf:
      return Math("erf", ct) + "(" + a + ")";
    case OpKind::kFloor:
      return Math("floor", ct) + "(" + a + ")";
    case OpKind::kCeil:
      return Math("ceil", ct) + "(" + a + ")";
    case OpKind::kSigmoid:
      return "kiln_sigmoid(" + a + ")";
    case OpKind::kSilu:
      return "kiln_silu(" + a + ")";
    case OpKind::kRelu:
      return "(" + a + " > (" + ct + ")0 ? " + a + " : (" + ct + ")0)";
    case OpKind::kNot:
      return "(!" + a + ")";
    case OpKind::kIdentity:
      return a;
    case OpKind::kIsNaN:
      return "(" + a + " != " + a + ")";
    case OpKind::kGelu:
      return (n.attr_string("approximate") == "tanh" ? "kiln_gelu_tanh(" : "kiln_gelu(") + a + ")";
    default:
      return absl::UnimplementedError(
          absl::StrCat("codegen: op ", n.op_name(), " (", n.Describe(), ") is not supported"));
  }
}

absl::StatusOr<std::string> Binary(const Node& n, const std::string& ct, const std::string& a,
                                   const std::string& b) {
  bool fp = ct == "float" || ct == "double";
  switch (n.op()) {
    case OpKind::kAdd:
      return "(" + a + " + " + b + ")";
    case OpKind::kSub:
      return "(" + a + " - " + b + ")";
    case OpKind::kMul:
      return "(" + a + " * " + b + ")";
    case OpKind::kDiv:
      return "(" + a + " / " + b + ")";
    case OpKind::kPow:
      return Math("pow", fp ? ct : "double") + "(" + a + ", (" + (fp ? ct : "double") + ")" + b +
             ")";
    case OpKind::kMod:
      if (fp || n.attr_int("fmod") != 0)
        return fp ? Math("fmod", ct) + "(" + a + ", " + b + ")" : "(" + a + " % " + b + ")";
      return "kiln_imod(" + a + ", " + b + ")";
    case OpKind::kAnd:
      return "(" + a + " && " + b + ")";
    case OpKind::kOr:
      return "(" + a + " || " + b + ")";
    case OpKind::kMax:
      return fp ? Math("fmax", ct) + "(" + a + ", " + b + ")" : "kiln_max(" + a + ", " + b + ")";
    case OpKind::kMin:
      return fp ? Math("fmin", ct) + "(" + a + ", " + b + ")" : "kiln_min(" + a + ", " + b + ")";
    case OpKind::kEqual:
      return "(" + a + " == " + b + ")";
    case OpKind::kLess:
      return "(" + a + " < " + b + ")";
    case OpKind::kLessOrEqual:
      return "(" + a + " <= " + b + ")";
    case OpKind::kGreater:
      return "(" + a + " > " + b + ")";
    case OpKind::kGreaterOrEqual:
      return "(" + a + " >= " + b + ")";
    case OpKind::kSwiGlu:
      return "(kiln_silu(" + a + ") * " + b + ")";
    default:
      return absl::UnimplementedError(
          absl::StrCat("codegen: op ", n.op_name(), " (", n.Describe(), ") is not supported"));
  }
}

// A Cast from compute type of `from` to `to`, rounding through 16-bit floats.
std::string CastExpr(DType from, DType to, const std::string& a) {
  if (to == DType::kBool) return "(" + a + " != 0)";
  std::string converted = "((" + ComputeType(to) + ")" + a + ")";
  if (to == DType::kF16 && from != DType::kF16) return "kiln_round_f16(" + converted + ")";
  if (to == DType::kBF16 && from != DType::kBF16) return "kiln_round_bf16(" + converted + ")";
  return converted;
}

}  // namespace

absl::StatusOr<std::string> ExprEmitter::EmitElementwise(const Node& n, const Index& idx) {
  const Value* out = n.output(0);
  const std::vector<DimExpr>& out_dims = out->type().dims;
  std::vector<std::string> args;
  for (int i = 0; i < n.num_inputs(); ++i) {
    const Value* in = n.input(i);
    if (in == nullptr) {
      args.push_back("");
      continue;
    }
    ASSIGN_OR_RETURN(std::string a, ValueAt(in, Broadcast(idx, out_dims, in->type().dims)));
    args.push_back(a);
  }
  std::string ct = ComputeType(out->type().dtype);
  std::string in_ct = ComputeType(n.input(0)->type().dtype);
  std::string expr;
  if (n.op() == OpKind::kCast) {
    expr = CastExpr(n.input(0)->type().dtype, out->type().dtype, args[0]);
  } else if (n.op() == OpKind::kWhere) {
    expr = "(" + args[0] + " ? " + args[1] + " : " + args[2] + ")";
  } else if (n.op() == OpKind::kClip) {
    expr = args[0];
    bool fp = ct == "float" || ct == "double";
    if (n.num_inputs() > 1 && !args[1].empty()) {
      expr = fp ? Math("fmax", ct) + "(" + expr + ", " + args[1] + ")"
                : "kiln_max(" + expr + ", " + args[1] + ")";
    }
    if (n.num_inputs() > 2 && !args[2].empty()) {
      expr = fp ? Math("fmin", ct) + "(" + expr + ", " + args[2] + ")"
                : "kiln_min(" + expr + ", " + args[2] + ")";
    }
  } else if (n.num_inputs() == 1) {
    ASSIGN_OR_RETURN(expr, Unary(n, in_ct, args[0]));
  } else if (n.num_inputs() == 2) {
    ASSIGN_OR_RETURN(expr, Binary(n, in_ct, args[0], args[1]));
  } else {
    return absl::UnimplementedError(
        absl::StrCat("codegen: op ", n.op_name(), " (", n.Describe(), ") is not supported"));
  }
  // Float results that are 16-bit in the graph stay fp32 in registers, as the mixed-precision
  // pass's Casts and the stores round where the graph does.
  return Let(ct, out->name(), expr);
}

absl::StatusOr<std::string> ExprEmitter::EmitInjective(const Node& n, const Index& idx) {
  const Value* in = n.input(0);
  const std::vector<DimExpr>& out_dims = n.output(0)->type().dims;
  const std::vector<DimExpr>& in_dims = in->type().dims;
  switch (n.op()) {
    case OpKind::kExpand:
      return ValueAt(in, Broadcast(idx, out_dims, in_dims));
    case OpKind::kReshape:
    case OpKind::kSqueeze:
    case OpKind::kUnsqueeze:
    case OpKind::kFlatten:
      if (out_dims == in_dims) return ValueAt(in, idx);
      return ValueAt(in, Reindex(idx, out_dims, in_dims));
    case OpKind::kTranspose: {
      std::vector<int64_t> perm;
      if (const std::vector<int64_t>* p = n.attr_ints("perm")) perm = *p;
      if (perm.empty()) {
        for (int64_t d = static_cast<int64_t>(in_dims.size()) - 1; d >= 0; --d) perm.push_back(d);
      }
      Index in_idx(in_dims.size());
      for (size_t d = 0; d < perm.size() && d < idx.size(); ++d) in_idx[perm[d]] = idx[d];
      return ValueAt(in, in_idx);
    }
    case OpKind::kSlice:
      return EmitSlice(n, idx);
    case OpKind::kConcat:
      return EmitConcat(n, idx);
    case OpKind::kGather:
    case OpKind::kGatherElements:
      return EmitGather(n, idx);
    default:
      return absl::UnimplementedError(
          absl::StrCat("codegen: op ", n.op_name(), " (", n.Describe(), ") is not supported"));
  }
}

std::string ExprEmitter::SliceIndex(const DimExpr& dim, const DimExpr& raw_start, int64_t step,
                                    const std::string& i) {
  // ONNX clamps starts to [0, dim] (or [0, dim-1] with a negative step). The start is data
  // (any int64), so it is clamped in 64 bits; the result lies within the dim.
  std::string start;
  std::optional<int64_t> c = raw_start.as_const(), d = dim.as_const();
  if (c && d) {
    int64_t s = *c < 0 ? *c + *d : *c;
    s = std::max<int64_t>(0, std::min<int64_t>(s, step > 0 ? *d : *d - 1));
    if (s != 0) start = absl::StrCat("(kiln_idx)", s);
  } else {
    std::string dim64 = dims_.Ref64(dim), raw = dims_.Ref64(raw_start);
    std::string upper = step > 0 ? dim64 : absl::StrCat("(", dim64, " - 1)");
    start = Let("kiln_idx", "start",
                absl::StrCat("(kiln_idx)kiln_max((kiln_i64)0, kiln_min(", raw, " < 0 ? ", raw,
                             " + ", dim64, " : ", raw, ", ", upper, "))"));
  }
  std::string scaled = i;
  if (step > INT32_MAX || step < -INT32_MAX) {
    // Wider than any dim of a 32-bit plan, where the axis then has one element (i is 0); in a
    // 64-bit module the product is exact.
    scaled = absl::StrCat("(kiln_idx)((kiln_i64)", i, " * (kiln_i64)", step, ")");
  } else if (step != 1) {
    scaled = absl::StrCat(i, " * (kiln_idx)", step);
  }
  return start.empty() ? scaled : absl::StrCat("(", start, " + ", scaled, ")");
}

absl::StatusOr<std::string> ExprEmitter::EmitSlice(const Node& n, const Index& idx) {
  const Value* in = n.input(0);
  const std::vector<DimExpr>& in_dims = in->type().dims;
  int64_t rank = static_cast<int64_t>(in_dims.size());
  std::optional<std::vector<DimExpr>> starts = IntsOf(n.input(1));
  std::optional<std::vector<DimExpr>> axes =
      n.input(3) ? IntsOf(n.input(3)) : std::optional<std::vector<DimExpr>>(std::vector<DimExpr>{});
  std::optional<std::vector<DimExpr>> steps =
      n.input(4) ? IntsOf(n.input(4)) : std::optional<std::vector<DimExpr>>(std::vector<DimExpr>{});
  if (!starts || !axes || !steps) {
    return absl::UnimplementedError(
        absl::StrCat("codegen: ", n.Describe(), ": Slice starts/axes/steps must be known"));
  }
  Index in_idx = idx;
  for (size_t i = 0; i < starts->size(); ++i) {
    int64_t axis = static_cast<int64_t>(i);
    if (!axes->empty()) {
      std::optional<int64_t> a = i < axes->size() ? (*axes)[i].as_const() : std::nullopt;
      if (!a)
        return absl::UnimplementedError(
            absl::StrCat("codegen: ", n.Describe(), ": symbolic Slice axes"));
      axis = *a < 0 ? *a + rank : *a;
    }
    int64_t step = 1;
    if (!steps->empty()) {
      std::optional<int64_t> s = i < steps->size() ? (*steps)[i].as_const() : std::nullopt;
      if (!s || *s == 0)
        return absl::UnimplementedError(
            absl::StrCat("codegen: ", n.Describe(), ": Slice steps must be nonzero constants"));
      step = *s;
    }
    if (axis < 0 || axis >= rank)
      return absl::InvalidArgumentError(absl::StrCat(n.Describe(), ": Slice axis out of range"));
    in_idx[axis] = SliceIndex(in_dims[axis], (*starts)[i], step, idx[axis]);
  }
  return ValueAt(in, in_idx);
}

absl::StatusOr<std::string> ExprEmitter::EmitConcat(const Node& n, const Index& idx) {
  const Value* out = n.output(0);
  int64_t rank = out->type().rank();
  int64_t axis = n.attr_int("axis");
  if (axis < 0) axis += rank;
  std::string ct = ComputeType(out->type().dtype);
  std::string result = code_.FreshName(out->name());
  code_.Line(absl::StrCat(ct, " ", result, ";"));
  DimExpr offset(0);
  for (int i = 0; i < n.num_inputs(); ++i) {
    const Value* in = n.input(i);
    DimExpr end = offset + in->type().dims[axis];
    bool last = i + 1 == n.num_inputs();
    std::string cond = absl::StrCat("if (", idx[axis], " < ", dims_.Ref(end), ")");
    code_.Open(i == 0 ? cond : (last ? "} else" : absl::StrCat("} else ", cond)));
    Memo saved = Save();
    Index in_idx = idx;
    if (offset != DimExpr(0)) {
      in_idx[axis] = absl::StrCat("(", idx[axis], " - ", dims_.Ref(offset), ")");
    }
    ASSIGN_OR_RETURN(std::string part, ValueAt(in, in_idx));
    code_.Line(absl::StrCat(result, " = ", part, ";"));
    Restore(std::move(saved));
    code_.Dedent();
    offset = end;
  }
  code_.Line("}");
  return result;
}

absl::StatusOr<std::string> ExprEmitter::EmitGather(const Node& n, const Index& idx) {
  const Value* data = n.input(0);
  const Value* indices = n.input(1);
  const std::vector<DimExpr>& data_dims = data->type().dims;
  int64_t rank = static_cast<int64_t>(data_dims.size());
  int64_t axis = n.attr_int("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank)
    return absl::InvalidArgumentError(absl::StrCat(n.Describe(), ": axis out of range"));
  Index data_idx, indices_idx;
  if (n.op() == OpKind::kGatherElements) {
    indices_idx = idx;
    data_idx = idx;
  } else {
    int64_t q = indices->type().rank();
    indices_idx.assign(idx.begin() + axis, idx.begin() + axis + q);
    data_idx.assign(idx.begin(), idx.begin() + axis);
    data_idx.push_back("");
    data_idx.insert(data_idx.end(), idx.begin() + axis + q, idx.end());
  }
  // The index is data (any int64): wrapped and clamped in 64 bits, then narrowed.
  ASSIGN_OR_RETURN(std::string raw, ValueAt(indices, indices_idx));
  data_idx[axis] = Let("kiln_idx", "index", "(kiln_idx)" + WrapIndex(raw, data_dims[axis]));
  return ValueAt(data, data_idx);
}

}  // namespace kiln
