#include "ir/shape_inference.h"

#include <algorithm>
#include <cctype>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln {

// ---------------------------------------------------------------------------------- ShapeEnv

void ShapeEnv::AddSymbol(absl::string_view name) {
  order_.try_emplace(std::string(name), static_cast<int>(order_.size()));
}

void ShapeEnv::AddSymbolsOf(const TensorType& type) {
  for (const DimExpr& d : type.dims) {
    absl::btree_set<std::string> syms;
    d.CollectSymbols(&syms);
    for (const std::string& s : syms) AddSymbol(s);
  }
}

DimExpr ShapeEnv::Canon(const DimExpr& d) const {
  if (subst_.empty() || d.is_const()) return d;
  return d.Substitute([this](absl::string_view s) -> std::optional<DimExpr> {
    auto it = subst_.find(s);
    if (it == subst_.end()) return std::nullopt;
    return it->second;
  });
}

TensorType ShapeEnv::Canon(const TensorType& t) const {
  TensorType out{t.dtype, {}};
  out.dims.reserve(t.dims.size());
  for (const DimExpr& d : t.dims) out.dims.push_back(Canon(d));
  return out;
}

void ShapeEnv::Bind(const std::string& symbol, const DimExpr& value) {
  auto sub = [&](absl::string_view s) -> std::optional<DimExpr> {
    if (s == symbol) return value;
    return std::nullopt;
  };
  for (auto& [name, expr] : subst_) expr = expr.Substitute(sub);
  subst_[symbol] = value;
}

namespace {

bool Mentions(const DimExpr& e, absl::string_view symbol) {
  absl::btree_set<std::string> syms;
  e.CollectSymbols(&syms);
  return syms.contains(std::string(symbol));
}

}  // namespace

absl::Status ShapeEnv::Unify(const DimExpr& a_in, const DimExpr& b_in, absl::string_view origin) {
  DimExpr a = Canon(a_in), b = Canon(b_in);
  if (a == b) return absl::OkStatus();
  if (a.is_const() && b.is_const()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": dimension ", a.ToString(), " must equal ", b.ToString()));
  }
  auto rank = [&](const DimExpr& s) {
    auto it = order_.find(s.symbol_name());
    return it == order_.end() ? INT32_MAX : it->second;
  };
  if (a.is_symbol() && b.is_symbol()) {
    // Keep the symbol seen first (graph inputs come first), so names stay the user's.
    if (rank(a) < rank(b)) {
      Bind(std::string(b.symbol_name()), a);
    } else {
      Bind(std::string(a.symbol_name()), b);
    }
    return absl::OkStatus();
  }
  if (b.is_symbol() && !Mentions(a, b.symbol_name())) {
    Bind(std::string(b.symbol_name()), a);
    return absl::OkStatus();
  }
  if (a.is_symbol() && !Mentions(b, a.symbol_name())) {
    Bind(std::string(a.symbol_name()), b);
    return absl::OkStatus();
  }
  if (auto diff = (a - b).as_const()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, ": dimension ", a.ToString(),
                                                   " can never equal ", b.ToString()));
  }
  // Linear in some symbol (past+seq == seq+s89): solve for the newest such symbol.
  DimExpr diff = a - b;
  std::optional<std::pair<std::string, int64_t>> best;
  for (const DimExpr::Term& t : diff.terms()) {
    if (t.factors.size() != 1 || t.factors[0]->kind != DimAtom::Kind::kSymbol ||
        (t.coeff != 1 && t.coeff != -1)) {
      continue;
    }
    const std::string& x = t.factors[0]->name;
    DimExpr rest = diff - DimExpr(t.coeff) * DimExpr::Symbol(x);
    if (Mentions(rest, x)) continue;
    if (!best || rank(DimExpr::Symbol(x)) > rank(DimExpr::Symbol(best->first))) {
      best.emplace(x, t.coeff);
    }
  }
  if (best) {
    DimExpr x = DimExpr::Symbol(best->first);
    Bind(best->first, best->second == 1 ? x - diff : x + diff);
    return absl::OkStatus();
  }
  constraints_.push_back(DimConstraint{a, DimConstraint::Kind::kEq, b, std::string(origin)});
  return absl::OkStatus();
}

