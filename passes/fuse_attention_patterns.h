// The rewrite patterns of fuse-attention that live in their own files.
#ifndef KILN_PASSES_FUSE_ATTENTION_PATTERNS_H_
#define KILN_PASSES_FUSE_ATTENTION_PATTERNS_H_

#include <memory>

#include "passes/pattern.h"

namespace kiln {

// ONNX Attention (opset 23) -> FusedAttention where the semantics fit.
std::unique_ptr<RewritePattern> CreateOnnxAttentionPattern();

}  // namespace kiln

#endif  // KILN_PASSES_FUSE_ATTENTION_PATTERNS_H_
