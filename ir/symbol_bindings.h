// Binding a graph's symbolic dims to the concrete shapes of one call's inputs.
#ifndef KILN_IR_SYMBOL_BINDINGS_H_
#define KILN_IR_SYMBOL_BINDINGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/graph.h"

namespace kiln {

using SymbolBindings = absl::flat_hash_map<std::string, int64_t>;

// Binds every symbol of the graph's input types from `input_shapes` (one per graph input, in
// order), checks each input dim against its expression and every graph constraint. Errors name
// the input, the dim and the conflicting values. `known` (optional) seeds the bindings: a fused
// kernel's body is bound in its caller's environment, where `batch*seq` is already split.
absl::StatusOr<SymbolBindings> BindSymbols(const Graph& graph,
                                           absl::Span<const std::vector<int64_t>> input_shapes,
                                           const SymbolBindings* known = nullptr);
// Evaluates dims under `bindings`; every dim must be >= 0.
absl::StatusOr<std::vector<int64_t>> EvaluateDims(const std::vector<DimExpr>& dims,
                                                  const SymbolBindings& bindings);

}  // namespace kiln

#endif  // KILN_IR_SYMBOL_BINDINGS_H_