absl::Status ShapeEnv::Assume(const DimExpr& lhs_in, DimConstraint::Kind kind,
                              const DimExpr& rhs_in, absl::string_view origin) {
  if (kind == DimConstraint::Kind::kEq) return Unify(lhs_in, rhs_in, origin);
  DimExpr lhs = Canon(lhs_in), rhs = Canon(rhs_in);
  DimExpr diff = rhs - lhs;
  if (auto c = diff.as_const()) {
    if (*c >= 0) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(origin, ": requires ", lhs.ToString(),
                                                   " <= ", rhs.ToString(), ", which is false"));
  }
  if (auto lb = diff.LowerBound(); lb && *lb >= 0) return absl::OkStatus();
  DimConstraint c{lhs, kind, rhs, std::string(origin)};
  for (const DimConstraint& e : constraints_) {
    if (e.kind == c.kind && e.lhs == c.lhs && e.rhs == c.rhs) return absl::OkStatus();
  }
  constraints_.push_back(std::move(c));
  return absl::OkStatus();
}

void ShapeEnv::ApplyTo(Graph& graph) const {
  auto fix_value = [&](Value* v) {
    if (!subst_.empty()) {
      v->set_type(Canon(v->type()));
      if (v->sym_value()) {
        std::vector<DimExpr> vals;
        for (const DimExpr& d : *v->sym_value()) vals.push_back(Canon(d));
        v->set_sym_value(std::move(vals));
      }
    }
  };
  for (Value* v : graph.inputs()) fix_value(v);
  for (Node* n : graph.nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) fix_value(n->output(i));
  }
  std::vector<DimConstraint> all = graph.constraints();
  all.insert(all.end(), constraints_.begin(), constraints_.end());
  std::vector<DimConstraint> kept;
  for (DimConstraint c : all) {
    c.lhs = Canon(c.lhs);
    c.rhs = Canon(c.rhs);
    if (c.lhs == c.rhs) continue;
    bool dup = std::any_of(kept.begin(), kept.end(), [&](const DimConstraint& k) {
      return k.kind == c.kind && k.lhs == c.lhs && k.rhs == c.rhs;
    });
    if (!dup) kept.push_back(std::move(c));
  }
  graph.constraints() = std::move(kept);
}

// ------------------------------------------------------------------------------ InferContext

InferContext::InferContext(const Node& node, ShapeEnv& env) : node_(node), env_(env) {
  for (Value* v : node.inputs()) {
    if (v == nullptr) {
      in_types_.emplace_back();
      in_syms_.emplace_back();
      continue;
    }
    in_types_.push_back(env.Canon(v->type()));
    if (v->sym_value()) {
      std::vector<DimExpr> vals;
      for (const DimExpr& d : *v->sym_value()) vals.push_back(env.Canon(d));
      in_syms_.push_back(std::move(vals));
    } else {
      in_syms_.emplace_back();
    }
  }
  out_types_.resize(node.num_outputs());
  out_syms_.resize(node.num_outputs());
}

const Tensor* InferContext::input_const(int i) const {
  if (!has_input(i)) return nullptr;
  const Node* p = node_.input(i)->producer();
  if (p == nullptr || p->op() != OpKind::kConstant) return nullptr;
  return p->attrs().FindAs<Tensor>("value");
}

const std::vector<DimExpr>* InferContext::input_sym(int i) const {
  if (i >= static_cast<int>(in_syms_.size()) || !in_syms_[i]) return nullptr;
  return &*in_syms_[i];
}

