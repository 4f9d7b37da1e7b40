// Shape inference: elementwise ops, with and without broadcasting. For small integer and
// bool tensors the symbolic contents are computed too, so shape arithmetic (`seq - 1`,
// `Equal(shape, -1)`, `Where(...)`) stays symbolic. Constant results are wrapped into the
// output dtype exactly as the kernels compute them; symbolic values are dims, assumed to fit.
#include <functional>

#include "absl/strings/str_cat.h"
#include "ir/infer_fns.h"
#include "ir/shape_inference.h"

namespace kiln {
namespace {

using SymFn = std::function<std::optional<DimExpr>(const std::vector<DimExpr>&)>;

bool IsSymDType(DType t) { return IsInteger(t) || t == DType::kBool; }

// The dtypes an op accepts (ONNX's type constraints restricted to Kiln's dtypes).
enum class Allowed { kAny, kBool, kFloat, kNumeric, kFloatOrSigned };

absl::Status CheckAllowed(const InferContext& ctx, int i, Allowed allowed) {
  DType t = ctx.input_dtype(i);
  const char* want = nullptr;
  switch (allowed) {
    case Allowed::kAny: return absl::OkStatus();
    case Allowed::kBool:
      if (t != DType::kBool) want = "bool";
      break;
    case Allowed::kFloat:
      if (!IsFloat(t)) want = "a float dtype";
      break;
    case Allowed::kNumeric:
      if (!IsFloat(t) && !IsInteger(t)) want = "a numeric dtype";
      break;
    case Allowed::kFloatOrSigned:
      if (!IsFloat(t) && !IsSignedInteger(t)) want = "a float or signed integer dtype";
      break;
  }
  if (want == nullptr) return absl::OkStatus();
  return ctx.Error(absl::StrCat("input ", i, " has dtype ", DTypeName(t), ", expected ", want));
}

Allowed UnaryAllowed(OpKind op) {
  switch (op) {
    case OpKind::kNot: return Allowed::kBool;
    case OpKind::kAbs: case OpKind::kClip: return Allowed::kNumeric;
    case OpKind::kNeg: case OpKind::kRelu: return Allowed::kFloatOrSigned;
    case OpKind::kExp: case OpKind::kLog: case OpKind::kSqrt: case OpKind::kReciprocal:
    case OpKind::kSin: case OpKind::kCos: case OpKind::kTanh: case OpKind::kSigmoid:
    case OpKind::kErf: case OpKind::kGelu: case OpKind::kFloor: case OpKind::kCeil:
    case OpKind::kSoftmax: case OpKind::kLogSoftmax:
      return Allowed::kFloat;
    default: return Allowed::kAny;  // Identity; CumSum and Trilu check their own inputs.
  }
}

// A constant `d` converted to dtype `t` as Cast would (two's-complement wrap, bool = != 0).
DimExpr WrapToDType(const DimExpr& d, DType t) {
  std::optional<int64_t> c = d.as_const();
  if (!c || !IsSymDType(t)) return d;
  return VisitDType(t, [&](auto zero) -> DimExpr {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool>) {
      return DimExpr(*c != 0 ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      return DimExpr(static_cast<int64_t>(static_cast<T>(*c)));
    } else {
      return d;
    }
  });
}

// Evaluates `fn` elementwise with numpy broadcasting over the symbolic contents of `inputs`
// and records the result as output 0's contents (wrapped into `out_dtype`). Does nothing
// unless every input has symbolic contents and a static shape, and `fn` succeeds everywhere.
void SetBroadcastSym(InferContext& ctx, const std::vector<int>& inputs,
                     const std::vector<DimExpr>& out_dims, DType out_dtype, const SymFn& fn) {
  std::vector<int64_t> out_shape;
  int64_t count = 1;
  for (const DimExpr& d : out_dims) {
    std::optional<int64_t> c = d.as_const();
    if (!c) return;
    out_shape.push_back(*c);
    count *= *c;
    if (count > kMaxSymValueElements) return;
  }
  std::vector<std::vector<int64_t>> shapes;
  for (int i : inputs) {
    if (ctx.input_sym(i) == nullptr || !ctx.input_type(i).is_static()) return;
    std::vector<int64_t> s;
    for (const DimExpr& d : ctx.input_dims(i)) s.push_back(*d.as_const());
    shapes.push_back(std::move(s));
  }
  std::vector<DimExpr> out;
  const size_t rank = out_shape.size();
  for (int64_t flat = 0; flat < count; ++flat) {
    std::vector<DimExpr> args;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const std::vector<int64_t>& s = shapes[k];
      // The input element this output element reads: broadcast axes contribute nothing.
      int64_t rem = flat, idx = 0, stride = 1;
      for (size_t ax = rank; ax-- > 0;) {
        int64_t coord = rem % out_shape[ax];
        rem /= out_shape[ax];
        if (ax + s.size() < rank) continue;
        int64_t dim = s[ax + s.size() - rank];
        idx += (dim == 1 ? 0 : coord) * stride;
        stride *= dim;
      }
      const std::vector<DimExpr>& vals = *ctx.input_sym(inputs[k]);
      if (idx >= static_cast<int64_t>(vals.size())) return;
      args.push_back(vals[idx]);
    }
    std::optional<DimExpr> r = fn(args);
    if (!r || !r->is_valid()) return;
    out.push_back(WrapToDType(*r, out_dtype));
  }
  ctx.SetOutputSym(0, std::move(out));
}

// a / b truncating toward zero, as integer Div does. Floor division agrees with truncation
// only when the dividend is provably non-negative and the divisor positive.
std::optional<DimExpr> SymDiv(const DimExpr& a, const DimExpr& b) {
  std::optional<int64_t> ca = a.as_const(), cb = b.as_const();
  if (!cb || *cb == 0) return std::nullopt;
  if (*cb == 1) return a;
  // Before any `%` or `/`: INT64_MIN / -1 traps. -a is invalid (dropped) there instead.
  if (*cb == -1) return -a;
  if (ca) return DimExpr(*ca / *cb);
  // Exact division (every coefficient divisible) needs no rounding: (2*seq-2)/2 = seq-1.
  bool exact = a.constant_term() % *cb == 0;
  for (const DimExpr::Term& t : a.terms()) exact = exact && t.coeff % *cb == 0;
  std::optional<int64_t> lb = a.LowerBound();
  if (!exact && (*cb < 0 || !lb || *lb < 0)) return std::nullopt;
  // FloorDiv expects a positive divisor; for an exact quotient, a/b = (-a)/(-b).
  if (*cb < 0) return DimExpr::FloorDiv(-a, -b);
  return DimExpr::FloorDiv(a, b);
}

// a mod b for integer Mod: the sign of the divisor (Python's %), or of the dividend when
// `c_style` (C's fmod). Symbolically, floor modulo (DimExpr::Mod) is Python's % for a positive
// divisor, and C's fmod too when the dividend is provably non-negative.
std::optional<DimExpr> SymMod(const DimExpr& a, const DimExpr& b, bool c_style) {
  std::optional<int64_t> ca = a.as_const(), cb = b.as_const();
  if (!cb || *cb == 0) return std::nullopt;  // Mod by zero is a runtime error.
  if (*cb == 1 || *cb == -1) return DimExpr(0);  // Before `%`: INT64_MIN % -1 traps.
  if (ca) {
    int64_t r = *ca % *cb;  // C++ `%` truncates: the sign of the dividend.
    if (!c_style && r != 0 && (r < 0) != (*cb < 0)) r += *cb;
    return DimExpr(r);
  }
  if (*cb < 0) return std::nullopt;
  if (c_style) {
    std::optional<int64_t> lb = a.LowerBound();
    if (!lb || *lb < 0) return std::nullopt;
  }
  return DimExpr::Mod(a, b);
}

// Decides a < b (or a <= b) when provable, with every symbol >= 0; nullopt otherwise.
std::optional<bool> SymLess(const DimExpr& a, const DimExpr& b, bool or_equal) {
  DimExpr diff = b - a;  // a < b  <=>  diff > 0.
  if (auto c = diff.as_const()) return or_equal ? *c >= 0 : *c > 0;
  if (auto lb = diff.LowerBound(); lb && (or_equal ? *lb >= 0 : *lb > 0)) return true;
  DimExpr neg = a - b;  // The negation: a >= b (a > b for or_equal).
  if (auto lb = neg.LowerBound(); lb && (or_equal ? *lb > 0 : *lb >= 0)) return false;
  return std::nullopt;
}

// max(a, b) / min(a, b), resolved when the order of a and b is provable (max(seq, 0) = seq).
DimExpr SymMax(const DimExpr& a, const DimExpr& b) {
  if (SymLess(b, a, true) == true) return a;
  if (SymLess(a, b, true) == true) return b;
  return DimExpr::Max(a, b);
}

DimExpr SymMin(const DimExpr& a, const DimExpr& b) {
  if (SymLess(a, b, true) == true) return a;
  if (SymLess(b, a, true) == true) return b;
  return DimExpr::Min(a, b);
}

std::optional<DimExpr> Bool(std::optional<bool> b) {
  if (!b) return std::nullopt;
  return DimExpr(*b ? 1 : 0);
}

// The symbolic result of a one-input op, when it can be expressed.
std::optional<DimExpr> UnarySym(OpKind op, const DimExpr& x) {
  std::optional<int64_t> c = x.as_const();
  std::optional<int64_t> lb = x.LowerBound();
  switch (op) {
    case OpKind::kIdentity: return x;
    case OpKind::kNeg: return -x;
    case OpKind::kAbs:
      if (c) return *c < 0 ? -x : x;
      if (lb && *lb >= 0) return x;
      return std::nullopt;
    case OpKind::kRelu:
      if (c) return *c < 0 ? DimExpr(0) : x;
      if (lb && *lb >= 0) return x;
      return std::nullopt;
    case OpKind::kNot:
      if (c) return DimExpr(*c == 0 ? 1 : 0);
      return std::nullopt;
    default: return std::nullopt;
  }
}

// The symbolic result of a (variadic) arithmetic or logic op on one element's arguments.
std::optional<DimExpr> FoldArithmeticSym(OpKind op, const std::vector<DimExpr>& a) {
  DimExpr acc = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    switch (op) {
      case OpKind::kAdd: acc = acc + a[i]; break;
      case OpKind::kSub: acc = acc - a[i]; break;
      case OpKind::kMul: acc = acc * a[i]; break;
      case OpKind::kDiv: {
        std::optional<DimExpr> q = SymDiv(acc, a[i]);
        if (!q) return std::nullopt;
        acc = *q;
        break;
      }
      case OpKind::kMax: acc = SymMax(acc, a[i]); break;
      case OpKind::kMin: acc = SymMin(acc, a[i]); break;
      case OpKind::kAnd:
      case OpKind::kOr: {
        std::optional<int64_t> x = acc.as_const(), y = a[i].as_const();
        // false And anything is false, true Or anything is true.
        int64_t absorbing = op == OpKind::kAnd ? 0 : 1;
        if (x == absorbing || y == absorbing) {
          acc = DimExpr(absorbing);
        } else if (x && y) {
          acc = DimExpr(1 - absorbing);
        } else {
          return std::nullopt;
        }
        break;
      }
      default: return std::nullopt;
    }
    if (!acc.is_valid()) return std::nullopt;
  }
  return acc;
}

