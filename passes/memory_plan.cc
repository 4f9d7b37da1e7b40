// Values that alias (a view such as Reshape, or an elementwise op writing over an input that
// dies there) are grouped; a group is one buffer alive from its first producer to its last
// user. Groups become BufferRecords for the offset allocator. Views of caller-bound memory
// (graph inputs) or of weights take no arena space.
#include "passes/memory_plan.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/status_macros.h"
#include "ir/symbol_bindings.h"
#include "passes/offset_allocator.h"

namespace kiln {
namespace {

absl::StatusOr<int64_t> BytesAt(const Value* v, const SymbolBounds& bounds) {
  ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(v->type().dims, bounds));
  ASSIGN_OR_RETURN(int64_t count, ElementCount(dims));
  int64_t bytes;
  if (__builtin_mul_overflow(count, static_cast<int64_t>(DTypeSize(v->type().dtype)), &bytes)) {
    return absl::OutOfRangeError(absl::StrCat("value '", v->name(), "' is too large at the bounds"));
  }
  return bytes;
}

}  // namespace

absl::StatusOr<SymbolBounds> MakeSymbolBounds(const Graph& graph, int64_t max_batch,
                                              int64_t max_seq,
                                              const SymbolBounds& explicit_bounds) {
  SymbolBounds bounds;
  for (const Value* in : graph.inputs()) {
    for (size_t d = 0; d < in->type().dims.size(); ++d) {
      absl::btree_set<std::string> syms;
      in->type().dims[d].CollectSymbols(&syms);
      for (const std::string& s : syms) {
        int64_t b = d == 0 ? max_batch : max_seq;
        auto [it, inserted] = bounds.emplace(s, b);
        if (!inserted) it->second = std::max(it->second, b);
      }
    }
  }
  for (const auto& [s, b] : explicit_bounds) bounds[s] = b;
  absl::btree_set<std::string> all;
  for (const Node* n : graph.nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      for (const DimExpr& d : n->output(i)->type().dims) d.CollectSymbols(&all);
    }
  }
  for (const std::string& s : all) {
    if (!bounds.contains(s)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "symbol '", s, "' has no bound; give one with --bound ", s, "=N"));
    }
  }
  for (const auto& [s, b] : bounds) {
    if (b <= 0) return absl::InvalidArgumentError(absl::StrCat("bound of '", s, "' must be positive"));
  }
  return bounds;
}

