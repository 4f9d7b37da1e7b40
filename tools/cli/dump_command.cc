// kiln dump: the imported (and optionally optimized) graph as IR text (parseable), Graphviz
// DOT or JSON, followed by summaries as `//` comment lines.
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "frontend/onnx_import.h"
#include "ir/dot_export.h"
#include "ir/json_export.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "passes/memory_plan.h"
#include "runtime/engine/plan.h"
#include "tools/cli/commands.h"
#include "tools/cli/engine_flags.h"
#include "tools/cli/dump_report.h"
#include "tools/cli/pipeline_flags.h"

namespace kiln::cli {
namespace {

constexpr char kDescription[] =
    "Imports MODEL.onnx (or loads the device-lowered graph of a PLAN.kiln from `kiln compile`),\n"
    "infers symbolic shapes, runs the chosen passes (none by default) and\n"
    "prints the graph to stdout:\n"
    "  text  the IR's text form, which ParseGraph reads back (with --full-constants)\n"
    "  dot   Graphviz, e.g. `kiln dump m.onnx --format dot | dot -Tsvg > m.svg`\n"
    "  json  a stable JSON document (large constants summarised by dtype, shape, bytes)\n"
    "After the graph come `//` comment lines, which the IR parser and Graphviz skip: the op\n"
    "counts (`// op counts: Add 3, MatMul 2`), the passes' notes with --notes (e.g. why a\n"
    "fusion declined a candidate), and the memory plan with --memory-plan (value, bytes,\n"
    "offset, first/last use, then peak arena, naive sum and lower bound). With --format json\n"
    "these go to stderr so stdout stays one JSON document. When passes ran, a timing table\n"
    "(runs, changes, milliseconds, nodes after, per pass) is printed to stderr.\n"
    "--print-after NAME|all prints the graph after each run of that pass (or every pass) to\n"
    "stdout, under a `// after <pass>` line (with --format json, one document each).";

void Write(FILE* f, const std::string& s) { std::fwrite(s.data(), 1, s.size(), f); }

void DeclareFlags(ArgParser& parser) {
  parser.Flag({.name = "format",
               .value_name = "FORMAT",
               .help = "output format",
               .default_value = "text",
               .choices = {"text", "dot", "json"}});
  parser.Flag({.name = "full-constants",
               .help = "text format: print every constant's bytes (default: constants over 16 "
                       "elements are elided, which the parser rejects)"});
  AddPipelineFlags(parser);
  parser.Flag({.name = "print-after",
               .value_name = "PASS",
               .help = "also print the graph after each run of PASS (a pass of the pipeline) "
                       "or of every pass (all)"});
  parser.Flag({.name = "notes", .help = "print the passes' notes as `// note:` lines"});
  parser.Flag({.name = "memory-plan",
               .help = "print the memory plan of the final graph at the shape bounds (needs a "
                       "bound for every input symbol)"});
  parser.Flag({.name = "max-batch",
               .value_name = "N",
               .help = "memory plan: bound of the symbols at dim 0 of the inputs"});
  parser.Flag({.name = "max-seq",
               .value_name = "N",
               .help = "memory plan: bound of the other symbols of the inputs"});
  parser.Flag({.name = "bound",
               .value_name = "SYM=N",
               .help = "memory plan: bound of one symbol (overrides --max-batch/--max-seq)",
               .repeated = true});
}

std::string Render(const Graph& graph, const ParsedArgs& a) {
  std::string format = a.Get("format");
  if (format == "dot") return ExportDot(graph);
  if (format == "json") return ExportJson(graph);
  PrintOptions options;
  options.elide_large_constants = !a.Has("full-constants");
  return PrintGraph(graph, options);
}

absl::StatusOr<std::string> MemoryPlanReport(const Graph& graph, const ParsedArgs& a) {
  ASSIGN_OR_RETURN(int64_t max_batch, a.GetPositive("max-batch", -1));
  ASSIGN_OR_RETURN(int64_t max_seq, a.GetPositive("max-seq", -1));
  ASSIGN_OR_RETURN(SymbolBounds bounds,
                   BoundsFromFlags(graph, max_batch, max_seq, a.GetAll("bound")));
  ASSIGN_OR_RETURN(MemoryPlan plan, PlanMemory(graph, bounds));
  RETURN_IF_ERROR(CheckMemoryPlan(plan));
  return absl::StrCat("// memory plan:\n", CommentLines(FormatMemoryPlan(plan)));
}

}  // namespace

int RunDump(const std::vector<std::string>& args) {
  ArgParser parser("dump MODEL.onnx|PLAN.kiln [flags]", kDescription, 1, 1);
  DeclareFlags(parser);
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  auto choice = PipelineChoiceFromArgs(a);
  if (!choice.ok()) return Usage(choice.status());
  auto pm = BuildChosenPipeline(*choice);
  if (!pm.ok()) return Usage(pm.status());
  std::string print_after = a.Get("print-after");
  if (!print_after.empty() && print_after != "all" && !pm->Contains(print_after)) {
    return Usage(absl::InvalidArgumentError(absl::StrCat(
        "--print-after ", print_after, ": no such pass in the pipeline (see --passes, -O)")));
  }
  if (!a.Has("memory-plan") && (a.Has("max-batch") || a.Has("max-seq") || a.Has("bound"))) {
    return Usage(
        absl::InvalidArgumentError("--max-batch, --max-seq and --bound need --memory-plan"));
  }
  absl::StatusOr<std::unique_ptr<Graph>> graph;
  if (IsPlanFile(a.positional[0])) {  // A compiled plan: its device-lowered graph.
    auto plan = LoadPlan(a.positional[0]);
    if (!plan.ok()) return Fail(plan.status());
    graph = std::move((*plan)->graph);
  } else {
    graph = ImportOnnxFile(a.positional[0]);
  }
  if (!graph.ok()) return Fail(graph.status());

  pm->PrintAfter(print_after, [&](absl::string_view pass, const Graph& g) {
    Write(stdout, absl::StrCat("// after ", pass, "\n", Render(g, a)));
  });
  PassContext ctx;
  ctx.precision = choice->precision;
  if (absl::Status s = pm->Run(**graph, ctx); !s.ok()) return Fail(s);

  std::string report = FormatOpCounts(**graph);
  if (a.Has("notes")) {
    for (const std::string& note : ctx.notes) absl::StrAppend(&report, "// note: ", note, "\n");
  }
  if (a.Has("memory-plan")) {
    auto plan = MemoryPlanReport(**graph, a);
    if (!plan.ok()) return Fail(plan.status());
    absl::StrAppend(&report, *plan);
  }
  std::string out = Render(**graph, a);
  bool json = a.Get("format") == "json";
  if (!json) out += report;
  Write(stdout, out);
  std::fflush(stdout);
  if (json) Write(stderr, report);
  if (!pm->records().empty()) Write(stderr, FormatPassTimings(pm->records()));
  return 0;
}

}  // namespace kiln::cli