absl::Status CheckClipBounds(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1, 2}));
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    // ONNX says scalar; a one-element vector (as onnxruntime accepts) is taken as one too.
    const auto& dims = ctx.input_dims(i);
    if (!dims.empty() && !(dims.size() == 1 && dims[0].as_const() == 1)) {
      return ctx.Error(absl::StrCat(i == 1 ? "min" : "max", " must be a scalar, got shape ",
                                    DimsToString(dims)));
    }
  }
  return absl::OkStatus();
}

// Clip's symbolic result: min(max(x, lo), hi) over the bounds that are present.
void SetClipSym(InferContext& ctx) {
  std::vector<int> present = {0};
  for (int i = 1; i <= 2; ++i) {
    if (ctx.has_input(i)) present.push_back(i);
  }
  bool has_lo = ctx.has_input(1), has_hi = ctx.has_input(2);
  SetBroadcastSym(ctx, present, ctx.input_dims(0), ctx.input_dtype(0),
                  [&](const std::vector<DimExpr>& a) -> std::optional<DimExpr> {
                    DimExpr r = a[0];
                    if (has_lo) r = SymMax(r, a[1]);
                    if (has_hi) r = SymMin(r, a[has_lo ? 2 : 1]);
                    return r;
                  });
}

}  // namespace

