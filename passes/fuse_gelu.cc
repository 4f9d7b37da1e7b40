// fuse-gelu: the exporters' decompositions of GELU -> Gelu.
//
//   erf form:  x * 0.5 * (1 + erf(x / sqrt(2)))                        -> approximate="none"
//   tanh form: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))   -> approximate="tanh"
//
// Rather than enumerate operand orders and constant placements (Div by sqrt(2) or Mul by
// 1/sqrt(2), 0.5 applied first or last, x^3 as Pow or as Muls, the tanh argument distributed or
// factored), the expression ending at a candidate root is expanded into a polynomial in x and
// t = erf(..) or tanh(..), through Add, Sub, Mul, Neg, Div by a constant and Pow by a small
// integer, and compared with 0.5 x + 0.5 x t; the argument of t is expanded the same way and
// compared with x / sqrt(2), or with sqrt(2/pi) (x + 0.044715 x^3). x is the one leaf of the
// argument's expansion. The expansions enter only values with a single use (besides x), so a
// fusion never duplicates work; a root that would match if a shared value were entered is
// noted as such. Constants must equal the exact ones up to rounding in their dtype.
#include <cmath>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/fusion_match.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

constexpr int kMaxDegree = 6;
constexpr int kMaxNodes = 32;

// Coefficients by (degree in x, degree in t).
using Poly = std::map<std::pair<int, int>, double>;

Poly Times(const Poly& a, const Poly& b) {
  Poly r;
  for (const auto& [ea, ca] : a) {
    for (const auto& [eb, cb] : b) r[{ea.first + eb.first, ea.second + eb.second}] += ca * cb;
  }
  return r;
}

Poly Plus(Poly a, const Poly& b, double sign) {
  for (const auto& [e, c] : b) a[e] += sign * c;
  return a;
}

int Degree(const Poly& p) {
  int d = 0;
  for (const auto& [e, c] : p) d = std::max(d, e.first + e.second);
  return d;
}

// Expands values into polynomials over {x, t}. Without a preset x, the first leaf found is x
// and a second leaf fails the expansion. Values with several uses are leaves unless
// `shared_ok` (used only to tell a near miss apart).
class Expander {
 public:
  Expander(const Graph& graph, Value* t, Value* x = nullptr, bool shared_ok = false)
      : graph_(graph), t_(t), x_(x), shared_ok_(shared_ok) {}

  // The polynomial `v` computes; `v` itself is entered even if it has several uses.
  std::optional<Poly> Expand(Value* v, bool is_root = false) {
    if (++visited_ > kMaxNodes) return std::nullopt;
    if (v == t_ && t_ != nullptr) return Poly{{{0, 1}, 1.0}};
    if (std::optional<double> c = ConstantScalar(v)) return Poly{{{0, 0}, *c}};
    Node* n = v->producer();
    if (v == x_ || n == nullptr || (!is_root && !shared_ok_ && !HasSingleUse(graph_, v)) ||
        !IsArithmetic(n->op())) {
      if (x_ != nullptr && v != x_) return std::nullopt;  // A second leaf.
      x_ = v;
      return Poly{{{1, 0}, 1.0}};
    }
    if (n->op() == OpKind::kNeg) {
      auto a = Expand(n->input(0));
      return a ? std::optional<Poly>(Plus({}, *a, -1)) : std::nullopt;
    }
    auto a = Expand(n->input(0));
    if (!a) return std::nullopt;
    if (n->op() == OpKind::kDiv || n->op() == OpKind::kPow) {
      std::optional<double> c = ConstantScalar(n->input(1));
      if (!c || (n->op() == OpKind::kDiv && *c == 0)) return std::nullopt;
      if (n->op() == OpKind::kDiv) return Times(*a, Poly{{{0, 0}, 1.0 / *c}});
      if (*c != std::floor(*c) || *c < 1 || *c > kMaxDegree || *c * Degree(*a) > kMaxDegree) {
        return std::nullopt;
      }
      Poly r = *a;
      for (int i = 1; i < static_cast<int>(*c); ++i) r = Times(r, *a);
      return r;
    }
    auto b = Expand(n->input(1));
    if (!b) return std::nullopt;
    if (n->op() == OpKind::kMul) {
      if (Degree(*a) + Degree(*b) > kMaxDegree) return std::nullopt;
      return Times(*a, *b);
    }
    return Plus(*a, *b, n->op() == OpKind::kAdd ? 1 : -1);
  }

  Value* x() const { return x_; }

 private:
  static bool IsArithmetic(OpKind op) {
    return op == OpKind::kAdd || op == OpKind::kSub || op == OpKind::kMul || op == OpKind::kDiv ||
           op == OpKind::kNeg || op == OpKind::kPow;
  }

  const Graph& graph_;
  Value* t_;
  Value* x_;
  bool shared_ok_;
  int visited_ = 0;
};

// True when `p` has exactly the terms of `want`, each coefficient equal up to `dtype` rounding.
bool Matches(const Poly& p, const Poly& want, DType dtype) {
  for (const auto& [e, c] : p) {
    auto it = want.find(e);
    if (it == want.end() ? std::abs(c) > 1e-12 : !NearExact(c, it->second, dtype)) return false;
  }
  for (const auto& [e, c] : want) {
    if (!p.count(e)) return false;
  }
  return true;
}

