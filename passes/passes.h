// Factories of the passes (one per file in passes/), used by the registry.
#ifndef KILN_PASSES_PASSES_H_
#define KILN_PASSES_PASSES_H_

#include <memory>

#include "passes/pass.h"

namespace kiln {

std::unique_ptr<Pass> CreateDeadCodeElimination();
std::unique_ptr<Pass> CreateCommonSubexpressionElimination();
std::unique_ptr<Pass> CreateConstantFolding();
std::unique_ptr<Pass> CreateSimplifyNoOps();
std::unique_ptr<Pass> CreateFuseAttention();
std::unique_ptr<Pass> CreateFuseRotary();

}  // namespace kiln

#endif  // KILN_PASSES_PASSES_H_