absl::Status InferUnary(InferContext& ctx) {
  const Node& n = ctx.node();
  const OpKind op = n.op();
  DType t = ctx.input_dtype(0);
  RETURN_IF_ERROR(CheckAllowed(ctx, 0, UnaryAllowed(op)));
  if (op == OpKind::kClip) RETURN_IF_ERROR(CheckClipBounds(ctx));
  if (op == OpKind::kGelu) {
    std::string approximate = n.attr_string("approximate");
    if (approximate != "none" && approximate != "tanh") {
      return ctx.Error(absl::StrCat("approximate must be 'none' or 'tanh', got '", approximate,
                                    "'"));
    }
  }
  if (op == OpKind::kSoftmax || op == OpKind::kLogSoftmax) {
    RETURN_IF_ERROR(ctx.NormalizeAxis(n.attr_int("axis"), ctx.input_rank(0)).status());
  }
  if (op == OpKind::kTrilu && ctx.input_rank(0) < 2) {
    return ctx.Error("input must have rank >= 2");
  }
  if (op == OpKind::kCumSum) {
    if (ctx.input_rank(1) > 1) return ctx.Error("axis must be a scalar");
    RETURN_IF_ERROR(ctx.ExpectDType(1, {DType::kI32, DType::kI64}));
  }
  ctx.SetOutput(0, ctx.input_type(0));
  if (!IsSymDType(t)) return absl::OkStatus();
  if (op == OpKind::kClip) {
    SetClipSym(ctx);
  } else if (const std::vector<DimExpr>* sym = ctx.input_sym(0)) {
    std::vector<DimExpr> v;
    for (const DimExpr& d : *sym) {
      std::optional<DimExpr> r = UnarySym(op, d);
      if (!r || !r->is_valid()) return absl::OkStatus();
      v.push_back(WrapToDType(*r, t));
    }
    ctx.SetOutputSym(0, std::move(v));
  }
  return absl::OkStatus();
}

