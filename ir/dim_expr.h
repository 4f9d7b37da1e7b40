// Symbolic tensor dimensions: integer polynomials over named symbols (`batch`, `seq`,
// `batch*seq`, `past+seq`), with floor division, modulo, min and max kept as opaque atoms
// when they do not simplify. Every DimExpr is kept in one canonical form, so structural
// equality is semantic equality for polynomials, and printing then parsing gives the same
// expression back.
#ifndef KILN_IR_DIM_EXPR_H_
#define KILN_IR_DIM_EXPR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace kiln {

struct DimAtom;

// A symbolic (or constant) dimension size.
class DimExpr {
 public:
  // One monomial: coeff * product(factors). Factors are sorted by their printed key.
  struct Term {
    int64_t coeff = 0;
    std::vector<std::shared_ptr<const DimAtom>> factors;
  };

  DimExpr() = default;
  DimExpr(int64_t value) : constant_(value) {}  // NOLINT: constants convert implicitly.
  DimExpr(int value) : constant_(value) {}      // NOLINT
  // A named symbol. The name must be an identifier.
  static DimExpr Symbol(absl::string_view name);
  // The result of an arithmetic overflow or a division by zero; poisons all uses.
  static DimExpr Invalid();

  bool is_valid() const { return !invalid_; }
  bool is_const() const { return !invalid_ && terms_.empty(); }
  // The value if the expression is a constant.
  std::optional<int64_t> as_const() const;
  bool is_symbol() const;
  // The symbol name if is_symbol(), else "".
  absl::string_view symbol_name() const;

  friend DimExpr operator+(const DimExpr& a, const DimExpr& b);
  friend DimExpr operator-(const DimExpr& a, const DimExpr& b);
  friend DimExpr operator*(const DimExpr& a, const DimExpr& b);
  DimExpr operator-() const { return DimExpr(0) - *this; }
  // Floor division and modulo; the divisor is expected to be positive.
  static DimExpr FloorDiv(const DimExpr& a, const DimExpr& b);
  static DimExpr CeilDiv(const DimExpr& a, const DimExpr& b);
  static DimExpr Mod(const DimExpr& a, const DimExpr& b);
  static DimExpr Min(const DimExpr& a, const DimExpr& b);
  static DimExpr Max(const DimExpr& a, const DimExpr& b);

  friend bool operator==(const DimExpr& a, const DimExpr& b);
  friend bool operator!=(const DimExpr& a, const DimExpr& b) { return !(a == b); }

  // The canonical text form: "batch*seq", "past+seq", "seq-1", "min(seq,512)", "div(n,2)".
  std::string ToString() const;
  // Parses the text form (any spacing, any term order) into canonical form.
  static absl::StatusOr<DimExpr> Parse(absl::string_view text);

  // Evaluates with every symbol bound; overflow, division by zero and unbound symbols are
  // errors.
  absl::StatusOr<int64_t> Evaluate(const absl::flat_hash_map<std::string, int64_t>& env) const;
  // Replaces symbols for which `fn` returns a value, then re-simplifies.
  DimExpr Substitute(
      const std::function<std::optional<DimExpr>(absl::string_view)>& fn) const;
  // Adds every symbol name used by the expression to `out`.
  void CollectSymbols(absl::btree_set<std::string>* out) const;
  // A lower bound that holds when every symbol is >= 0, if one is easy to prove.
  std::optional<int64_t> LowerBound() const;

  int64_t constant_term() const { return constant_; }
  const std::vector<Term>& terms() const { return terms_; }

  template <typename H>
  friend H AbslHashValue(H h, const DimExpr& e) {
    return H::combine(std::move(h), e.ToString());
  }

 private:
  friend struct DimExprBuilder;
  int64_t constant_ = 0;
  std::vector<Term> terms_;  // Non-constant monomials, canonical order, nonzero coeffs.
  bool invalid_ = false;
};

// An indivisible factor of a monomial: a symbol or an operation that did not simplify.
struct DimAtom {
  enum class Kind { kSymbol, kFloorDiv, kMod, kMin, kMax };
  Kind kind;
  std::string name;  // The symbol name (kSymbol only).
  DimExpr lhs, rhs;  // Operands of the other kinds.
  std::string key;   // Printed form; orders atoms canonically.
};

// Joins dims as "[a,b,c]".
std::string DimsToString(const std::vector<DimExpr>& dims);

}  // namespace kiln

#endif  // KILN_IR_DIM_EXPR_H_