std::optional<std::vector<int64_t>> InferContext::input_ints(int i) const {
  if (const Tensor* t = input_const(i)) {
    if (!IsInteger(t->dtype())) return std::nullopt;
    std::vector<int64_t> out(t->num_elements());
    for (int64_t k = 0; k < t->num_elements(); ++k) out[k] = t->GetAsInt(k);
    return out;
  }
  if (const std::vector<DimExpr>* s = input_sym(i)) {
    std::vector<int64_t> out;
    for (const DimExpr& d : *s) {
      auto c = d.as_const();
      if (!c) return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }
  return std::nullopt;
}

void InferContext::SetOutput(int i, DType dtype, std::vector<DimExpr> dims) {
  out_types_[i] = TensorType{dtype, std::move(dims)};
}

void InferContext::SetOutputSym(int i, std::vector<DimExpr> values) {
  if (static_cast<int64_t>(values.size()) > kMaxSymValueElements) return;
  for (DimExpr& d : values) d = env_.Canon(d);
  out_syms_[i] = std::move(values);
}

absl::StatusOr<DimExpr> InferContext::BroadcastDim(const DimExpr& a_in, const DimExpr& b_in) {
  DimExpr a = Canon(a_in), b = Canon(b_in);
  if (a == b) return a;
  if (a.as_const() == 1) return b;
  if (b.as_const() == 1) return a;
  if (a.is_const() && b.is_const()) {
    return Error(absl::StrCat("cannot broadcast dimension ", a.ToString(), " with ",
                              b.ToString()));
  }
  // A symbolic dim meeting another dim: assume they are equal (a dynamic dim of size 1 that
  // broadcasts is not supported; the runtime check on bindings catches it).
  RETURN_IF_ERROR(Unify(a, b));
  return Canon(a);
}

absl::StatusOr<std::vector<DimExpr>> InferContext::BroadcastShapes(
    const std::vector<DimExpr>& a, const std::vector<DimExpr>& b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<DimExpr> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    size_t ia = i + a.size(), ib = i + b.size();
    DimExpr da = ia >= rank ? a[ia - rank] : DimExpr(1);
    DimExpr db = ib >= rank ? b[ib - rank] : DimExpr(1);
    auto d = BroadcastDim(da, db);
    if (!d.ok()) return d.status();
    out[i] = *d;
  }
  return out;
}

absl::Status InferContext::Unify(const DimExpr& a, const DimExpr& b) {
  absl::Status s = env_.Unify(a, b, node_.Describe());
  return s;
}

absl::Status InferContext::Assume(const DimExpr& lhs, DimConstraint::Kind kind,
                                  const DimExpr& rhs) {
  return env_.Assume(lhs, kind, rhs, node_.Describe());
}

bool IsDataDependentSymbol(absl::string_view name) { return !name.empty() && name[0] == '_'; }

DimExpr InferContext::DataDependentDim(int output, int dim) const {
  std::string name = "_";
  for (char c : node_.output(output)->name()) {
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  }
  absl::StrAppend(&name, "_", dim);
  return DimExpr::Symbol(name);
}

