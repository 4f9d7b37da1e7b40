#include "codegen/index_width.h"

#include <algorithm>
#include <limits>

namespace kiln {
namespace {

struct Interval {
  int64_t lo = 0, hi = 0;
};

std::optional<Interval> Add(Interval a, Interval b) {
  Interval r;
  if (__builtin_add_overflow(a.lo, b.lo, &r.lo) || __builtin_add_overflow(a.hi, b.hi, &r.hi)) {
    return std::nullopt;
  }
  return r;
}

std::optional<Interval> Mul(Interval a, Interval b) {
  int64_t corners[4];
  if (__builtin_mul_overflow(a.lo, b.lo, &corners[0]) ||
      __builtin_mul_overflow(a.lo, b.hi, &corners[1]) ||
      __builtin_mul_overflow(a.hi, b.lo, &corners[2]) ||
      __builtin_mul_overflow(a.hi, b.hi, &corners[3])) {
    return std::nullopt;
  }
  return Interval{*std::min_element(corners, corners + 4), *std::max_element(corners, corners + 4)};
}

int64_t FloorDiv(int64_t a, int64_t b) {  // b >= 1.
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

std::optional<Interval> Bounds(const DimExpr& e, const SymbolBounds& bounds);

std::optional<Interval> AtomBounds(const DimAtom& atom, const SymbolBounds& bounds) {
  if (atom.kind == DimAtom::Kind::kSymbol) {
    auto it = bounds.find(atom.name);
    if (it == bounds.end() || it->second < 0) return std::nullopt;
    return Interval{0, it->second};
  }
  std::optional<Interval> a = Bounds(atom.lhs, bounds);
  std::optional<Interval> b = Bounds(atom.rhs, bounds);
  if (!a || !b) return std::nullopt;
  switch (atom.kind) {
    case DimAtom::Kind::kMin:
      return Interval{std::min(a->lo, b->lo), std::min(a->hi, b->hi)};
    case DimAtom::Kind::kMax:
      return Interval{std::max(a->lo, b->lo), std::max(a->hi, b->hi)};
    case DimAtom::Kind::kFloorDiv: {
      // Floor division by a positive divisor is monotone in each operand, so the extremes
      // lie at the corners.
      if (b->lo < 1) return std::nullopt;
      int64_t q[4] = {FloorDiv(a->lo, b->lo), FloorDiv(a->lo, b->hi), FloorDiv(a->hi, b->lo),
                      FloorDiv(a->hi, b->hi)};
      return Interval{*std::min_element(q, q + 4), *std::max_element(q, q + 4)};
    }
    case DimAtom::Kind::kMod:
      if (b->lo < 1) return std::nullopt;
      return Interval{0, a->lo >= 0 ? std::min(a->hi, b->hi - 1) : b->hi - 1};
    default:
      return std::nullopt;
  }
}

std::optional<Interval> Bounds(const DimExpr& e, const SymbolBounds& bounds) {
  if (!e.is_valid()) return std::nullopt;
  Interval sum{e.constant_term(), e.constant_term()};
  for (const DimExpr::Term& term : e.terms()) {
    std::optional<Interval> product = Interval{term.coeff, term.coeff};
    for (const auto& factor : term.factors) {
      std::optional<Interval> f = AtomBounds(*factor, bounds);
      if (!f) return std::nullopt;
      product = Mul(*product, *f);
      if (!product) return std::nullopt;
    }
    std::optional<Interval> next = Add(sum, *product);
    if (!next) return std::nullopt;
    sum = *next;
  }
  return sum;
}

// The largest element count of a value of `type` at `bounds`.
std::optional<int64_t> MaxElements(const TensorType& type, const SymbolBounds& bounds) {
  int64_t count = 1;
  for (const DimExpr& d : type.dims) {
    std::optional<int64_t> hi = DimUpperBound(d, bounds);
    if (!hi) return std::nullopt;
    // A dim is never negative at run time, so a negative bound means it is always 0.
    if (__builtin_mul_overflow(count, std::max<int64_t>(*hi, 0), &count)) return std::nullopt;
  }
  return count;
}

}  // namespace

std::optional<int64_t> DimUpperBound(const DimExpr& d, const SymbolBounds& bounds) {
  std::optional<Interval> i = Bounds(d, bounds);
  if (!i) return std::nullopt;
  return i->hi;
}

std::optional<int64_t> MaxElementsAtBounds(const Graph& graph, const SymbolBounds& bounds) {
  int64_t most = 0;
  auto visit = [&](const Value* v) {
    std::optional<int64_t> n = MaxElements(v->type(), bounds);
    if (!n) return false;
    most = std::max(most, *n);
    return true;
  };
  for (const Value* v : graph.inputs()) {
    if (!visit(v)) return std::nullopt;
  }
  for (const Node* n : graph.nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      if (n->output(i) != nullptr && !visit(n->output(i))) return std::nullopt;
    }
    if (n->body() != nullptr) {
      std::optional<int64_t> inner = MaxElementsAtBounds(*n->body(), bounds);
      if (!inner) return std::nullopt;
      most = std::max(most, *inner);
    }
  }
  return most;
}

IndexWidth ChooseIndexWidth(const Graph& graph, const SymbolBounds& bounds) {
  std::optional<int64_t> most = MaxElementsAtBounds(graph, bounds);
  return most && *most <= std::numeric_limits<int32_t>::max() ? IndexWidth::k32 : IndexWidth::k64;
}

}  // namespace kiln
