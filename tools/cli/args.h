// Per-subcommand command-line parsing. Abseil's flags are process-global and keep only the
// last value of a repeated flag; Kiln's subcommands each take their own flags and `--input`
// repeats, so each subcommand declares its flags here and `--help` is generated from them.
#ifndef KILN_TOOLS_CLI_ARGS_H_
#define KILN_TOOLS_CLI_ARGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kiln::cli {

// Members have default initializers so that designated initializers may omit them.
struct FlagSpec {
  std::string name = {};        // Without dashes: "format"; one letter: written -O2.
  std::string value_name = {};  // "FORMAT"; empty for a boolean switch.
  std::string help = {};
  std::string default_value = {};
  std::vector<std::string> choices = {};  // Allowed values, if restricted.
  bool repeated = false;
};

// The parsed command line of one subcommand.
struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;
  bool help = false;

  bool Has(const std::string& name) const { return values.contains(name); }
  // The flag's value, or its default.
  std::string Get(const std::string& name) const;
  const std::vector<std::string>& GetAll(const std::string& name) const;
  // The flag as a positive integer, `absent` when it was not given (nor has a default);
  // InvalidArgument "--NAME must be a positive integer" otherwise.
  absl::StatusOr<int64_t> GetPositive(const std::string& name, int64_t absent) const;
};

class ArgParser {
 public:
  // `usage` is the synopsis after "kiln ", e.g. "dump MODEL.onnx [flags]".
  ArgParser(std::string usage, std::string description, int min_positional, int max_positional);
  ArgParser& Flag(FlagSpec spec);
  // Parses the arguments after the subcommand name. Unknown flags, missing values, bad
  // choices and a wrong number of positional arguments are errors that say what is expected.
  absl::StatusOr<ParsedArgs> Parse(const std::vector<std::string>& args) const;
  std::string Help() const;

 private:
  const FlagSpec* Find(const std::string& name) const;
  std::string usage_, description_;
  int min_positional_, max_positional_;
  std::vector<FlagSpec> flags_;
};

}  // namespace kiln::cli

#endif  // KILN_TOOLS_CLI_ARGS_H_
