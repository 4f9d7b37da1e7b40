// Shape inference: elementwise ops, with and without broadcasting. For small integer and
// bool tensors the symbolic contents are computed too, so shape arithmetic (`seq - 1`,
// `Equal(shape, -1)`, `Where(...)`) stays symbolic.
#include <functional>

#include "absl/strings/str_cat.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

bool IsSymDType(DType t) { return IsInteger(t) || t == DType::kBool; }

// Evaluates `fn` elementwise with numpy broadcasting over the symbolic contents of `inputs`.
// Returns nullopt unless every input has symbolic contents and a static shape.
std::optional<std::vector<DimExpr>> BroadcastSym(
    const InferContext& ctx, const std::vector<int>& inputs, const std::vector<DimExpr>& out_dims,
    const std::function<std::optional<DimExpr>(const std::vector<DimExpr>&)>& fn) {
  std::vector<int64_t> out_shape;
  for (const DimExpr& d : out_dims) {
    auto c = d.as_const();
    if (!c) return std::nullopt;
    out_shape.push_back(*c);
  }
  int64_t count = 1;
  for (int64_t d : out_shape) count *= d;
  if (count > kMaxSymValueElements) return std::nullopt;
  std::vector<std::vector<int64_t>> shapes;
  for (int i : inputs) {
    if (ctx.input_sym(i) == nullptr || !ctx.input_type(i).is_static()) return std::nullopt;
    std::vector<int64_t> s;
    for (const DimExpr& d : ctx.input_dims(i)) s.push_back(*d.as_const());
    shapes.push_back(std::move(s));
  }
  std::vector<DimExpr> out;
  size_t rank = out_shape.size();
  for (int64_t flat = 0; flat < count; ++flat) {
    std::vector<DimExpr> args;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const std::vector<int64_t>& s = shapes[k];
      // Map the output index to this input's index under broadcasting.
      int64_t rem = flat, idx = 0, stride = 1;
      for (size_t ax = rank; ax-- > 0;) {
        int64_t coord = rem % out_shape[ax];
        rem /= out_shape[ax];
        size_t in_ax = ax + s.size();
        if (in_ax < rank) continue;
        int64_t dim = s[in_ax - rank];
        idx += (dim == 1 ? 0 : coord) * stride;
        stride *= dim;
      }
      const std::vector<DimExpr>& vals = *ctx.input_sym(inputs[k]);
      if (idx >= static_cast<int64_t>(vals.size())) return std::nullopt;
      args.push_back(vals[idx]);
    }
    std::optional<DimExpr> r = fn(args);
    if (!r) return std::nullopt;
    out.push_back(*r);
  }
  return out;
}

// Integer division truncating toward zero for constants; symbolic dims are non-negative, so
// floor division agrees there.
std::optional<DimExpr> SymDiv(const DimExpr& a, const DimExpr& b) {
  auto ca = a.as_const(), cb = b.as_const();
  if (cb && *cb == 0) return std::nullopt;
  if (ca && cb) return DimExpr(*ca / *cb);
  if (!cb || *cb < 0) return std::nullopt;
  return DimExpr::FloorDiv(a, b);
}

// Decides a < b (strict) or a <= b when provable; nullopt otherwise.
std::optional<bool> SymLess(const DimExpr& a, const DimExpr& b, bool or_equal) {
  DimExpr diff = b - a;  // a < b  <=>  diff > 0.
  if (auto c = diff.as_const()) return or_equal ? *c >= 0 : *c > 0;
  if (auto lb = diff.LowerBound(); lb && (or_equal ? *lb >= 0 : *lb > 0)) return true;
  DimExpr neg = a - b;  // a >= b holds if neg >= 0.
  if (auto lb = neg.LowerBound(); lb && (or_equal ? *lb > 0 : *lb >= 0)) return false;
  return std::nullopt;
}

std::optional<DimExpr> Bool(std::optional<bool> b) {
  if (!b) return std::nullopt;
  return DimExpr(*b ? 1 : 0);
}

}  // namespace

