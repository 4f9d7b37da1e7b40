// kiln dump: the imported graph as IR text (parseable), Graphviz DOT or JSON.
#include <cstdio>

#include "frontend/onnx_import.h"
#include "ir/dot_export.h"
#include "ir/json_export.h"
#include "ir/printer.h"
#include "tools/cli/commands.h"

namespace kiln::cli {

int RunDump(const std::vector<std::string>& args) {
  ArgParser parser(
      "dump MODEL.onnx [flags]",
      "Imports MODEL.onnx, infers symbolic shapes and prints the graph:\n"
      "  text  the IR's text form, which ParseGraph reads back (with --full-constants)\n"
      "  dot   Graphviz, e.g. `kiln dump m.onnx --format dot | dot -Tsvg > m.svg`\n"
      "  json  a stable JSON document (large constants summarised by dtype, shape, bytes)",
      1, 1);
  parser.Flag({.name = "format",
               .value_name = "FORMAT",
               .help = "output format",
               .default_value = "text",
               .choices = {"text", "dot", "json"}});
  parser.Flag({.name = "full-constants",
               .value_name = "",
               .help = "text format: print every constant's bytes (default: constants over 16 "
                       "elements are elided, which the parser rejects)",
               .default_value = "",
               .choices = {}});
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  auto graph = ImportOnnxFile(a.positional[0]);
  if (!graph.ok()) return Fail(graph.status());
  std::string format = a.Get("format");
  std::string out;
  if (format == "dot") {
    out = ExportDot(**graph);
  } else if (format == "json") {
    out = ExportJson(**graph);
  } else {
    PrintOptions options;
    options.elide_large_constants = !a.Has("full-constants");
    out = PrintGraph(**graph, options);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace kiln::cli
