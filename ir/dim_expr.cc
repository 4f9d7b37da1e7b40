// Canonical form: constant_ + sum(terms_), each term a nonzero coefficient times a sorted
// multiset of atoms, terms sorted by their factor keys and merged when equal. Arithmetic
// builds the result term by term and re-normalises; any coefficient overflow marks the result
// invalid rather than wrapping, so absurd shapes surface as errors, never as small numbers.
#include "ir/dim_expr.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln {

using Term = DimExpr::Term;
using AtomPtr = std::shared_ptr<const DimAtom>;

namespace {

bool FactorsLess(const std::vector<AtomPtr>& a, const std::vector<AtomPtr>& b) {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](const AtomPtr& x, const AtomPtr& y) { return x->key < y->key; });
}

bool FactorsEqual(const std::vector<AtomPtr>& a, const std::vector<AtomPtr>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i]->key != b[i]->key) return false;
  }
  return true;
}

std::string AtomKey(DimAtom::Kind kind, absl::string_view name, const DimExpr& lhs,
                    const DimExpr& rhs) {
  switch (kind) {
    case DimAtom::Kind::kSymbol: return std::string(name);
    case DimAtom::Kind::kFloorDiv: return absl::StrCat("div(", lhs.ToString(), ",", rhs.ToString(), ")");
    case DimAtom::Kind::kMod: return absl::StrCat("mod(", lhs.ToString(), ",", rhs.ToString(), ")");
    case DimAtom::Kind::kMin: return absl::StrCat("min(", lhs.ToString(), ",", rhs.ToString(), ")");
    case DimAtom::Kind::kMax: return absl::StrCat("max(", lhs.ToString(), ",", rhs.ToString(), ")");
  }
  return "";
}

AtomPtr MakeAtom(DimAtom::Kind kind, absl::string_view name, DimExpr lhs, DimExpr rhs) {
  auto atom = std::make_shared<DimAtom>();
  atom->kind = kind;
  atom->name = std::string(name);
  atom->key = AtomKey(kind, name, lhs, rhs);
  atom->lhs = std::move(lhs);
  atom->rhs = std::move(rhs);
  return atom;
}

bool FloorDivInt(int64_t a, int64_t b, int64_t* out) {
  if (b == 0 || (a == INT64_MIN && b == -1)) return false;
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  *out = q;
  return true;
}

}  // namespace

// Builds canonical expressions; a friend so it can fill DimExpr's fields.
struct DimExprBuilder {
  static DimExpr Make(int64_t constant, std::vector<Term> terms, bool invalid) {
    DimExpr e;
    if (invalid) return DimExpr::Invalid();
    std::sort(terms.begin(), terms.end(),
              [](const Term& a, const Term& b) { return FactorsLess(a.factors, b.factors); });
    std::vector<Term> merged;
    for (Term& t : terms) {
      if (!merged.empty() && FactorsEqual(merged.back().factors, t.factors)) {
        if (__builtin_add_overflow(merged.back().coeff, t.coeff, &merged.back().coeff)) {
          return DimExpr::Invalid();
        }
      } else {
        merged.push_back(std::move(t));
      }
    }
    std::erase_if(merged, [](const Term& t) { return t.coeff == 0; });
    e.constant_ = constant;
    e.terms_ = std::move(merged);
    return e;
  }

  static DimExpr FromAtom(AtomPtr atom) {
    return Make(0, {Term{1, {std::move(atom)}}}, false);
  }
};

DimExpr DimExpr::Symbol(absl::string_view name) {
  return DimExprBuilder::FromAtom(MakeAtom(DimAtom::Kind::kSymbol, name, {}, {}));
}

DimExpr DimExpr::Invalid() {
  DimExpr e;
  e.invalid_ = true;
  return e;
}

std::optional<int64_t> DimExpr::as_const() const {
  if (!is_const()) return std::nullopt;
  return constant_;
}

bool DimExpr::is_symbol() const {
  return !invalid_ && constant_ == 0 && terms_.size() == 1 && terms_[0].coeff == 1 &&
         terms_[0].factors.size() == 1 &&
         terms_[0].factors[0]->kind == DimAtom::Kind::kSymbol;
}