absl::Status InferIsNaN(InferContext& ctx) {
  RETURN_IF_ERROR(CheckAllowed(ctx, 0, Allowed::kFloat));
  ctx.SetOutput(0, DType::kBool, ctx.input_dims(0));
  return absl::OkStatus();
}

absl::Status InferCast(InferContext& ctx) {
  std::string to = ctx.node().attr_string("to");
  std::optional<DType> dt = ParseDType(to);
  if (!dt) return ctx.Error(absl::StrCat("unknown target dtype '", to, "'"));
  ctx.SetOutput(0, *dt, ctx.input_dims(0));
  const std::vector<DimExpr>* sym = ctx.input_sym(0);
  if (sym == nullptr || !IsSymDType(*dt) || !IsSymDType(ctx.input_dtype(0))) {
    return absl::OkStatus();
  }
  std::vector<DimExpr> v;
  for (const DimExpr& d : *sym) {
    if (d.is_const() || *dt != DType::kBool) {
      v.push_back(WrapToDType(d, *dt));
    } else if (auto lb = d.LowerBound(); lb && *lb > 0) {
      v.push_back(DimExpr(1));  // A dim known to be positive is true.
    } else {
      return absl::OkStatus();
    }
  }
  ctx.SetOutputSym(0, std::move(v));
  return absl::OkStatus();
}

absl::Status InferBroadcast(InferContext& ctx) {
  const OpKind op = ctx.node().op();
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) return ctx.Error(absl::StrCat("input ", i, " is missing"));
  }
  if (op == OpKind::kPow) {
    // The exponent's dtype may differ from the base's; the result has the base's.
    RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kF32, DType::kF16, DType::kBF16, DType::kF64,
                                        DType::kI32, DType::kI64}));
    RETURN_IF_ERROR(CheckAllowed(ctx, 1, Allowed::kNumeric));
  } else {
    Allowed allowed =
        op == OpKind::kAnd || op == OpKind::kOr ? Allowed::kBool : Allowed::kNumeric;
    RETURN_IF_ERROR(CheckAllowed(ctx, 0, allowed));
    for (int i = 1; i < ctx.num_inputs(); ++i) RETURN_IF_ERROR(ctx.ExpectSameDType({0, i}));
  }
  const DType t = ctx.input_dtype(0);
  std::vector<DimExpr> dims = ctx.input_dims(0);
  std::vector<int> all = {0};
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(dims, ctx.BroadcastShapes(dims, ctx.input_dims(i)));
    all.push_back(i);
  }
  ctx.SetOutput(0, t, dims);
  if (!IsSymDType(t) || op == OpKind::kPow) return absl::OkStatus();
  SetBroadcastSym(ctx, all, dims, t, [op](const std::vector<DimExpr>& a) {
    return FoldArithmeticSym(op, a);
  });
  return absl::OkStatus();
}

