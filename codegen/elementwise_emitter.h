// Emits an elementwise FusedKernel (elementwise, broadcast and injective ops): one thread per
// output element in a grid-stride loop, every body op inlined at the element's index.
#ifndef KILN_CODEGEN_ELEMENTWISE_EMITTER_H_
#define KILN_CODEGEN_ELEMENTWISE_EMITTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "codegen/kernel_emitter.h"
#include "codegen/source_writer.h"

namespace kiln {

// The kernel named `name` for `node`, whose body has no reduction; all outputs must share one
// shape (the iteration domain).
absl::StatusOr<EmittedKernel> EmitElementwiseKernel(const Node& node, const std::string& name);

// Shared by the emitters: the buffer list and the kernel's pointer parameters (`const T*
// __restrict__ name`) for `node`'s inputs then outputs; fills `input_vars` / `output_vars`.
std::vector<KernelBuffer> KernelBuffers(const Node& node, SourceWriter& names,
                                        std::vector<std::string>* params,
                                        std::vector<std::string>* input_vars,
                                        std::vector<std::string>* output_vars);

}  // namespace kiln

#endif  // KILN_CODEGEN_ELEMENTWISE_EMITTER_H_