std::string Show(const Poly& p) {
  std::string s;
  for (const auto& [e, c] : p) {
    if (c == 0) continue;
    absl::StrAppend(&s, s.empty() ? "" : " + ", c, e.first ? "*x" : "",
                    e.first > 1 ? absl::StrCat("^", e.first) : "", e.second ? "*t" : "");
  }
  return s.empty() ? "0" : s;
}

// The first Erf or Tanh reached from `v` through a few arithmetic ops.
Node* FindAtom(Value* v, int depth = 0) {
  Node* n = v->producer();
  if (n == nullptr || depth > 8) return nullptr;
  if (n->op() == OpKind::kErf || n->op() == OpKind::kTanh) return n;
  if (n->op() != OpKind::kAdd && n->op() != OpKind::kSub && n->op() != OpKind::kMul &&
      n->op() != OpKind::kDiv && n->op() != OpKind::kNeg) {
    return nullptr;
  }
  for (Value* in : n->inputs()) {
    if (Node* a = in ? FindAtom(in, depth + 1) : nullptr) return a;
  }
  return nullptr;
}

class GeluPattern : public RewritePattern {
 public:
  absl::string_view name() const override { return "gelu"; }

  absl::StatusOr<bool> MatchAndRewrite(Node* root, Graph& graph, PassContext& ctx) override {
    if (root->op() != OpKind::kMul && root->op() != OpKind::kAdd) return false;
    if (!IsFloat(root->output(0)->type().dtype)) return false;
    Node* atom = nullptr;
    for (Value* in : root->inputs()) {
      if (atom == nullptr) atom = FindAtom(in);
    }
    if (atom == nullptr) return false;
    std::string why;
    std::optional<std::string> approximate = Match(graph, root, atom, &why);
    if (!approximate) {
      if (!why.empty() && IsOutermost(graph, root)) {
        NoteOnce(ctx, absl::StrCat("fuse-gelu: ", root->Describe(), ": ", why));
      }
      return false;
    }
    Attributes attrs;
    attrs.Set("approximate", *approximate);
    ASSIGN_OR_RETURN(Node * gelu, AddInferredNode(graph, OpKind::kGelu, {x_}, 1, std::move(attrs),
                                                  root->name(), root));
    Value* old = root->output(0);
    RETURN_IF_ERROR(ReplaceValue(graph, old, gelu->output(0)));
    EraseDeadProducers(graph, {old});
    return true;
  }

 private:
  // "none" or "tanh" when `root` computes GELU of one x through `atom`; else sets `why` for a
  // near miss worth a note.
  std::optional<std::string> Match(const Graph& graph, Node* root, Node* atom, std::string* why) {
    Expander inner(graph, nullptr);
    std::optional<Poly> arg = inner.Expand(atom->input(0));
    x_ = inner.x();
    if (!arg || x_ == nullptr) return std::nullopt;  // Not a function of one x.
    const DType dtype = x_->type().dtype;
    const Poly gelu = {{{1, 0}, 0.5}, {{1, 1}, 0.5}};
    Expander outer(graph, atom->output(0), x_);
    std::optional<Poly> p = outer.Expand(root->output(0), /*is_root=*/true);
    if (!p) {
      Expander loose(graph, atom->output(0), x_, /*shared_ok=*/true);
      std::optional<Poly> q = loose.Expand(root->output(0), /*is_root=*/true);
      if (q && Matches(*q, gelu, dtype)) {
        *why = "an intermediate value is used elsewhere, fusing would compute it twice";
      }
      return std::nullopt;
    }
    if (!Matches(*p, gelu, dtype)) {
      if (p->count({1, 1})) *why = absl::StrCat("computes ", Show(*p), ", not 0.5*x + 0.5*x*t");
      return std::nullopt;
    }
    if (!HasSingleUse(graph, atom->output(0))) {
      *why = absl::StrCat("the ", atom->op_name(), " result is used elsewhere, fusing would ",
                          "compute it twice");
      return std::nullopt;
    }
    if (root->output(0)->type() != x_->type()) {
      *why = "the result is broadcast beyond x's shape";
      return std::nullopt;
    }
    if (atom->op() == OpKind::kErf) {
      if (Matches(*arg, {{{1, 0}, M_SQRT1_2}}, dtype)) return "none";
      *why = absl::StrCat("the erf argument is ", Show(*arg), ", not x/sqrt(2)");
      return std::nullopt;
    }
    const double k = std::sqrt(2.0 / M_PI);
    if (Matches(*arg, {{{1, 0}, k}, {{3, 0}, k * 0.044715}}, dtype)) return "tanh";
    *why = absl::StrCat("the tanh argument is ", Show(*arg), ", not sqrt(2/pi)*(x + 0.044715*x^3)");
    return std::nullopt;
  }

  // True unless `root`'s value only feeds more arithmetic, where a larger match may still come.
  static bool IsOutermost(const Graph& graph, Node* root) {
    Node* user = SoleUser(graph, root->output(0));
    if (user == nullptr) return true;
    OpKind op = user->op();
    return op != OpKind::kAdd && op != OpKind::kSub && op != OpKind::kMul && op != OpKind::kDiv &&
           op != OpKind::kNeg;
  }

  Value* x_ = nullptr;
};

}  // namespace

std::unique_ptr<Pass> CreateFuseGelu() {
  return MakePatternPass("fuse-gelu", std::make_unique<GeluPattern>());
}

}  // namespace kiln
