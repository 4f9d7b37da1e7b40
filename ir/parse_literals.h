// The IR text parser's literals: tensor types with symbolic dims, attribute values read by
// the kind the op's schema gives them, and tensor literals (`tensor<f32[2]> [1.0, 2.5]` or
// `tensor<f32[64,64]> 0x0000803f...`). Used by ir/parser.cc.
#ifndef KILN_IR_PARSE_LITERALS_H_
#define KILN_IR_PARSE_LITERALS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "ir/attributes.h"
#include "ir/graph.h"
#include "ir/text_cursor.h"

namespace kiln {

// One dimension expression ("batch*seq", "min(512,seq)"); stops at a top-level ',' or at a
// character that cannot be part of one.
absl::StatusOr<DimExpr> ParseDimExpr(TextCursor& c);
// "[d0,d1,...]"; constant dims must be non-negative unless `allow_negative` (values, not dims).
absl::StatusOr<std::vector<DimExpr>> ParseDimList(TextCursor& c, bool allow_negative = false);
// "f32[batch,seq,64]".
absl::StatusOr<TensorType> ParseTensorType(TextCursor& c);
// "tensor<T[dims]> [values]" or "tensor<T[dims]> 0x<hex bytes>"; elided tensors are errors.
// "tensor<T[dims]> external(i)" takes entry i of `external` (which must have that type).
absl::StatusOr<Tensor> ParseTensorLiteral(TextCursor& c,
                                          const std::vector<Tensor>* external = nullptr);
// An attribute value of the given kind; `name` is for error messages.
absl::StatusOr<AttrValue> ParseAttrValue(TextCursor& c, AttrKind kind, absl::string_view name,
                                         const std::vector<Tensor>* external = nullptr);

}  // namespace kiln

#endif  // KILN_IR_PARSE_LITERALS_H_