absl::Status InferMod(InferContext& ctx) {
  if (!ctx.has_input(1)) return ctx.Error("input 1 is missing");
  RETURN_IF_ERROR(CheckAllowed(ctx, 0, Allowed::kNumeric));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1}));
  const int64_t fmod = ctx.node().attr_int("fmod");
  if (fmod != 0 && fmod != 1) return ctx.Error(absl::StrCat("fmod must be 0 or 1, got ", fmod));
  const DType t = ctx.input_dtype(0);
  if (IsFloat(t) && fmod != 1) {
    return ctx.Error(absl::StrCat("fmod must be 1 for float inputs (dtype ", DTypeName(t), ")"));
  }
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims,
                   ctx.BroadcastShapes(ctx.input_dims(0), ctx.input_dims(1)));
  ctx.SetOutput(0, t, dims);
  if (!IsSymDType(t)) return absl::OkStatus();
  const bool c_style = fmod == 1;
  SetBroadcastSym(ctx, {0, 1}, dims, t,
                  [c_style, t](const std::vector<DimExpr>& a) -> std::optional<DimExpr> {
    // A u64 value of 2^63 or more is held as a negative int64: only non-negative ones are
    // taken at face value.
    std::optional<int64_t> lb = a[0].LowerBound(), cb = a[1].as_const();
    if (t == DType::kU64 && (!lb || *lb < 0 || !cb || *cb < 0)) return std::nullopt;
    return SymMod(a[0], a[1], c_style);
  });
  return absl::OkStatus();
}

absl::Status InferCompare(InferContext& ctx) {
  const OpKind op = ctx.node().op();
  RETURN_IF_ERROR(CheckAllowed(ctx, 0, op == OpKind::kEqual ? Allowed::kAny : Allowed::kNumeric));
  RETURN_IF_ERROR(ctx.ExpectSameDType({0, 1}));
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims,
                   ctx.BroadcastShapes(ctx.input_dims(0), ctx.input_dims(1)));
  ctx.SetOutput(0, DType::kBool, dims);
  if (!IsSymDType(ctx.input_dtype(0))) return absl::OkStatus();
  SetBroadcastSym(ctx, {0, 1}, dims, DType::kBool,
                  [&](const std::vector<DimExpr>& a) -> std::optional<DimExpr> {
    const DimExpr& x = a[0];
    const DimExpr& y = a[1];
    switch (op) {
      case OpKind::kEqual: {
        if (x == y) return DimExpr(1);
        std::optional<bool> lt = SymLess(x, y, false), gt = SymLess(y, x, false);
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
  return absl::OkStatus();
}

absl::Status InferWhere(InferContext& ctx) {
  RETURN_IF_ERROR(ctx.ExpectDType(0, {DType::kBool}));
  RETURN_IF_ERROR(ctx.ExpectSameDType({1, 2}));
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims,
                   ctx.BroadcastShapes(ctx.input_dims(0), ctx.input_dims(1)));
  ASSIGN_OR_RETURN(dims, ctx.BroadcastShapes(dims, ctx.input_dims(2)));
  const DType t = ctx.input_dtype(1);
  ctx.SetOutput(0, t, dims);
  if (!IsSymDType(t)) return absl::OkStatus();
  SetBroadcastSym(ctx, {0, 1, 2}, dims, t,
                  [](const std::vector<DimExpr>& a) -> std::optional<DimExpr> {
    if (a[1] == a[2]) return a[1];  // Either branch gives the same value.
    std::optional<int64_t> c = a[0].as_const();
    if (!c) return std::nullopt;
    return *c ? a[1] : a[2];
  });
  return absl::OkStatus();
}

}  // namespace kiln
