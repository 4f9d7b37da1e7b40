#include "runtime/reference/kernel.h"

#include "absl/strings/str_cat.h"

namespace kiln::reference {

absl::Status KernelContext::Error(absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": ", what));
}

absl::Status KernelContext::Unsupported(absl::string_view what) const {
  return absl::UnimplementedError(absl::StrCat(node.Describe(), ": ", what));
}

KernelFn GetKernel(OpKind op) {
  static constexpr KernelFn kTable[] = {
#define KILN_OP(name, ...) &Ref##name,
#include "ir/ops.def"
#undef KILN_OP
  };
  return kTable[static_cast<size_t>(op)];
}

}  // namespace kiln::reference
