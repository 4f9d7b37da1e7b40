// Helpers shared by the shape-op inference functions: reading shape-like inputs (whose
// contents may be symbolic), recognising data-dependent symbols, and propagating symbolic
// contents through ops that only move elements.
#ifndef KILN_IR_INFER_SHAPE_UTIL_H_
#define KILN_IR_INFER_SHAPE_UTIL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/dim_expr.h"
#include "ir/shape_inference.h"

namespace kiln::infer {

// Integer and bool tensors can carry symbolic contents.
bool IsSymDType(DType t);

// The contents of input i as dims: its symbolic value, or an integer constant's elements.
// Nullopt when the contents depend on data Kiln does not see at compile time.
std::optional<std::vector<DimExpr>> SymContents(const InferContext& ctx, int i);

// The entries of rank-1 input i of length `n` that are known: all of SymContents when it has
// them, else those of the pieces when the input is a Concat of vectors (torch exports
// `[batch, 1, seq, data_dependent]` that way), else none.
std::vector<std::optional<DimExpr>> PartialContents(const InferContext& ctx, int i, int64_t n);

// True when `d` mentions a symbol made by InferContext::DataDependentDim (those start with
// '_'). Such symbols are bound only while executing, so no runtime-checked constraint may
// mention them.
bool IsDataDependent(const DimExpr& d);

// Records a <= b as a runtime-checked constraint, with the constant term on one side only
// (`1 <= n` rather than `0 <= n-1`, `seq <= 512`), so equal facts compare equal.
absl::Status AssumeLe(InferContext& ctx, const DimExpr& a, const DimExpr& b);

// The dims as integers when all are constants.
std::optional<std::vector<int64_t>> StaticDims(const std::vector<DimExpr>& dims);

// Checks input i is a rank-1 tensor of one of `dtypes` with a static length, and returns it.
absl::StatusOr<int64_t> VectorInputLength(const InferContext& ctx, int i,
                                          std::initializer_list<DType> dtypes);

// Maps an output coordinate (row-major, static shape) to a flat index into the symbolic
// contents of the input, or nullopt when it cannot.
using SymIndexFn = std::function<std::optional<int64_t>(const std::vector<int64_t>& coord)>;

// Sets output 0's symbolic contents when input `in` has them and `out_dims` is static and
// small: element k of the output is the input element that `index_of` names.
void PropagateSym(InferContext& ctx, int in, const std::vector<DimExpr>& out_dims,
                  const SymIndexFn& index_of, int out = 0);

// The element count of a static shape if it is at most kMaxSymValueElements, else -1.
int64_t SmallCount(const std::vector<int64_t>& shape);

// Row-major strides of a static shape.
std::vector<int64_t> Strides(const std::vector<int64_t>& shape);

// The product of dims [begin, end).
DimExpr DimProduct(const std::vector<DimExpr>& dims, size_t begin, size_t end);

}  // namespace kiln::infer

#endif  // KILN_IR_INFER_SHAPE_UTIL_H_
