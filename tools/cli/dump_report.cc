#include "tools/cli/dump_report.h"

#include <map>

#include "absl/container/btree_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ir/status_macros.h"

namespace kiln::cli {

namespace {

// Counts ops by name; fused ops say what they fused (FusedMatMul's activation, a skip-norm's
// kind), and ops inside fused-kernel bodies are counted into `inner`.
void CountOps(const Graph& graph, std::map<std::string, int>& counts,
              std::map<std::string, int>& inner) {
  for (const Node* n : graph.nodes()) {
    std::string op(n->op_name());
    if (n->op() == OpKind::kFusedMatMul && n->attr_string("activation") != "none") {
      op += "+" + n->attr_string("activation");
    } else if (n->op() == OpKind::kSkipNormalization) {
      op += "(" + n->attr_string("norm") + ")";
    }
    ++counts[op];
    if (n->body() != nullptr) CountOps(*n->body(), inner, inner);
  }
}

std::string Join(const std::map<std::string, int>& counts) {
  std::vector<std::string> items;
  for (const auto& [op, count] : counts) items.push_back(absl::StrCat(op, " ", count));
  return items.empty() ? "none" : absl::StrJoin(items, ", ");
}

}  // namespace

std::string FormatOpCounts(const Graph& graph) {
  std::map<std::string, int> counts, inner;
  CountOps(graph, counts, inner);
  std::string out = absl::StrCat("// op counts: ", Join(counts), "\n");
  if (!inner.empty()) absl::StrAppend(&out, "// inside fused kernels: ", Join(inner), "\n");
  return out;
}

std::string CommentLines(const std::string& text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "// ", line, "\n");
  }
  return out;
}

std::string FormatPassTimings(const std::vector<PassRecord>& records) {
  struct Row {
    int runs = 0, changed = 0, nodes_after = 0;
    double millis = 0;
  };
  std::vector<std::string> order;  // First-run order.
  std::map<std::string, Row> rows;
  double total = 0;
  for (const PassRecord& r : records) {
    auto [it, inserted] = rows.try_emplace(r.name);
    if (inserted) order.push_back(r.name);
    Row& row = it->second;
    ++row.runs;
    row.changed += r.changed;
    row.millis += r.millis;
    row.nodes_after = r.nodes_after;
    total += r.millis;
  }
  std::string out = absl::StrFormat("// %-24s %5s %8s %10s %12s\n", "pass", "runs", "changed",
                                    "total ms", "nodes after");
  for (const std::string& name : order) {
    const Row& row = rows[name];
    absl::StrAppendFormat(&out, "// %-24s %5d %8d %10.3f %12d\n", name, row.runs, row.changed,
                          row.millis, row.nodes_after);
  }
  absl::StrAppendFormat(&out, "// %-24s %5d %8s %10.3f\n", "total", records.size(), "",
                        total);
  return out;
}

absl::StatusOr<SymbolBounds> ParseBoundSpecs(const std::vector<std::string>& bound_specs) {
  SymbolBounds bounds;
  for (const std::string& spec : bound_specs) {
    std::pair<std::string, std::string> kv = absl::StrSplit(spec, absl::MaxSplits('=', 1));
    int64_t n;
    if (kv.first.empty() || !absl::SimpleAtoi(kv.second, &n) || n <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--bound takes SYM=N with N a positive integer, got '", spec, "'"));
    }
    bounds[kv.first] = n;
  }
  return bounds;
}

absl::StatusOr<SymbolBounds> BoundsFromFlags(const Graph& graph, int64_t max_batch,
                                             int64_t max_seq,
                                             const std::vector<std::string>& bound_specs) {
  ASSIGN_OR_RETURN(SymbolBounds explicit_bounds, ParseBoundSpecs(bound_specs));
  // MakeSymbolBounds gives every input symbol max_batch or max_seq; name the missing flag.
  for (const Value* in : graph.inputs()) {
    for (size_t d = 0; d < in->type().dims.size(); ++d) {
      absl::btree_set<std::string> syms;
      in->type().dims[d].CollectSymbols(&syms);
      for (const std::string& s : syms) {
        if (explicit_bounds.contains(s) || (d == 0 ? max_batch : max_seq) > 0) continue;
        return absl::InvalidArgumentError(absl::StrCat(
            "symbol '", s, "' (dim ", d, " of input '", in->name(), "') has no bound; pass ",
            d == 0 ? "--max-batch" : "--max-seq", " N or --bound ", s, "=N"));
      }
    }
  }
  return MakeSymbolBounds(graph, max_batch > 0 ? max_batch : 1, max_seq > 0 ? max_seq : 1,
                          explicit_bounds);
}

}  // namespace kiln::cli