absl::Status InferUnary(InferContext& ctx) {
  const Node& n = ctx.node();
  DType t = ctx.input_dtype(0);
  switch (n.op()) {
    case OpKind::kNot:
      RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kBool}));
      break;
    case OpKind::kExp: case OpKind::kLog: case OpKind::kSqrt: case OpKind::kReciprocal:
    case OpKind::kSin: case OpKind::kCos: case OpKind::kTanh: case OpKind::kSigmoid:
    case OpKind::kErf: case OpKind::kGelu: case OpKind::kFloor: case OpKind::kCeil:
    case OpKind::kSoftmax: case OpKind::kLogSoftmax:
      if (!IsFloat(t)) return ctx.Error(absl::StrCat("expects a float input, got ", DTypeName(t)));
      break;
    case OpKind::kClip:
      RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
      for (int i = 1; i < ctx.num_inputs(); ++i) {
        if (ctx.has_input(i) && ctx.input_rank(i) != 0) {
          return ctx.Error(absl::StrCat("min/max input ", i, " must be a scalar"));
        }
      }
      break;
    default:
      break;
  }
  if (n.op() == OpKind::kSoftmax || n.op() == OpKind::kLogSoftmax) {
    RETURN_IF_ERROR(ctx.NormalizeAxis(n.attr_int("axis"), ctx.input_rank(0)).status());
  }
  if (n.op() == OpKind::kTrilu && ctx.input_rank(0) < 2) {
    return ctx.Error("input must have rank >= 2");
  }
  if (n.op() == OpKind::kCumSum) {
    if (ctx.input_rank(1) > 1) return ctx.Error("axis must be a scalar");
    RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI32, DType::kI64}));
  }
  ctx.SetOutput(0, ctx.input_type(0));
  if (const auto* sym = ctx.input_sym(0); sym && IsSymDType(t)) {
    if (n.op() == OpKind::kIdentity) {
      ctx.SetOutputSym(0, *sym);
    } else if (n.op() == OpKind::kNeg) {
      std::vector<DimExpr> v;
      for (const DimExpr& d : *sym) v.push_back(-d);
      ctx.SetOutputSym(0, std::move(v));
    }
  }
  return absl::OkStatus();
}

absl::Status InferIsNaN(InferContext& ctx) {
  if (!IsFloat(ctx.input_dtype(0))) return ctx.Error("expects a float input");
  ctx.SetOutput(0, DType::kBool, ctx.input_dims(0));
  return absl::OkStatus();
}

absl::Status InferCast(InferContext& ctx) {
  std::string to = ctx.node().attr_string("to");
  std::optional<DType> dt = ParseDType(to);
  if (!dt) return ctx.Error(absl::StrCat("unknown target dtype '", to, "'"));
  ctx.SetOutput(0, *dt, ctx.input_dims(0));
  if (const auto* sym = ctx.input_sym(0); sym && IsSymDType(*dt)) {
    if (*dt == DType::kBool) {
      std::vector<DimExpr> v;
      for (const DimExpr& d : *sym) {
        auto c = d.as_const();
        if (!c) return absl::OkStatus();
        v.push_back(DimExpr(*c != 0 ? 1 : 0));
      }
      ctx.SetOutputSym(0, std::move(v));
    } else {
      ctx.SetOutputSym(0, *sym);
    }
  }
  return absl::OkStatus();
}