absl::StatusOr<int64_t> InferContext::NormalizeAxis(int64_t axis, int64_t rank) const {
  if (axis < -rank || axis >= rank || (rank == 0 && axis != 0 && axis != -1)) {
    return Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

absl::Status InferContext::Error(absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(node_.Describe(), ": ", what));
}

absl::Status InferContext::Unsupported(absl::string_view what) const {
  return absl::UnimplementedError(absl::StrCat(node_.Describe(), ": ", what));
}

absl::Status InferContext::ExpectDType(int i, std::initializer_list<DType> allowed) const {
  DType t = input_dtype(i);
  for (DType a : allowed) {
    if (a == t) return absl::OkStatus();
  }
  std::vector<std::string> names;
  for (DType a : allowed) names.emplace_back(DTypeName(a));
  return Error(absl::StrCat("input ", i, " has dtype ", DTypeName(t), ", expected one of ",
                            absl::StrJoin(names, ", ")));
}

absl::Status InferContext::ExpectSameDType(std::initializer_list<int> inputs) const {
  int first = *inputs.begin();
  for (int i : inputs) {
    if (has_input(i) && input_dtype(i) != input_dtype(first)) {
      return Error(absl::StrCat("input ", i, " has dtype ", DTypeName(input_dtype(i)),
                                " but input ", first, " has ", DTypeName(input_dtype(first))));
    }
  }
  return absl::OkStatus();
}

// --------------------------------------------------------------------------- Graph drivers

absl::Status CheckNodeSignature(const Node& node) {
  const OpInfo& info = node.info();
  int nin = node.num_inputs();
  if (nin < info.min_inputs || (info.max_inputs >= 0 && nin > info.max_inputs)) {
    return absl::InvalidArgumentError(absl::StrCat(
        node.Describe(), ": has ", nin, " inputs, expected ", info.min_inputs,
        info.max_inputs < 0 ? " or more" : absl::StrCat(" to ", info.max_inputs)));
  }
  for (int i = 0; i < std::min(nin, info.min_inputs); ++i) {
    if (node.input(i) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": required input ", i, " is missing"));
    }
  }
  int nout = node.num_outputs();
  if (nout < info.min_outputs || (info.max_outputs >= 0 && nout > info.max_outputs)) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": has ", nout,
                                                   " outputs, expected ", info.min_outputs,
                                                   " to ", info.max_outputs));
  }
  for (const auto& [name, value] : node.attrs().items()) {
    const AttrSpec* spec = info.FindAttr(name);
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": unknown attribute '", name, "'"));
    }
    if (KindOf(value) != spec->kind) {
      return absl::InvalidArgumentError(absl::StrCat(
          node.Describe(), ": attribute '", name, "' is ", AttrKindName(KindOf(value)),
          ", expected ", AttrKindName(spec->kind)));
    }
  }
  for (const AttrSpec& spec : info.attrs) {
    if (spec.required && !node.attrs().Has(spec.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          node.Describe(), ": required attribute '", spec.name, "' is missing"));
    }
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckOutputType(const Node& node, int i, const TensorType& t) {
  if (t.dtype == DType::kUndefined) {
    return absl::InternalError(
        absl::StrCat(node.Describe(), ": inference did not set output ", i));
  }
  DimExpr count(1);
  for (const DimExpr& d : t.dims) {
    if (!d.is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          node.Describe(), ": output ", i, " has a dimension that overflows or divides by 0"));
    }
    if (auto c = d.as_const(); c && *c < 0) {
      return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": output ", i,
                                                     " has negative dimension ", *c));
    }
    count = count * d;
  }
  if (!count.is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        node.Describe(), ": output ", i, " shape ", t.ToString(), " has too many elements"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InferNode(Node& node, ShapeEnv& env) {
  RETURN_IF_ERROR(CheckNodeSignature(node));
  for (int i = 0; i < node.num_inputs(); ++i) {
    Value* v = node.input(i);
    if (v && !v->has_type()) {
      return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": input ", i, " ('",
                                                     v->name(), "') has no type"));
    }
  }
  InferContext ctx(node, env);
  RETURN_IF_ERROR(node.info().infer(ctx));
  for (int i = 0; i < node.num_outputs(); ++i) {
    RETURN_IF_ERROR(CheckOutputType(node, i, ctx.out_types_[i]));
    node.output(i)->set_type(env.Canon(ctx.out_types_[i]));
    node.output(i)->set_sym_value(ctx.out_syms_[i]);
  }
  return absl::OkStatus();
}

absl::Status InferShapes(Graph& graph) {
  ShapeEnv env;
  for (Value* in : graph.inputs()) env.AddSymbolsOf(in->type());
  for (const DimConstraint& c : graph.constraints()) {
    if (c.kind == DimConstraint::Kind::kEq) RETURN_IF_ERROR(env.Unify(c.lhs, c.rhs, c.origin));
  }
  for (Node* n : graph.nodes()) RETURN_IF_ERROR(InferNode(*n, env));
  env.ApplyTo(graph);
  return absl::OkStatus();
}

