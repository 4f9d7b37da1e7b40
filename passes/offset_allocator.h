// A pure offset allocator over (size, first use, last use) records, as in Glow's
// MemoryAllocator or tinygrad's memory planner: no graph, no tensors, just intervals.
#ifndef KILN_PASSES_OFFSET_ALLOCATOR_H_
#define KILN_PASSES_OFFSET_ALLOCATOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"

namespace kiln {

// A buffer alive from step `first` to step `last`, inclusive.
struct BufferRecord {
  int64_t size = 0;
  int first = 0;
  int last = 0;
};

struct OffsetPlan {
  std::vector<int64_t> offsets;  // One per record.
  int64_t arena_size = 0;
};

// Places every record in one arena so that buffers alive at the same step never overlap.
// Greedy by size (largest first), each at the best-fitting gap among the already placed
// buffers whose lifetimes overlap it. Offsets are multiples of `alignment`.
OffsetPlan PlanOffsets(const std::vector<BufferRecord>& records, int64_t alignment);
// Proves a plan valid: every buffer inside the arena, aligned, and no two simultaneously live
// buffers overlapping. Returns the first violation found.
absl::Status CheckOffsetPlan(const std::vector<BufferRecord>& records, const OffsetPlan& plan,
                             int64_t alignment);
// The largest total size alive at any one step: no plan can use less.
int64_t LiveSetLowerBound(const std::vector<BufferRecord>& records);

}  // namespace kiln

#endif  // KILN_PASSES_OFFSET_ALLOCATOR_H_
