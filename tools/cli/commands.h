// The `kiln` subcommands. Each takes the arguments after its name and returns the exit code.
#ifndef KILN_TOOLS_CLI_COMMANDS_H_
#define KILN_TOOLS_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/cli/args.h"

namespace kiln::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

// All subcommands, in the order `kiln --help` lists them.
const std::vector<Command>& AllCommands();

int RunDump(const std::vector<std::string>& args);
int RunRun(const std::vector<std::string>& args);
int RunVerify(const std::vector<std::string>& args);
int RunCompile(const std::vector<std::string>& args);
int RunBench(const std::vector<std::string>& args);

// Parses args with `parser`; prints help (returning 0) or an error (returning 2) as needed.
// Returns -1 when the command should go on.
int ParseOrExit(const ArgParser& parser, const std::vector<std::string>& args, ParsedArgs* out);
// Prints "kiln: <status message>" to stderr and returns 1.
int Fail(const absl::Status& status);
// For a bad command line: prints "kiln: <status message>" and a hint to stderr, returns 2.
int Usage(const absl::Status& status);

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_COMMANDS_H_
