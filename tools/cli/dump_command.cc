// kiln dump: the imported graph as text (the IR's parseable form).
#include <cstdio>

#include "frontend/onnx_import.h"
#include "ir/printer.h"
#include "tools/cli/commands.h"

namespace kiln::cli {

int RunDump(const std::vector<std::string>& args) {
  ArgParser parser("dump MODEL.onnx [flags]",
                   "Imports MODEL.onnx, infers symbolic shapes and prints the graph.", 1, 1);
  parser.Flag({.name = "format", .value_name = "FORMAT", .help = "output format",
               .default_value = "text", .choices = {"text"}});
  parser.Flag({.name = "full-constants", .help = "print every constant's bytes (default: "
                                                  "constants over 16 elements are elided)"});
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  auto graph = ImportOnnxFile(a.positional[0]);
  if (!graph.ok()) return Fail(graph.status());
  PrintOptions options;
  options.elide_large_constants = !a.Has("full-constants");
  std::fputs(PrintGraph(**graph, options).c_str(), stdout);
  return 0;
}

}  // namespace kiln::cli
