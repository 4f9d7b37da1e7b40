// The reference backend: interprets a Kiln graph on the CPU, one plain kernel per op. It is
// the numerical oracle for every other backend and every pass.
#ifndef KILN_RUNTIME_REFERENCE_EXECUTOR_H_
#define KILN_RUNTIME_REFERENCE_EXECUTOR_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/graph.h"
#include "ir/symbol_bindings.h"
#include "ir/tensor.h"

namespace kiln::reference {

// Runs `graph` on `inputs` (one per graph input, in order) and returns its outputs in order.
// Besides computing, it checks that every produced tensor has the dtype and (evaluated) shape
// that shape inference recorded, so a wrong inference is an error, not a silent surprise.
// `known` seeds the symbol bindings (a fused kernel runs its body in its caller's bindings).
absl::StatusOr<std::vector<Tensor>> Execute(const Graph& graph, absl::Span<const Tensor> inputs,
                                            const SymbolBindings* known = nullptr);

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_EXECUTOR_H_
