// Helpers for tests that run the `kiln` binary as a subprocess.
#ifndef KILN_TOOLS_CLI_CLI_TEST_UTIL_H_
#define KILN_TOOLS_CLI_CLI_TEST_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace kiln::cli_test {

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

// Runs the kiln binary with `args` (shell syntax); stdout and stderr are captured separately.
inline RunResult RunKiln(const std::string& args) {
  std::string err_file = (std::filesystem::temp_directory_path() /
                          ("kiln_cli_test_" + std::to_string(getpid()) + ".err"))
                             .string();
  std::string cmd = std::string(KILN_BINARY) + " " + args + " 2>" + err_file;
  RunResult r{-1, "", ""};
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = ReadFile(err_file);
  std::remove(err_file.c_str());
  return r;
}

// The backend-test folder `name` (e.g. "test_relu"), from shared/ beside the checkout or the
// workplace's copy; empty when neither exists.
inline std::string NodeTestDir(const std::string& name) {
  for (std::string dir : {std::string(KILN_SOURCE_DIR) + "/../shared/onnx-node-tests",
                          std::string("/work/shared/onnx-node-tests")}) {
    std::string path = dir + "/" + name;
    if (std::filesystem::exists(path + "/model.onnx")) return path;
  }
  return "";
}

// A model shipped with the source tree (tests/models/NAME).
inline std::string ShippedModelDir(const std::string& name) {
  return std::string(KILN_SOURCE_DIR) + "/tests/models/" + name;
}

}  // namespace kiln::cli_test

#endif  // KILN_TOOLS_CLI_CLI_TEST_UTIL_H_