absl::string_view DimExpr::symbol_name() const {
  return is_symbol() ? absl::string_view(terms_[0].factors[0]->name) : absl::string_view();
}

DimExpr operator+(const DimExpr& a, const DimExpr& b) {
  if (a.invalid_ || b.invalid_) return DimExpr::Invalid();
  int64_t c;
  if (__builtin_add_overflow(a.constant_, b.constant_, &c)) return DimExpr::Invalid();
  std::vector<Term> terms = a.terms_;
  terms.insert(terms.end(), b.terms_.begin(), b.terms_.end());
  return DimExprBuilder::Make(c, std::move(terms), false);
}

DimExpr operator-(const DimExpr& a, const DimExpr& b) {
  if (a.invalid_ || b.invalid_) return DimExpr::Invalid();
  int64_t c;
  if (__builtin_sub_overflow(a.constant_, b.constant_, &c)) return DimExpr::Invalid();
  std::vector<Term> terms = a.terms_;
  for (Term t : b.terms_) {
    if (t.coeff == INT64_MIN) return DimExpr::Invalid();
    t.coeff = -t.coeff;
    terms.push_back(std::move(t));
  }
  return DimExprBuilder::Make(c, std::move(terms), false);
}

DimExpr operator*(const DimExpr& a, const DimExpr& b) {
  if (a.invalid_ || b.invalid_) return DimExpr::Invalid();
  // Treat the constants as factor-free terms so one double loop covers every product.
  std::vector<Term> lhs = a.terms_, rhs = b.terms_;
  if (a.constant_ != 0) lhs.push_back(Term{a.constant_, {}});
  if (b.constant_ != 0) rhs.push_back(Term{b.constant_, {}});
  int64_t constant = 0;
  std::vector<Term> terms;
  for (const Term& x : lhs) {
    for (const Term& y : rhs) {
      int64_t coeff;
      if (__builtin_mul_overflow(x.coeff, y.coeff, &coeff)) return DimExpr::Invalid();
      if (x.factors.empty() && y.factors.empty()) {
        if (__builtin_add_overflow(constant, coeff, &constant)) return DimExpr::Invalid();
        continue;
      }
      Term t{coeff, x.factors};
      t.factors.insert(t.factors.end(), y.factors.begin(), y.factors.end());
      std::sort(t.factors.begin(), t.factors.end(),
                [](const AtomPtr& p, const AtomPtr& q) { return p->key < q->key; });
      terms.push_back(std::move(t));
    }
  }
  return DimExprBuilder::Make(constant, std::move(terms), false);
}

namespace {

// Divides `a` by `b` exactly when every term of `a` is a multiple of the monomial `b`.
std::optional<DimExpr> ExactDivByMonomial(const DimExpr& a, int64_t coeff,
                                          const std::vector<AtomPtr>& factors) {
  if (coeff == 0) return std::nullopt;
  DimExpr result(0);
  auto divide_term = [&](int64_t c, std::vector<AtomPtr> fs) -> bool {
    if (c % coeff != 0) return false;
    for (const AtomPtr& f : factors) {
      auto it = std::find_if(fs.begin(), fs.end(),
                             [&](const AtomPtr& g) { return g->key == f->key; });
      if (it == fs.end()) return false;
      fs.erase(it);
    }
    DimExpr term(c / coeff);
    for (const AtomPtr& f : fs) term = term * DimExprBuilder::FromAtom(f);
    result = result + term;
    return true;
  };
  if (a.constant_term() != 0 && !divide_term(a.constant_term(), {})) return std::nullopt;
  for (const Term& t : a.terms()) {
    if (!divide_term(t.coeff, t.factors)) return std::nullopt;
  }
  return result;
}

// Exact division of polynomials when `a` is a constant multiple of `b`, or `b` a monomial.
std::optional<DimExpr> ExactDiv(const DimExpr& a, const DimExpr& b) {
  if (b.terms().empty()) return ExactDivByMonomial(a, b.constant_term(), {});
  if (b.constant_term() == 0 && b.terms().size() == 1) {
    return ExactDivByMonomial(a, b.terms()[0].coeff, b.terms()[0].factors);
  }
  if (a == b) return DimExpr(1);
  return std::nullopt;
}

}  // namespace

