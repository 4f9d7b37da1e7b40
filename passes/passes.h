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
std::unique_ptr<Pass> CreateMaterializeShapes();
std::unique_ptr<Pass> CreateAlgebraicSimplify();
std::unique_ptr<Pass> CreateMixedPrecision();

// True when every value of dtype `from` converts to `to` exactly (algebraic-simplify merges
// Cast(Cast(x)) only then).
bool IsLosslessCast(DType from, DType to);
std::unique_ptr<Pass> CreateFuseGelu();
std::unique_ptr<Pass> CreateFuseSilu();
std::unique_ptr<Pass> CreateFuseLayerNorm();
std::unique_ptr<Pass> CreateFuseRmsNorm();
std::unique_ptr<Pass> CreateFuseSkipNorm();
std::unique_ptr<Pass> CreateFoldTranspose();
std::unique_ptr<Pass> CreateFuseGemmEpilogue();
std::unique_ptr<Pass> CreateFuseElementwise();
std::unique_ptr<Pass> CreateFuseAttention();
std::unique_ptr<Pass> CreateFuseRotary();
std::unique_ptr<Pass> CreateFoldAttentionLayout();
std::unique_ptr<Pass> CreatePackQkv();
std::unique_ptr<Pass> CreateFoldSkipResidual();
// The last step before the GPU runtime (passes/lower_device.h); not in the -O pipelines.
std::unique_ptr<Pass> CreateLowerDevice();
// Device-stage GEMM rewrites after lower-device: a 16-bit GEMM writes its f32 cast itself;
// constant weights whose rows are not 16-byte aligned are stored transposed.
std::unique_ptr<Pass> CreateFoldGemmCast();
std::unique_ptr<Pass> CreateAlignGemmWeights();

}  // namespace kiln

#endif  // KILN_PASSES_PASSES_H_
