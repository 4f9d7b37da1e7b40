// Test helper for the runtime's contract on FusedKernels (lower-device, codegen): a kernel never
// reads a body input whose value has symbolic contents, so the runtime may pass null for it.
#ifndef KILN_TESTS_LOWER_DEVICE_TEST_UTIL_H_
#define KILN_TESTS_LOWER_DEVICE_TEST_UTIL_H_

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "codegen/kernel_emitter.h"
#include "ir/graph.h"

namespace kiln::testing {

// The names of the kernel's parameters, in order, read from its signature in `k.source`.
inline std::vector<std::string> KernelParamNames(const EmittedKernel& k) {
  std::vector<std::string> names;
  const std::string head = absl::StrCat(" ", k.name, "(\n");
  size_t pos = k.source.find(head);
  if (pos == std::string::npos) return names;
  size_t end = k.source.find(") {", pos);
  std::string params = k.source.substr(pos + head.size(), end - pos - head.size());
  for (absl::string_view p : absl::StrSplit(params, ',')) {
    size_t space = p.find_last_of(" *");
    names.emplace_back(p.substr(space + 1));
  }
  return names;
}

// "" when kernel `k` (emitted for FusedKernel `node`) mentions no host-value input (one whose
// body input has symbolic contents) beyond its parameter; else the first such input's name.
inline std::string LoadsHostInput(const Node& node, const EmittedKernel& k) {
  std::vector<std::string> params = KernelParamNames(k);
  const auto& inputs = node.body()->inputs();
  if (params.size() < inputs.size()) return "<unparsed signature>";
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]->sym_value().has_value()) continue;
    // The name as an identifier of its own (not a member such as `p.n`).
    const std::regex word(absl::StrCat("(?:^|[^.\\w])", params[i], "\\b"));
    auto begin = std::sregex_iterator(k.source.begin(), k.source.end(), word);
    if (std::distance(begin, std::sregex_iterator()) != 1) return inputs[i]->name();
  }
  return "";
}

}  // namespace kiln::testing

#endif  // KILN_TESTS_LOWER_DEVICE_TEST_UTIL_H_
