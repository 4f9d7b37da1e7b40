// The CUDA source prelude that every generated module starts with: 16-bit float storage types
// and conversions (inline PTX), the index type, activation helpers, block reductions and
// 16-byte vector access.
// It includes no CUDA header, which keeps an NVRTC compile well under a second.
#ifndef KILN_CODEGEN_PRELUDE_H_
#define KILN_CODEGEN_PRELUDE_H_

#include <string>

namespace kiln {

// The type of the generated kernels' index arithmetic (`kiln_idx` in the prelude): 32-bit only
// where every tensor is known to have fewer than 2^31 elements (see ChooseIndexWidth).
enum class IndexWidth { k64, k32 };

// The prelude text for `width` (identical on every call; part of every kernel-cache key).
const std::string& CudaPrelude(IndexWidth width = IndexWidth::k64);

}  // namespace kiln

#endif  // KILN_CODEGEN_PRELUDE_H_
