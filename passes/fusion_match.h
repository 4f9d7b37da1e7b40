// Matching helpers shared by the activation and normalisation fusions (fuse-gelu, fuse-silu,
// fuse-layer-norm, fuse-rms-norm, fuse-skip-norm), on top of passes/pattern.h.
#ifndef KILN_PASSES_FUSION_MATCH_H_
#define KILN_PASSES_FUSION_MATCH_H_

#include <string>

#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln {

// Relative tolerance for a constant of `dtype` that should equal an exact real number (sqrt(2),
// 0.5, ...): a few roundings to that dtype, never tighter than 1e-6, so constants written as
// float32 literals match while a truncated or wrong constant does not.
double ConstantTolerance(DType dtype);
// True when |got - want| <= ConstantTolerance(dtype) * |want|.
bool NearExact(double got, double want, DType dtype);
// True when `v` is a uniform constant (ConstantScalar) equal to `want` up to its dtype.
bool IsConstantExactly(const Value* v, double want);

// True when `n` is a ReduceMean over exactly the last axis of its input, keeping dims.
bool ReducesLastAxisKeepingDims(const Node& n);
// True when `v` is a rank-1 tensor of `like`'s dtype whose length is `like`'s last dim.
bool IsLastAxisVector(const Value* v, const Value* like);
// The only user of `v` if it has exactly one use (and is no graph output), else null.
Node* SoleUser(const Graph& graph, const Value* v);
// Records `note` unless an identical one is already there (the greedy driver revisits a node
// after every rewrite, and a near miss should be reported once).
void NoteOnce(PassContext& ctx, std::string note);

}  // namespace kiln

#endif  // KILN_PASSES_FUSION_MATCH_H_
