// The reference backend's kernel interface: one plain CPU function per op (Ref<Op>), which
// computes output shapes from its concrete inputs, like an eager interpreter. The executor
// then checks those shapes against the graph's symbolic types.
#ifndef KILN_RUNTIME_REFERENCE_KERNEL_H_
#define KILN_RUNTIME_REFERENCE_KERNEL_H_

#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "ir/symbol_bindings.h"
#include "ir/status_macros.h"
#include "ir/tensor.h"

namespace kiln::reference {

// What a kernel sees: its node (attributes, output types) and its input tensors.
struct KernelContext {
  const Node& node;
  std::vector<const Tensor*> inputs;  // Null where an optional input is absent.
  // The caller's symbol bindings when run by the executor (a FusedKernel binds its body in
  // them), else null.
  const SymbolBindings* bindings = nullptr;

  bool has_input(int i) const { return i < static_cast<int>(inputs.size()) && inputs[i]; }
  const Tensor& input(int i) const { return *inputs[i]; }
  // The dtype inference gave output i.
  DType output_dtype(int i) const { return node.output(i)->type().dtype; }
  // An InvalidArgument error naming the node.
  absl::Status Error(absl::string_view what) const;
  absl::Status Unsupported(absl::string_view what) const;
};

using KernelResult = absl::StatusOr<std::vector<Tensor>>;
using KernelFn = KernelResult (*)(const KernelContext&);

#define KILN_OP(name, ...) KernelResult Ref##name(const KernelContext& ctx);
#include "ir/ops.def"
#undef KILN_OP

// The kernel for `op`.
KernelFn GetKernel(OpKind op);

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_KERNEL_H_