namespace {

// True when `have` equals `want` up to dims of `want` that are DataDependentDim symbols
// (`_name_k`): later inference may have unified those with known dims.
bool SameOrBoundDataDependent(const TensorType& want, const TensorType& have) {
  if (want.dtype != have.dtype || want.rank() != have.rank()) return false;
  for (int64_t d = 0; d < want.rank(); ++d) {
    const DimExpr& w = want.dims[d];
    bool fresh = w.is_symbol() && IsDataDependentSymbol(w.symbol_name());
    if (w != have.dims[d] && !fresh) return false;
  }
  return true;
}

}  // namespace

absl::Status VerifyGraph(const Graph& graph) {
  absl::flat_hash_set<const Value*> defined;
  absl::flat_hash_set<std::string> names;
  auto define = [&](const Value* v) -> absl::Status {
    if (!names.insert(v->name()).second) {
      return absl::InvalidArgumentError(absl::StrCat("value name '", v->name(), "' is defined twice"));
    }
    if (graph.FindValue(v->name()) != v) {
      return absl::InternalError(absl::StrCat("value '", v->name(), "' is not registered"));
    }
    defined.insert(v);
    return absl::OkStatus();
  };
  for (const Value* v : graph.inputs()) RETURN_IF_ERROR(define(v));
  for (const Node* n : graph.nodes()) {
    RETURN_IF_ERROR(CheckNodeSignature(*n));
    for (int i = 0; i < n->num_inputs(); ++i) {
      const Value* v = n->input(i);
      if (v == nullptr) continue;
      if (!defined.contains(v)) {
        return absl::InvalidArgumentError(absl::StrCat(n->Describe(), ": input ", i, " ('",
                                                       v->name(), "') is not defined before it"));
      }
      const auto& uses = v->uses();
      if (std::find(uses.begin(), uses.end(), Use{const_cast<Node*>(n), i}) == uses.end()) {
        return absl::InternalError(absl::StrCat(n->Describe(), ": use list of '", v->name(),
                                                "' misses input ", i));
      }
    }
    for (int i = 0; i < n->num_outputs(); ++i) RETURN_IF_ERROR(define(n->output(i)));
  }
  for (const Value* v : graph.outputs()) {
    if (!defined.contains(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph output '", v->name(), "' is not defined"));
    }
  }
  // Types: re-infer each node from the stored input types and compare.
  ShapeEnv env;
  for (const Value* in : graph.inputs()) env.AddSymbolsOf(in->type());
  for (const Node* n : graph.nodes()) {
    InferContext ctx(*n, env);
    RETURN_IF_ERROR(n->info().infer(ctx));
    for (int i = 0; i < n->num_outputs(); ++i) {
      TensorType want = env.Canon(ctx.output_type(i));
      if (!SameOrBoundDataDependent(want, n->output(i)->type())) {
        return absl::InternalError(absl::StrCat(
            n->Describe(), ": output '", n->output(i)->name(), "' has type ",
            n->output(i)->type().ToString(), " but inference gives ", want.ToString()));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> FindUntypedValues(const Graph& graph) {
  std::vector<std::string> problems;
  auto check = [&](const Value* v) {
    if (!v->has_type()) {
      problems.push_back(absl::StrCat("value '", v->name(), "' has no type"));
      return;
    }
    for (const DimExpr& d : v->type().dims) {
      if (!d.is_valid()) problems.push_back(absl::StrCat("value '", v->name(), "' has an invalid dim"));
    }
  };
  for (const Value* v : graph.inputs()) check(v);
  for (const Node* n : graph.nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) check(n->output(i));
  }
  return problems;
}

}  // namespace kiln
