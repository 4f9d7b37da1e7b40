// The summaries `kiln dump` prints after the graph: op counts, pass timings, notes and the
// memory plan, as `//` comment lines so that IR text (and DOT) stays parseable.
#ifndef KILN_TOOLS_CLI_DUMP_REPORT_H_
#define KILN_TOOLS_CLI_DUMP_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "passes/memory_plan.h"
#include "passes/pass_manager.h"

namespace kiln::cli {

// "// op counts: Add 3, MatMul 2\n" (ops by name), or "// op counts: none\n".
std::string FormatOpCounts(const Graph& graph);
// Prefixes every line of `text` with "// ".
std::string CommentLines(const std::string& text);
// One row per pass name: runs, runs that changed the graph, total milliseconds, node count
// after its last run; then the pipeline's total.
std::string FormatPassTimings(const std::vector<PassRecord>& records);
// The --bound SYM=N flags (N positive) as bounds.
absl::StatusOr<SymbolBounds> ParseBoundSpecs(const std::vector<std::string>& bound_specs);
// Bounds from --max-batch/--max-seq/--bound (a negative max means "not given"); fails
// naming a symbol without a bound and the flag that would give it one.
absl::StatusOr<SymbolBounds> BoundsFromFlags(const Graph& graph, int64_t max_batch,
                                             int64_t max_seq,
                                             const std::vector<std::string>& bound_specs);

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_DUMP_REPORT_H_