DimExpr DimExpr::FloorDiv(const DimExpr& a, const DimExpr& b) {
  if (a.invalid_ || b.invalid_) return Invalid();
  if (auto bc = b.as_const()) {
    if (*bc == 0) return Invalid();
    if (*bc == 1) return a;
    if (auto ac = a.as_const()) {
      int64_t q;
      if (!FloorDivInt(*ac, *bc, &q)) return Invalid();
      return DimExpr(q);
    }
  }
  if (auto q = ExactDiv(a, b)) return *q;
  return DimExprBuilder::FromAtom(MakeAtom(DimAtom::Kind::kFloorDiv, "", a, b));
}

DimExpr DimExpr::CeilDiv(const DimExpr& a, const DimExpr& b) {
  if (auto q = ExactDiv(a, b)) return *q;
  return FloorDiv(a + b - DimExpr(1), b);
}

DimExpr DimExpr::Mod(const DimExpr& a, const DimExpr& b) {
  if (a.invalid_ || b.invalid_) return Invalid();
  auto ac = a.as_const();
  auto bc = b.as_const();
  if (bc && *bc == 0) return Invalid();
  if (ac && bc) {
    int64_t q;
    if (!FloorDivInt(*ac, *bc, &q)) return Invalid();
    return DimExpr(*ac - q * *bc);
  }
  if (bc && *bc == 1) return DimExpr(0);
  if (ExactDiv(a, b)) return DimExpr(0);
  return DimExprBuilder::FromAtom(MakeAtom(DimAtom::Kind::kMod, "", a, b));
}

namespace {

DimExpr MinMax(const DimExpr& a, const DimExpr& b, bool is_min) {
  if (!a.is_valid() || !b.is_valid()) return DimExpr::Invalid();
  if (a == b) return a;
  if (auto d = (a - b).as_const()) return ((*d < 0) == is_min) ? a : b;
  // Commutative: order operands canonically so min(a,b) and min(b,a) are equal.
  std::string ka = a.ToString(), kb = b.ToString();
  const DimExpr& lo = ka < kb ? a : b;
  const DimExpr& hi = ka < kb ? b : a;
  return DimExprBuilder::FromAtom(
      MakeAtom(is_min ? DimAtom::Kind::kMin : DimAtom::Kind::kMax, "", lo, hi));
}

}  // namespace

DimExpr DimExpr::Min(const DimExpr& a, const DimExpr& b) { return MinMax(a, b, true); }
DimExpr DimExpr::Max(const DimExpr& a, const DimExpr& b) { return MinMax(a, b, false); }

bool operator==(const DimExpr& a, const DimExpr& b) {
  if (a.invalid_ || b.invalid_) return a.invalid_ == b.invalid_;
  if (a.constant_ != b.constant_ || a.terms_.size() != b.terms_.size()) return false;
  for (size_t i = 0; i < a.terms_.size(); ++i) {
    if (a.terms_[i].coeff != b.terms_[i].coeff ||
        !FactorsEqual(a.terms_[i].factors, b.terms_[i].factors)) {
      return false;
    }
  }
  return true;
}

std::string DimExpr::ToString() const {
  if (invalid_) return "<invalid>";
  if (terms_.empty()) return absl::StrCat(constant_);
  std::string out;
  for (const Term& t : terms_) {
    std::string factors = absl::StrJoin(
        t.factors, "*", [](std::string* s, const AtomPtr& f) { s->append(f->key); });
    uint64_t mag = t.coeff < 0 ? 0 - static_cast<uint64_t>(t.coeff) : t.coeff;
    if (out.empty()) {
      if (t.coeff < 0) out += "-";
    } else {
      out += t.coeff < 0 ? "-" : "+";
    }
    if (mag != 1) absl::StrAppend(&out, mag, "*");
    out += factors;
  }
  if (constant_ > 0) absl::StrAppend(&out, "+", constant_);
  if (constant_ < 0) absl::StrAppend(&out, constant_);
  return out;
}

