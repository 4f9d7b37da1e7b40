// The `kiln` command-line tool: dispatches to a subcommand.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/cli/commands.h"

namespace {

void PrintUsage(FILE* f) {
  std::fprintf(f, "usage: kiln COMMAND [args]\n\nKiln compiles and runs ONNX transformer models.\n\ncommands:\n");
  for (const auto& c : kiln::cli::AllCommands()) std::fprintf(f, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(f, "\n'kiln COMMAND --help' describes a command's arguments and flags.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    if (argc >= 3 && !std::strcmp(argv[1], "help")) {
      for (const auto& c : kiln::cli::AllCommands()) {
        if (c.name == std::string(argv[2])) return c.run({"--help"});
      }
    }
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : kiln::cli::AllCommands()) {
    if (c.name == std::string(argv[1])) return c.run(args);
  }
  std::fprintf(stderr, "kiln: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
