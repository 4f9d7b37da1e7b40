// Deciding what a piece of a graph computes by running it: a fusion that recognises a value
// semantically (an attention mask built by any exporter's index arithmetic) copies the nodes
// computing it into a small standalone graph and runs that on the reference backend with
// synthetic "probe" inputs: every symbol bound to a small random size, attention-mask-like
// inputs filled with 0/1 rows padded on the left and on the right, other inputs random.
#ifndef KILN_PASSES_SUBGRAPH_PROBE_H_
#define KILN_PASSES_SUBGRAPH_PROBE_H_

#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/symbol_bindings.h"
#include "ir/tensor.h"

namespace kiln {

// A copy of the nodes that compute some values of a graph.
struct Subgraph {
  std::unique_ptr<Graph> graph;
  // The original value behind each input of `graph`, in order.
  std::vector<const Value*> leaves;
};

// Copies the nodes computing `outputs` back to `stop` values, graph inputs, constants and values
// read only through Shape (all of which become inputs of the copy, constants stay Constant
// nodes). Fails if that takes more than `max_nodes` nodes.
absl::StatusOr<Subgraph> ExtractSubgraph(const Graph& graph, const std::vector<Value*>& outputs,
                                         const absl::flat_hash_set<const Value*>& stop,
                                         int max_nodes = 400);

// What probes must respect.
struct ProbeSpec {
  // An input to fill with 0/1 rows (left padding, right padding, all ones, all zeros, random)
  // whose dims are bound to [batch, keys]; null for none.
  const Value* key_mask = nullptr;
  DimExpr batch, keys;
  // Expressions whose symbols must be bound even if no input holds them.
  std::vector<DimExpr> extra_dims;
  // Constraints of the original graph (probes violating one are redrawn).
  std::vector<DimConstraint> constraints;
};

struct Probe {
  SymbolBindings bindings;
  std::vector<Tensor> inputs;  // One per input of the subgraph.
};

// Number of probes a semantic check runs.
inline constexpr int kNumProbes = 4;

// Probe `index` (deterministic) for `sub`.
absl::StatusOr<Probe> MakeProbe(const Subgraph& sub, const ProbeSpec& spec, int index);

// The tensors the subgraph computes on `probe`.
absl::StatusOr<std::vector<Tensor>> RunProbe(const Subgraph& sub, const Probe& probe);

}  // namespace kiln

#endif  // KILN_PASSES_SUBGRAPH_PROBE_H_
