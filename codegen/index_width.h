// The plan-wide choice of the generated kernels' index type. Index arithmetic (flat offsets,
// delinearisation, broadcast and slice offsets) never exceeds the element count of the tensor
// it indexes, so when every tensor of the lowered graph (fused bodies included) has at most
// 2^31-1 elements at the plan's symbol bounds, 32-bit arithmetic is exact. Upper bounds are
// proved by interval arithmetic over the dims' polynomials (every symbol in [0, bound]),
// with overflow checks; anything unproven keeps 64-bit.
#ifndef KILN_CODEGEN_INDEX_WIDTH_H_
#define KILN_CODEGEN_INDEX_WIDTH_H_

#include <cstdint>
#include <optional>

#include "codegen/prelude.h"
#include "ir/dim_expr.h"
#include "ir/graph.h"
#include "passes/memory_plan.h"

namespace kiln {

// An upper bound of `d` when every symbol s lies in [0, bounds[s]]; nullopt when a symbol
// has no bound, the arithmetic overflows, or a division's divisor may be below 1.
std::optional<int64_t> DimUpperBound(const DimExpr& d, const SymbolBounds& bounds);

// The largest element count any value of `graph` (inputs, node outputs and the values of
// nested bodies) can have at `bounds`; nullopt when one cannot be bounded.
std::optional<int64_t> MaxElementsAtBounds(const Graph& graph, const SymbolBounds& bounds);

// k32 when MaxElementsAtBounds proves every tensor has at most 2^31-1 elements, else k64.
IndexWidth ChooseIndexWidth(const Graph& graph, const SymbolBounds& bounds);

}  // namespace kiln

#endif  // KILN_CODEGEN_INDEX_WIDTH_H_
