// The op table: OpKind enumerates ops.def; OpInfo holds each op's static description.
#ifndef KILN_IR_OP_H_
#define KILN_IR_OP_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "ir/attributes.h"

namespace kiln {

enum class OpKind : uint16_t {
#define KILN_OP(name, ...) k##name,
#include "ir/ops.def"
#undef KILN_OP
};

// TVM's operator pattern kinds, which decide what may fuse with what.
enum class FusionKind { kElementwise, kBroadcast, kInjective, kReduction, kOutFusable, kOpaque };
absl::string_view FusionKindName(FusionKind k);

// One attribute of an op's schema.
struct AttrSpec {
  std::string name;
  AttrKind kind;
  bool required = false;
  std::optional<AttrValue> default_value;
};

class InferContext;
using InferFn = absl::Status (*)(InferContext&);

// Everything static about an op.
struct OpInfo {
  OpKind kind;
  absl::string_view name;
  FusionKind fusion;
  int min_inputs, max_inputs;    // max_inputs < 0: variadic.
  int min_outputs, max_outputs;  // max_outputs < 0: variadic.
  InferFn infer;
  std::vector<AttrSpec> attrs;

  const AttrSpec* FindAttr(absl::string_view attr_name) const;
};

const OpInfo& GetOpInfo(OpKind kind);
// True for the ops whose output is input 0's elements in the same row-major order
// (Reshape, Squeeze, Unsqueeze, Flatten, Identity): a backend may alias its buffer.
bool IsContiguousView(OpKind kind);
// Looks an op up by its name ("MatMul").
std::optional<OpKind> LookupOp(absl::string_view name);
// All ops, in table order.
const std::vector<OpInfo>& AllOps();

}  // namespace kiln

#endif  // KILN_IR_OP_H_
