#include "tools/cli/commands.h"

#include <cstdio>

namespace kiln::cli {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      {"dump", "print the imported graph with symbolic shapes, optionally after passes", &RunDump},
      {"compile", "compile a model for the GPU into a plan file", &RunCompile},
      {"run", "run a model (reference backend) or a plan (--device cuda) on input tensors", &RunRun},
      {"verify", "check models against reference outputs (ONNX backend-test folders)", &RunVerify},
      {"bench", "time a plan on the GPU, with a per-kernel profile", &RunBench},
  };
  return kCommands;
}

int ParseOrExit(const ArgParser& parser, const std::vector<std::string>& args, ParsedArgs* out) {
  auto parsed = parser.Parse(args);
  if (!parsed.ok()) return Usage(parsed.status());
  if (parsed->help) {
    std::fputs(parser.Help().c_str(), stdout);
    return 0;
  }
  *out = *std::move(parsed);
  return -1;
}

int Usage(const absl::Status& status) {
  std::fprintf(stderr, "kiln: %s\n(see --help)\n", std::string(status.message()).c_str());
  return 2;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "kiln: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace kiln::cli
