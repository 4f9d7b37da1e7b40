// Plain symbols in input dims bind directly; a dim such as `past+new` whose only unbound
// symbol appears linearly is solved for it; everything is then evaluated and compared.
#include "ir/symbol_bindings.h"

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln {
namespace {

// If `dim` is c*s + rest with `s` the only unbound symbol, appearing in one plain term,
// returns s's value for `value`.
std::optional<std::pair<std::string, int64_t>> SolveLinear(const DimExpr& dim, int64_t value,
                                                          const SymbolBindings& b) {
  absl::btree_set<std::string> syms;
  dim.CollectSymbols(&syms);
  std::vector<std::string> unbound;
  for (const std::string& s : syms) {
    if (!b.contains(s)) unbound.push_back(s);
  }
  if (unbound.size() != 1) return std::nullopt;
  const std::string& s = unbound[0];
  int64_t coeff = 0;
  for (const DimExpr::Term& t : dim.terms()) {
    bool plain = t.factors.size() == 1 && t.factors[0]->kind == DimAtom::Kind::kSymbol &&
                 t.factors[0]->name == s;
    if (plain) {
      coeff = t.coeff;
    } else {
      for (const auto& f : t.factors) {
        absl::btree_set<std::string> fs;
        if (f->kind == DimAtom::Kind::kSymbol) {
          if (f->name == s) return std::nullopt;
        } else {
          f->lhs.CollectSymbols(&fs);
          f->rhs.CollectSymbols(&fs);
          if (fs.contains(s)) return std::nullopt;
        }
      }
    }
  }
  if (coeff == 0) return std::nullopt;
  DimExpr rest = dim - DimExpr(coeff) * DimExpr::Symbol(s);
  auto r = rest.Evaluate(b);
  if (!r.ok()) return std::nullopt;
  int64_t diff = value - *r;
  if (diff % coeff != 0) return std::nullopt;
  return std::make_pair(s, diff / coeff);
}

}  // namespace

absl::StatusOr<SymbolBindings> BindSymbols(const Graph& graph,
                                           absl::Span<const std::vector<int64_t>> input_shapes,
                                           const SymbolBindings* known) {
  auto inputs = graph.inputs();
  if (input_shapes.size() != inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("graph has ", inputs.size(),
                                                   " inputs, got ", input_shapes.size()));
  }
  SymbolBindings b;
  absl::flat_hash_map<std::string, std::string> bound_by;
  if (known != nullptr) {
    b = *known;
    for (const auto& [s, v] : b) bound_by[s] = "the caller";
  }
  auto where = [&](size_t i, size_t d) {
    return absl::StrCat("input '", inputs[i]->name(), "' dim ", d);
  };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorType& t = inputs[i]->type();
    if (static_cast<int64_t>(input_shapes[i].size()) != t.rank()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input '", inputs[i]->name(), "' has rank ", input_shapes[i].size(), ", expected ",
          t.rank(), " (", t.ToString(), ")"));
    }
    for (size_t d = 0; d < input_shapes[i].size(); ++d) {
      int64_t v = input_shapes[i][d];
      if (v < 0) return absl::InvalidArgumentError(absl::StrCat(where(i, d), " is negative"));
      if (!t.dims[d].is_symbol()) continue;
      std::string s(t.dims[d].symbol_name());
      auto [it, inserted] = b.emplace(s, v);
      if (inserted) {
        bound_by[s] = where(i, d);
      } else if (it->second != v) {
        return absl::InvalidArgumentError(absl::StrCat(where(i, d), " is ", v, " but ",
                                                       bound_by[s], " set ", s, "=", it->second));
      }
    }
  }
  // Solve remaining symbols that appear linearly, until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const TensorType& t = inputs[i]->type();
      for (size_t d = 0; d < t.dims.size(); ++d) {
        if (auto sol = SolveLinear(t.dims[d], input_shapes[i][d], b)) {
          b[sol->first] = sol->second;
          bound_by[sol->first] = where(i, d);
          changed = true;
        }
      }
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorType& t = inputs[i]->type();
    for (size_t d = 0; d < t.dims.size(); ++d) {
      auto v = t.dims[d].Evaluate(b);
      if (!v.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(where(i, d), ": ", v.status().message()));
      }
      if (*v != input_shapes[i][d]) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(i, d), " is ", input_shapes[i][d], " but must equal ",
                         t.dims[d].ToString(), " = ", *v));
      }
    }
  }
  for (const DimConstraint& c : graph.constraints()) {
    auto l = c.lhs.Evaluate(b);
    auto r = c.rhs.Evaluate(b);
    if (!l.ok()) return l.status();
    if (!r.ok()) return r.status();
    bool ok = c.kind == DimConstraint::Kind::kEq ? *l == *r : *l <= *r;
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the inputs violate ", c.ToString(), " (", *l, " vs ", *r, "), required by ", c.origin));
    }
  }
  return b;
}

absl::StatusOr<std::vector<int64_t>> EvaluateDims(const std::vector<DimExpr>& dims,
                                                  const SymbolBindings& bindings) {
  std::vector<int64_t> out;
  out.reserve(dims.size());
  for (const DimExpr& d : dims) {
    auto v = d.Evaluate(bindings);
    if (!v.ok()) return v.status();
    if (*v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimension ", d.ToString(), " evaluates to negative ", *v));
    }
    out.push_back(*v);
  }
  return out;
}

}  // namespace kiln
