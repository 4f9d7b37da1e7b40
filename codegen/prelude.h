// The CUDA source prelude that every generated module starts with: 16-bit float storage types
// and conversions (inline PTX), activation helpers, block reductions and 16-byte vector access.
// It includes no CUDA header, which keeps an NVRTC compile well under a second.
#ifndef KILN_CODEGEN_PRELUDE_H_
#define KILN_CODEGEN_PRELUDE_H_

#include <string>

namespace kiln {

// The prelude text (identical on every call; part of every kernel-cache key).
const std::string& CudaPrelude();

}  // namespace kiln

#endif  // KILN_CODEGEN_PRELUDE_H_