absl::StatusOr<MemoryPlan> PlanMemory(const Graph& graph, const SymbolBounds& bounds) {
  MemoryPlan plan;
  absl::flat_hash_set<const Value*> external(graph.inputs().begin(), graph.inputs().end());
  for (const Value* v : graph.outputs()) external.insert(v);
  absl::flat_hash_map<const Value*, int> step;      // Producer step of each node output.
  absl::flat_hash_map<const Value*, int> last_use;
  absl::flat_hash_map<const Value*, const Value*> root;  // Alias group representative.
  std::vector<Node*> order = graph.NodeList();
  for (int s = 0; s < static_cast<int>(order.size()); ++s) {
    for (const Value* in : order[s]->inputs()) {
      if (in) last_use[in] = s;
    }
  }
  auto group_of = [&](const Value* v) {
    while (root.contains(v) && root[v] != v) v = root[v];
    return v;
  };
  absl::flat_hash_map<const Value*, int> group_last;  // Last use over a group's members.
  for (int s = 0; s < static_cast<int>(order.size()); ++s) {
    const Node* n = order[s];
    if (n->op() == OpKind::kConstant) {
      ASSIGN_OR_RETURN(int64_t b, BytesAt(n->output(0), bounds));
      plan.weight_bytes += b;
      external.insert(n->output(0));
      continue;
    }
    for (int i = 0; i < n->num_outputs(); ++i) {
      const Value* out = n->output(i);
      step[out] = s;
      root[out] = out;
      const Value* in = n->num_inputs() > 0 ? n->input(0) : nullptr;
      bool view = IsContiguousView(n->op()) && in != nullptr;
      if (view && external.contains(in) && !external.contains(out)) {
        external.insert(out);  // A view of caller or weight memory needs no arena space.
        continue;
      }
      if (external.contains(out) || n->num_outputs() != 1) continue;
      if (view && !external.contains(in)) {
        root[out] = group_of(in);
        continue;
      }
      FusionKind k = n->info().fusion;
      if (k != FusionKind::kElementwise && k != FusionKind::kBroadcast) continue;
      for (const Value* cand : n->inputs()) {
        if (cand == nullptr || external.contains(cand) || !step.contains(cand)) continue;
        if (cand->type().dtype != out->type().dtype || cand->type().dims != out->type().dims) continue;
        const Value* g = group_of(cand);
        int g_last = std::max(group_last.contains(g) ? group_last[g] : 0, last_use[cand]);
        if (g_last == s) {  // The input's buffer dies here: write the output over it.
          root[out] = g;
          break;
        }
      }
    }
    for (int i = 0; i < n->num_outputs(); ++i) {
      const Value* out = n->output(i);
      if (external.contains(out)) continue;
      const Value* g = group_of(out);
      int l = last_use.contains(out) ? last_use[out] : s;
      group_last[g] = std::max(group_last.contains(g) ? group_last[g] : 0, l);
    }
  }
  // One record per group.
  absl::flat_hash_map<const Value*, size_t> record_of;
  std::vector<BufferRecord> records;
  std::vector<const Value*> members;
  for (const Node* n : order) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      const Value* v = n->output(i);
      if (external.contains(v)) continue;
      ASSIGN_OR_RETURN(int64_t bytes, BytesAt(v, bounds));
      plan.naive_bytes += bytes;
      const Value* g = group_of(v);
      auto [it, inserted] = record_of.emplace(g, records.size());
      if (inserted) records.push_back(BufferRecord{0, step[v], group_last[g]});
      BufferRecord& r = records[it->second];
      r.size = std::max(r.size, bytes);
      r.first = std::min(r.first, step[v]);
      r.last = std::max(r.last, group_last[g]);
      members.push_back(v);
    }
  }
  OffsetPlan offsets = PlanOffsets(records, plan.alignment);
  plan.arena_bytes = offsets.arena_size;
  plan.lower_bound_bytes = LiveSetLowerBound(records);
  for (const Value* v : members) {
    const Value* g = group_of(v);
    ASSIGN_OR_RETURN(int64_t bytes, BytesAt(v, bounds));
    plan.entries.push_back(MemoryPlan::Entry{v, bytes, offsets.offsets[record_of[g]], step[v],
                                             std::max(step[v], last_use.contains(v) ? last_use[v] : step[v]),
                                             g == v ? nullptr : g});
  }
  RETURN_IF_ERROR(CheckMemoryPlan(plan));
  return plan;
}

absl::Status CheckMemoryPlan(const MemoryPlan& plan) {
  // Members of one alias group legitimately share bytes; everything else may not overlap.
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    const auto& a = plan.entries[i];
    if (a.offset < 0 || a.offset % plan.alignment != 0 || a.offset + a.bytes > plan.arena_bytes) {
      return absl::InternalError(absl::StrCat("value '", a.value->name(), "' does not fit the arena"));
    }
    const Value* ga = a.alias_of ? a.alias_of : a.value;
    for (size_t j = i + 1; j < plan.entries.size(); ++j) {
      const auto& b = plan.entries[j];
      const Value* gb = b.alias_of ? b.alias_of : b.value;
      if (ga == gb || a.bytes == 0 || b.bytes == 0) continue;
      bool live_together = a.first_use <= b.last_use && b.first_use <= a.last_use;
      bool overlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (live_together && overlap) {
        return absl::InternalError(absl::StrCat("values '", a.value->name(), "' and '",
                                                b.value->name(), "' are live together and overlap"));
      }
    }
  }
  return absl::OkStatus();
}

std::string FormatMemoryPlan(const MemoryPlan& plan) {
  // The value column is as wide as the longest name, so the numbers line up.
  int width = 5;
  for (const auto& e : plan.entries) width = std::max<int>(width, e.value->name().size());
  std::string out = absl::StrFormat("%-*s %12s %12s %6s %6s  %s\n", width, "value", "bytes",
                                    "offset", "first", "last", "shares");
  for (const auto& e : plan.entries) {
    absl::StrAppendFormat(&out, "%-*s %12d %12d %6d %6d  %s\n", width, e.value->name(), e.bytes,
                          e.offset, e.first_use, e.last_use,
                          e.alias_of ? e.alias_of->name() : std::string("-"));
  }
  double ratio = plan.lower_bound_bytes > 0
                     ? static_cast<double>(plan.arena_bytes) / plan.lower_bound_bytes : 1.0;
  absl::StrAppendFormat(&out,
                        "peak arena: %d bytes; naive sum of intermediates: %d bytes; lower bound "
                        "(largest live set): %d bytes; peak/lower bound: %.2f; weights: %d bytes\n",
                        plan.arena_bytes, plan.naive_bytes, plan.lower_bound_bytes, ratio,
                        plan.weight_bytes);
  return out;
}

}  // namespace kiln