namespace {

class DimParser {
 public:
  explicit DimParser(absl::string_view text) : text_(text) {}

  absl::StatusOr<DimExpr> ParseAll() {
    auto e = ParseSum();
    if (!e.ok()) return e;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected character");
    if (!e->is_valid()) return Error("overflow or division by zero");
    return e;
  }

 private:
  absl::Status Error(absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad dimension expression '", text_, "': ", what, " at offset ", pos_));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  absl::StatusOr<DimExpr> ParseSum() {
    auto lhs = ParseProduct();
    if (!lhs.ok()) return lhs;
    DimExpr acc = *lhs;
    while (true) {
      if (Eat('+')) {
        auto rhs = ParseProduct();
        if (!rhs.ok()) return rhs;
        acc = acc + *rhs;
      } else if (Eat('-')) {
        auto rhs = ParseProduct();
        if (!rhs.ok()) return rhs;
        acc = acc - *rhs;
      } else {
        return acc;
      }
    }
  }

  absl::StatusOr<DimExpr> ParseProduct() {
    auto lhs = ParseUnary();
    if (!lhs.ok()) return lhs;
    DimExpr acc = *lhs;
    while (Eat('*')) {
      auto rhs = ParseUnary();
      if (!rhs.ok()) return rhs;
      acc = acc * *rhs;
    }
    return acc;
  }

  absl::StatusOr<DimExpr> ParseUnary() {
    if (Eat('-')) {
      auto e = ParseUnary();
      if (!e.ok()) return e;
      return -*e;
    }
    return ParsePrimary();
  }

  absl::StatusOr<DimExpr> ParsePrimary() {
    SkipSpace();
    if (++depth_ > 64) return Error("nesting too deep");
    if (Eat('(')) {
      auto e = ParseSum();
      if (!e.ok()) return e;
      if (!Eat(')')) return Error("expected ')'");
      --depth_;
      return e;
    }
    if (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      int64_t v = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, text_[pos_] - '0', &v)) {
          return Error("integer overflow");
        }
        ++pos_;
      }
      --depth_;
      return DimExpr(v);
    }
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '_')) {
      ++pos_;
    }
    if (start == pos_) return Error("expected a number, symbol or '('");
    absl::string_view ident = text_.substr(start, pos_ - start);
    using Fn = DimExpr (*)(const DimExpr&, const DimExpr&);
    Fn fn = ident == "div" ? &DimExpr::FloorDiv
            : ident == "mod" ? &DimExpr::Mod
            : ident == "min" ? &DimExpr::Min
            : ident == "max" ? &DimExpr::Max
                             : nullptr;
    if (fn == nullptr) {
      --depth_;
      return DimExpr::Symbol(ident);
    }
    if (!Eat('(')) return Error("expected '(' after function name");
    auto a = ParseSum();
    if (!a.ok()) return a;
    if (!Eat(',')) return Error("expected ','");
    auto b = ParseSum();
    if (!b.ok()) return b;
    if (!Eat(')')) return Error("expected ')'");
    --depth_;
    return fn(*a, *b);
  }

  absl::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

absl::StatusOr<DimExpr> DimExpr::Parse(absl::string_view text) {
  return DimParser(text).ParseAll();
}

