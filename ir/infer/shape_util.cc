#include "ir/infer/shape_util.h"

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln::infer {

namespace {

// Integer constants larger than this are not turned into dim lists (shape-like inputs are
// short; a large constant is data such as a gather table).
constexpr int64_t kMaxConstContents = 4096;

}  // namespace

bool IsSymDType(DType t) { return IsInteger(t) || t == DType::kBool; }

std::optional<std::vector<DimExpr>> SymContents(const InferContext& ctx, int i) {
  if (!ctx.has_input(i)) return std::nullopt;
  if (const std::vector<DimExpr>* s = ctx.input_sym(i)) return *s;
  const Tensor* t = ctx.input_const(i);
  if (t == nullptr || !IsSymDType(t->dtype()) || t->num_elements() > kMaxConstContents) {
    return std::nullopt;
  }
  std::vector<DimExpr> out;
  out.reserve(t->num_elements());
  for (int64_t k = 0; k < t->num_elements(); ++k) out.emplace_back(t->GetAsInt(k));
  return out;
}

namespace {

// Appends the entries of rank-1 value `v`, looking through nested Concats; false when its
// length is not static.
bool AppendPartial(const InferContext& ctx, const Value* v, int depth,
                   std::vector<std::optional<DimExpr>>* out) {
  if (v->type().rank() != 1) return false;
  auto len = v->type().dims[0].as_const();
  if (!len) return false;
  if (v->sym_value() && static_cast<int64_t>(v->sym_value()->size()) == *len) {
    for (const DimExpr& d : *v->sym_value()) out->push_back(ctx.Canon(d));
    return true;
  }
  const Node* p = v->producer();
  if (p != nullptr && p->op() == OpKind::kConcat && depth < 8) {
    size_t before = out->size();
    bool ok = true;
    for (const Value* in : p->inputs()) ok = ok && AppendPartial(ctx, in, depth + 1, out);
    if (ok && static_cast<int64_t>(out->size() - before) == *len) return true;
    out->resize(before);
  }
  out->insert(out->end(), *len, std::nullopt);
  return true;
}

}  // namespace

std::vector<std::optional<DimExpr>> PartialContents(const InferContext& ctx, int i, int64_t n) {
  std::vector<std::optional<DimExpr>> out;
  if (auto all = SymContents(ctx, i)) {
    out.assign(all->begin(), all->end());
  } else if (ctx.has_input(i)) {
    AppendPartial(ctx, ctx.node().input(i), 0, &out);
  }
  if (static_cast<int64_t>(out.size()) != n) out.assign(n, std::nullopt);
  return out;
}

bool IsDataDependent(const DimExpr& d) {
  absl::btree_set<std::string> syms;
  d.CollectSymbols(&syms);
  for (const std::string& s : syms) {
    if (!s.empty() && s[0] == '_') return true;
  }
  return false;
}

absl::Status AssumeLe(InferContext& ctx, const DimExpr& a, const DimExpr& b) {
  DimExpr c(b.is_const() ? a.constant_term() : b.constant_term());
  return ctx.Assume(a - c, DimConstraint::Kind::kLe, b - c);
}

std::optional<std::vector<int64_t>> StaticDims(const std::vector<DimExpr>& dims) {
  std::vector<int64_t> out;
  out.reserve(dims.size());
  for (const DimExpr& d : dims) {
    auto c = d.as_const();
    if (!c) return std::nullopt;
    out.push_back(*c);
  }
  return out;
}

absl::StatusOr<int64_t> VectorInputLength(const InferContext& ctx, int i,
                                          std::initializer_list<DType> dtypes) {
  RETURN_IF_ERROR(ctx.ExpectDType(i, dtypes));
  if (ctx.input_rank(i) != 1) {
    return ctx.Error(absl::StrCat("input ", i, " must be a 1-D tensor, got ",
                                  ctx.input_type(i).ToString()));
  }
  auto n = ctx.input_dims(i)[0].as_const();
  if (!n) {
    return ctx.Unsupported(absl::StrCat("input ", i, " has a symbolic length (",
                                        ctx.input_dims(i)[0].ToString(),
                                        "), so the output rank is unknown"));
  }
  return *n;
}

std::vector<int64_t> Strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t a = shape.size(); a-- > 1;) s[a - 1] = s[a] * shape[a];
  return s;
}

int64_t SmallCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d == 0) return 0;
  }
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(count, d, &count) || count > kMaxSymValueElements) return -1;
  }
  return count;
}

void PropagateSym(InferContext& ctx, int in, const std::vector<DimExpr>& out_dims,
                  const SymIndexFn& index_of, int out) {
  const std::vector<DimExpr>* vals = ctx.input_sym(in);
  if (vals == nullptr || !IsSymDType(ctx.input_dtype(in))) return;
  auto shape = StaticDims(out_dims);
  if (!shape) return;
  int64_t count = SmallCount(*shape);
  if (count < 0) return;
  std::vector<DimExpr> result;
  result.reserve(count);
  std::vector<int64_t> coord(shape->size(), 0);
  for (int64_t k = 0; k < count; ++k) {
    std::optional<int64_t> idx = index_of(coord);
    if (!idx || *idx < 0 || *idx >= static_cast<int64_t>(vals->size())) return;
    result.push_back((*vals)[*idx]);
    for (size_t a = coord.size(); a-- > 0;) {
      if (++coord[a] < (*shape)[a]) break;
      coord[a] = 0;
    }
  }
  ctx.SetOutputSym(out, std::move(result));
}

DimExpr DimProduct(const std::vector<DimExpr>& dims, size_t begin, size_t end) {
  DimExpr p(1);
  for (size_t i = begin; i < end && i < dims.size(); ++i) p = p * dims[i];
  return p;
}

}  // namespace kiln::infer