absl::Status InferBroadcast(InferContext& ctx) {
  const Node& n = ctx.node();
  DType t = ctx.input_dtype(0);
  if (n.op() != OpKind::kPow) {
    for (int i = 1; i < ctx.num_inputs(); ++i) RETURN_IF_ERROR(ctx.ExpectSameDType({0, i}));
  }
  if (n.op() == OpKind::kAnd || n.op() == OpKind::kOr) {
    RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kBool}));
  } else if (t == DType::kBool) {
    return ctx.Error("arithmetic on bool tensors is not defined");
  }
  std::vector<DimExpr> dims = ctx.input_dims(0);
  std::vector<int> all = {0};
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(dims, ctx.BroadcastShapes(dims, ctx.input_dims(i)));
    all.push_back(i);
  }
  ctx.SetOutput(0, t, dims);
  if (!IsSymDType(t) || n.op() == OpKind::kPow) return absl::OkStatus();
  auto sym = BroadcastSym(ctx, all, dims, [&](const std::vector<DimExpr>& a) -> std::optional<DimExpr> {
    DimExpr acc = a[0];
    for (size_t i = 1; i < a.size(); ++i) {
      switch (n.op()) {
        case OpKind::kAdd: acc = acc + a[i]; break;
        case OpKind::kSub: acc = acc - a[i]; break;
        case OpKind::kMul: acc = acc * a[i]; break;
        case OpKind::kDiv: {
          auto q = SymDiv(acc, a[i]);
          if (!q) return std::nullopt;
          acc = *q;
          break;
        }
        case OpKind::kMax: acc = DimExpr::Max(acc, a[i]); break;
        case OpKind::kMin: acc = DimExpr::Min(acc, a[i]); break;
        case OpKind::kAnd:
        case OpKind::kOr: {
          auto x = acc.as_const(), y = a[i].as_const();
          if (!x || !y) return std::nullopt;
          acc = DimExpr(n.op() == OpKind::kAnd ? (*x && *y) : (*x || *y));
          break;
        }
        default: return std::nullopt;
      }
    }
    if (!acc.is_valid()) return std::nullopt;
    return acc;
  });
  if (sym) ctx.SetOutputSym(0, std::move(*sym));
  return absl::OkStatus();
}

absl::Status InferCompare(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1}));
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims,
                   ctx.BroadcastShapes(ctx.input_dims(0), ctx.input_dims(1)));
  ctx.SetOutput(0, DType::kBool, dims);
  if (!IsSymDType(ctx.input_dtype(0))) return absl::OkStatus();
  OpKind op = ctx.node().op();
  auto sym = BroadcastSym(ctx, {0, 1}, dims, [&](const std::vector<DimExpr>& a) -> std::optional<DimExpr> {
    const DimExpr& x = a[0];
    const DimExpr& y = a[1];
    switch (op) {
      case OpKind::kEqual: {
        if (x == y) return DimExpr(1);
        auto lt = SymLess(x, y, false), gt = SymLess(y, x, false);
        if ((lt && *lt) || (gt && *gt)) return DimExpr(0);
        return std::nullopt;
      }
      case OpKind::kLess: return Bool(SymLess(x, y, false));
      case OpKind::kLessOrEqual: return Bool(SymLess(x, y, true));
      case OpKind::kGreater: return Bool(SymLess(y, x, false));
      case OpKind::kGreaterOrEqual: return Bool(SymLess(y, x, true));
      default: return std::nullopt;
    }
  });
  if (sym) ctx.SetOutputSym(0, std::move(*sym));
  return absl::OkStatus();
}

absl::Status InferWhere(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kBool}));
  RETURN_IF_ERROR(ctx.ExpectSameDType({1, 2}));
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims,
                   ctx.BroadcastShapes(ctx.input_dims(0), ctx.input_dims(1)));
  ASSIGN_OR_RETURN(dims, ctx.BroadcastShapes(dims, ctx.input_dims(2)));
  ctx.SetOutput(0, ctx.input_dtype(1), dims);
  if (!IsSymDType(ctx.input_dtype(1))) return absl::OkStatus();
  auto sym = BroadcastSym(ctx, {0, 1, 2}, dims, [](const std::vector<DimExpr>& a) -> std::optional<DimExpr> {
    auto c = a[0].as_const();
    if (!c) return std::nullopt;
    return *c ? a[1] : a[2];
  });
  if (sym) ctx.SetOutputSym(0, std::move(*sym));
  return absl::OkStatus();
}

}  // namespace kiln
