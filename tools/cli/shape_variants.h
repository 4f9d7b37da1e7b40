// Inputs at shapes a model was not exported with, made from inputs it was: every symbol at
// dim 0 of an input grows by one, every other symbol shrinks by one (or grows when it is 2 or
// less), and each input's data is tiled cyclically into its new shape, so token ids stay in
// range and masks stay 0/1. `kiln verify --device cuda` runs the same plan on these.
#ifndef KILN_TOOLS_CLI_SHAPE_VARIANTS_H_
#define KILN_TOOLS_CLI_SHAPE_VARIANTS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace kiln::cli {

// The variant of `inputs` (in graph-input order); FailedPrecondition when the graph has no
// symbol to vary.
absl::StatusOr<std::vector<Tensor>> VaryInputShapes(const Graph& graph,
                                                    const std::vector<Tensor>& inputs);

// `t` tiled cyclically into `shape` (same rank): out[i0, i1, ...] = t[i0 % d0, i1 % d1, ...].
absl::StatusOr<Tensor> TileTo(const Tensor& t, const std::vector<int64_t>& shape);

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_SHAPE_VARIANTS_H_