absl::StatusOr<int64_t> DimExpr::Evaluate(
    const absl::flat_hash_map<std::string, int64_t>& env) const {
  if (invalid_) return absl::InvalidArgumentError("dimension overflowed or divided by zero");
  auto overflow = [this] {
    return absl::OutOfRangeError(absl::StrCat("integer overflow evaluating dimension ", ToString()));
  };
  int64_t sum = constant_;
  for (const Term& t : terms_) {
    int64_t prod = t.coeff;
    for (const AtomPtr& f : t.factors) {
      int64_t v;
      if (f->kind == DimAtom::Kind::kSymbol) {
        auto it = env.find(f->name);
        if (it == env.end()) {
          return absl::InvalidArgumentError(absl::StrCat("symbol '", f->name, "' is not bound"));
        }
        v = it->second;
      } else {
        auto a = f->lhs.Evaluate(env);
        if (!a.ok()) return a;
        auto b = f->rhs.Evaluate(env);
        if (!b.ok()) return b;
        switch (f->kind) {
          case DimAtom::Kind::kMin: v = std::min(*a, *b); break;
          case DimAtom::Kind::kMax: v = std::max(*a, *b); break;
          case DimAtom::Kind::kFloorDiv:
          case DimAtom::Kind::kMod: {
            int64_t q;
            if (!FloorDivInt(*a, *b, &q)) {
              return absl::InvalidArgumentError(absl::StrCat("division by zero in ", ToString()));
            }
            v = f->kind == DimAtom::Kind::kFloorDiv ? q : *a - q * *b;
            break;
          }
          default: v = 0;
        }
      }
      if (__builtin_mul_overflow(prod, v, &prod)) return overflow();
    }
    if (__builtin_add_overflow(sum, prod, &sum)) return overflow();
  }
  return sum;
}

DimExpr DimExpr::Substitute(
    const std::function<std::optional<DimExpr>(absl::string_view)>& fn) const {
  if (invalid_ || terms_.empty()) return *this;
  DimExpr result(constant_);
  for (const Term& t : terms_) {
    DimExpr prod(t.coeff);
    for (const AtomPtr& f : t.factors) {
      DimExpr factor;
      switch (f->kind) {
        case DimAtom::Kind::kSymbol: {
          std::optional<DimExpr> r = fn(f->name);
          factor = r ? *r : DimExprBuilder::FromAtom(f);
          break;
        }
        case DimAtom::Kind::kFloorDiv: factor = FloorDiv(f->lhs.Substitute(fn), f->rhs.Substitute(fn)); break;
        case DimAtom::Kind::kMod: factor = Mod(f->lhs.Substitute(fn), f->rhs.Substitute(fn)); break;
        case DimAtom::Kind::kMin: factor = Min(f->lhs.Substitute(fn), f->rhs.Substitute(fn)); break;
        case DimAtom::Kind::kMax: factor = Max(f->lhs.Substitute(fn), f->rhs.Substitute(fn)); break;
      }
      prod = prod * factor;
    }
    result = result + prod;
  }
  return result;
}

void DimExpr::CollectSymbols(absl::btree_set<std::string>* out) const {
  for (const Term& t : terms_) {
    for (const AtomPtr& f : t.factors) {
      if (f->kind == DimAtom::Kind::kSymbol) {
        out->insert(f->name);
      } else {
        f->lhs.CollectSymbols(out);
        f->rhs.CollectSymbols(out);
      }
    }
  }
}

std::optional<int64_t> DimExpr::LowerBound() const {
  if (invalid_) return std::nullopt;
  for (const Term& t : terms_) {
    if (t.coeff < 0) return std::nullopt;
    // Each factor must be provably non-negative for the term to be (coeff >= 0).
    for (const AtomPtr& f : t.factors) {
      auto nonneg = [](const DimExpr& e) {
        std::optional<int64_t> lb = e.LowerBound();
        return lb && *lb >= 0;
      };
      auto positive = [](const DimExpr& e) {
        std::optional<int64_t> lb = e.LowerBound();
        return lb && *lb >= 1;
      };
      switch (f->kind) {
        case DimAtom::Kind::kSymbol: break;
        case DimAtom::Kind::kMin:
        case DimAtom::Kind::kMax:
          if (!nonneg(f->lhs) || !nonneg(f->rhs)) return std::nullopt;
          break;
        case DimAtom::Kind::kFloorDiv:
          if (!nonneg(f->lhs) || !positive(f->rhs)) return std::nullopt;
          break;
        case DimAtom::Kind::kMod:
          if (!positive(f->rhs)) return std::nullopt;
          break;
      }
    }
  }
  return constant_;
}

std::string DimsToString(const std::vector<DimExpr>& dims) {
  return absl::StrCat(
      "[", absl::StrJoin(dims, ",", [](std::string* s, const DimExpr& d) { s->append(d.ToString()); }),
      "]");
}

}  // namespace kiln
