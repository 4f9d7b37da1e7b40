// The visitor shared by Kiln's kernel emitters: generates the C expression for a fused body's
// value at a multi-index, walking producers (compute inlining: elementwise ops become
// arithmetic, injective ops become index arithmetic, inputs become loads).
#ifndef KILN_CODEGEN_EXPR_EMITTER_H_
#define KILN_CODEGEN_EXPR_EMITTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "codegen/source_writer.h"
#include "ir/graph.h"

namespace kiln {

// A multi-index: one C expression of the prelude's index type (kiln_idx) per dim.
using Index = std::vector<std::string>;

// The index 0 (what a stretched or unit dim is indexed with).
inline constexpr char kZeroIndex[] = "(kiln_idx)0";

// The symbolic dims a kernel's index arithmetic reads at run time (the params' `dims` array,
// 64-bit words on the host).
class DimTable {
 public:
  // A kiln_idx expression for `d`, a dim or an offset within one (so it fits the index type):
  // a literal when constant, else `(kiln_idx)p.dims[i]` (the cast keeps the arithmetic it
  // enters 32-bit where kiln_idx is).
  std::string Ref(const DimExpr& d);
  // A kiln_i64 expression for `d`, a data value that may lie outside any dim (a Slice start,
  // Range operands, the contents of a shape tensor): a literal, else `p.dims[i]`.
  std::string Ref64(const DimExpr& d);
  const std::vector<DimExpr>& dims() const { return dims_; }

 private:
  size_t Slot(const DimExpr& d);
  std::vector<DimExpr> dims_;
};

// Per dim of `domain`, the element stride of a tensor of dims `in` broadcast to it (0 where
// stretched); at least one entry.
std::vector<DimExpr> BroadcastStrides(const std::vector<DimExpr>& in,
                                      const std::vector<DimExpr>& domain);

// The C type arithmetic on `t` uses ("float" for f16/bf16/f32) and the type it is stored as.
std::string ComputeType(DType t);
std::string StorageType(DType t);
// A literal of compute type for `value`.
std::string Literal(DType t, double value);
// Converts a stored element expression to its compute type, and back.
std::string LoadConvert(DType t, const std::string& stored);
std::string StoreConvert(DType t, const std::string& computed);

class ExprEmitter {
 public:
  // `inputs[k]` is the pointer holding body input k. `code` receives statements, `globals`
  // file-scope constant tables.
  // file-scope constant tables, named after `table_prefix` (the kernel's name).
  ExprEmitter(const Graph& body, std::vector<std::string> inputs, SourceWriter& code,
              SourceWriter& globals, DimTable& dims, std::string table_prefix);

  // Loads of body input k at a broadcast of `domain` use `p.in_strides[k]` (elementwise
  // kernels, whose host side computes those strides).
  void SetDomain(Index domain, std::vector<DimExpr> domain_dims);
  // The C expression holding `v` (of the body) at `idx`, emitting the statements it needs.
  absl::StatusOr<std::string> ValueAt(const Value* v, const Index& idx);
  // Within the current scope, `v` at `idx` is `var` (a reduction's result).
  void Bind(const Value* v, const Index& idx, std::string var);

  // Expressions computed inside a nested block are not visible after it: save before the
  // block, restore after.
  using Memo = absl::flat_hash_map<std::string, std::string>;
  Memo Save() const { return memo_; }
  void Restore(Memo memo) { memo_ = std::move(memo); }

  // Statements: a fresh local `type name = expr;`, returning the name.
  std::string Let(absl::string_view type, absl::string_view base, const std::string& expr);
  // Row-major offset of `idx` in a tensor of `dims`.
  std::string Linearize(const Index& idx, const std::vector<DimExpr>& dims);
  // The multi-index of row-major offset `flat` in `dims`.
  Index Delinearize(const std::string& flat, const std::vector<DimExpr>& dims);
  // `idx` of a row-major tensor of dims `out`, as the index of the same element viewed with
  // dims `in` (a Reshape): unit dims are skipped, and runs of dims whose products agree map
  // group by group, so only the groups that really merge or split dims are linearized.
  Index Reindex(const Index& idx, const std::vector<DimExpr>& out,
                const std::vector<DimExpr>& in);
  // Gather's index `raw` (any int64 read from data) into [0, n): negatives wrapped, then
  // clamped, in 64 bits (a kiln_i64 expression).
  std::string WrapIndex(const std::string& raw, const DimExpr& n);
  // `idx` of a value with `out` dims, as an index of an operand broadcast to it.
  Index Broadcast(const Index& idx, const std::vector<DimExpr>& out,
                  const std::vector<DimExpr>& in) const;
  DimTable& dims() { return dims_; }
  SourceWriter& code() { return code_; }

 private:
  std::string Key(const Value* v, const Index& idx) const;
  absl::StatusOr<std::string> LoadInput(int k, const Value* v, const Index& idx);
  absl::StatusOr<std::string> EmitConstant(const Node& n, const Index& idx);
  absl::StatusOr<std::string> EmitElementwise(const Node& n, const Index& idx);
  absl::StatusOr<std::string> EmitInjective(const Node& n, const Index& idx);
  absl::StatusOr<std::string> EmitSlice(const Node& n, const Index& idx);
  // The index along a sliced axis of size `dim` of output index `i`, for `raw_start` (as
  // given, before ONNX's clamping) and `step`.
  std::string SliceIndex(const DimExpr& dim, const DimExpr& raw_start, int64_t step,
                         const std::string& i);
  absl::StatusOr<std::string> EmitConcat(const Node& n, const Index& idx);
  absl::StatusOr<std::string> EmitGather(const Node& n, const Index& idx);
  absl::StatusOr<std::string> EmitRange(const Node& n, const Index& idx);
  // Output `v` of Split `n` at `idx`: the input at idx shifted along the axis.
  absl::StatusOr<std::string> EmitSplit(const Node& n, const Value* v, const Index& idx);
  // `v` (an int/bool value with symbolic contents) at `idx`, from its symbols: such a value
  // is never loaded, so the runtime may pass null for a body input holding one.
  std::string EmitSymbolic(const Value* v, const std::vector<DimExpr>& contents,
                           const Index& idx);
  // Small integer contents of `v` (a constant or a value with known symbolic contents).
  std::optional<std::vector<DimExpr>> IntsOf(const Value* v) const;

  const Graph& body_;
  std::vector<std::string> inputs_;
  absl::flat_hash_map<const Value*, int> input_index_;
  SourceWriter& code_;
  SourceWriter& globals_;
  DimTable& dims_;
  Index domain_;
  std::vector<DimExpr> domain_dims_;
  std::string table_prefix_;
  Memo memo_;
  absl::flat_hash_map<const Node*, std::string> tables_;
};

}  // namespace kiln

#endif  // KILN_CODEGEN_EXPR_EMITTER_H_
