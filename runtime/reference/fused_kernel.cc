// Reference kernels: fused elementwise/reduction kernels. A FusedKernel runs its body graph with
// the executor, in the caller's symbol bindings (a body input of [batch*seq, 64] alone could not
// say what batch and seq are).
#include "absl/strings/str_cat.h"
#include "runtime/reference/executor.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefFusedKernel(const KernelContext& ctx) {
  const Graph* body = ctx.node.body();
  if (body == nullptr) return ctx.Error("has no body");
  std::vector<Tensor> inputs;
  for (int i = 0; i < static_cast<int>(ctx.inputs.size()); ++i) {
    if (!ctx.has_input(i)) return ctx.Error(absl::StrCat("input ", i, " is absent"));
    inputs.push_back(ctx.input(i));
  }
  absl::StatusOr<std::vector<Tensor>> outputs = Execute(*body, inputs, ctx.bindings);
  if (!outputs.ok()) {
    return absl::Status(
        outputs.status().code(),
        absl::StrCat(ctx.node.Describe(), ": in its body: ", outputs.status().message()));
  }
  if (static_cast<int>(outputs->size()) != ctx.node.num_outputs()) {
    return absl::InternalError(absl::StrCat(ctx.node.Describe(), ": its body returned ",
                                            outputs->size(), " outputs, the node has ",
                                            ctx.node.num_outputs()));
  }
  return outputs;
}

}  // namespace kiln::reference
