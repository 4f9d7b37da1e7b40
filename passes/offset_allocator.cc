// Greedy-by-size placement: visiting buffers from largest to smallest, collect the placed
// buffers that overlap in time, sort them by offset, and take the smallest gap that fits (or
// the end of the last one). Largest-first keeps big buffers packed at low offsets, the usual
// near-optimal heuristic for this interval-packing problem.
#include "passes/offset_allocator.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace kiln {
namespace {

int64_t AlignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

bool Overlap(const BufferRecord& a, const BufferRecord& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace

OffsetPlan PlanOffsets(const std::vector<BufferRecord>& records, int64_t alignment) {
  OffsetPlan plan;
  plan.offsets.assign(records.size(), 0);
  std::vector<size_t> order(records.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (records[a].size != records[b].size) return records[a].size > records[b].size;
    return records[a].first < records[b].first;
  });
  std::vector<size_t> placed;
  for (size_t i : order) {
    const BufferRecord& r = records[i];
    int64_t size = AlignUp(std::max<int64_t>(r.size, 1), alignment);
    std::vector<std::pair<int64_t, int64_t>> busy;  // [offset, end) of overlapping buffers.
    for (size_t j : placed) {
      if (Overlap(r, records[j])) {
        busy.emplace_back(plan.offsets[j],
                          plan.offsets[j] + AlignUp(std::max<int64_t>(records[j].size, 1), alignment));
      }
    }
    std::sort(busy.begin(), busy.end());
    int64_t best = -1, best_gap = INT64_MAX, cursor = 0;
    for (const auto& [start, end] : busy) {
      if (start > cursor && start - cursor >= size && start - cursor < best_gap) {
        best = cursor;
        best_gap = start - cursor;
      }
      cursor = std::max(cursor, end);
    }
    plan.offsets[i] = best >= 0 ? best : cursor;
    plan.arena_size = std::max(plan.arena_size, plan.offsets[i] + size);
    placed.push_back(i);
  }
  return plan;
}

absl::Status CheckOffsetPlan(const std::vector<BufferRecord>& records, const OffsetPlan& plan,
                             int64_t alignment) {
  if (plan.offsets.size() != records.size()) {
    return absl::InternalError("plan and records differ in length");
  }
  for (size_t i = 0; i < records.size(); ++i) {
    int64_t off = plan.offsets[i];
    if (off < 0 || off % alignment != 0 || off + records[i].size > plan.arena_size) {
      return absl::InternalError(absl::StrCat("buffer ", i, " at offset ", off, " (", records[i].size,
                                              " bytes) does not fit the ", plan.arena_size,
                                              "-byte arena aligned to ", alignment));
    }
    for (size_t j = i + 1; j < records.size(); ++j) {
      if (!Overlap(records[i], records[j]) || records[i].size == 0 || records[j].size == 0) continue;
      int64_t a0 = plan.offsets[i], a1 = a0 + records[i].size;
      int64_t b0 = plan.offsets[j], b1 = b0 + records[j].size;
      if (a0 < b1 && b0 < a1) {
        return absl::InternalError(absl::StrCat("buffers ", i, " and ", j,
                                                " are live together and overlap in memory"));
      }
    }
  }
  return absl::OkStatus();
}

int64_t LiveSetLowerBound(const std::vector<BufferRecord>& records) {
  // Sweep over step boundaries: +size at first, -size after last.
  std::vector<std::pair<int, int64_t>> events;
  for (const BufferRecord& r : records) {
    events.emplace_back(r.first, r.size);
    events.emplace_back(r.last + 1, -r.size);
  }
  std::sort(events.begin(), events.end());
  int64_t live = 0, peak = 0;
  for (size_t i = 0; i < events.size();) {
    int step = events[i].first;
    for (; i < events.size() && events[i].first == step; ++i) live += events[i].second;
    peak = std::max(peak, live);
  }
  return peak;
}

}  // namespace kiln
