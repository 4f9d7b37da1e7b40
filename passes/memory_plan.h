// Memory planning for a graph: a fixed execution order, liveness, in-place reuse where legal,
// and offsets in one arena sized for the shape bounds given at compile time. Weights live in
// their own region; graph inputs and outputs are bound by the caller and take no arena space.
#ifndef KILN_PASSES_MEMORY_PLAN_H_
#define KILN_PASSES_MEMORY_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"

namespace kiln {

// The largest value each symbol may take.
using SymbolBounds = absl::flat_hash_map<std::string, int64_t>;

// Bounds from the CLI's --max-batch / --max-seq: symbols at axis 0 of a graph input get
// `max_batch`, every other symbol of a graph input `max_seq`; `explicit_bounds` override both.
// Fails naming any symbol left without a bound.
absl::StatusOr<SymbolBounds> MakeSymbolBounds(const Graph& graph, int64_t max_batch,
                                              int64_t max_seq,
                                              const SymbolBounds& explicit_bounds);

struct MemoryPlan {
  struct Entry {
    const Value* value;
    int64_t bytes;       // At the bounds.
    int64_t offset;      // In the arena.
    int first_use, last_use;
    const Value* alias_of;  // Shares the buffer of this value (in place or a view), or null.
  };
  std::vector<Entry> entries;   // One per arena value, in execution order.
  int64_t arena_bytes = 0;      // Peak: the arena's size.
  int64_t naive_bytes = 0;      // Every intermediate in its own buffer.
  int64_t lower_bound_bytes = 0;  // Largest set of buffers alive at once.
  int64_t weight_bytes = 0;
  int64_t alignment = 256;
};

// Plans `graph` (in its current node order) for `bounds`.
absl::StatusOr<MemoryPlan> PlanMemory(const Graph& graph, const SymbolBounds& bounds);
// Re-checks a plan: no two buffers live at once overlap, every buffer fits the arena.
absl::Status CheckMemoryPlan(const MemoryPlan& plan);
// The `kiln dump --memory-plan` table.
std::string FormatMemoryPlan(const MemoryPlan& plan);

}  // namespace kiln

#endif  // KILN_PASSES_MEMORY_PLAN_H_
