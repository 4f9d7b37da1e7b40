// The IR's text form. Example:
//
//   graph main(%x: f32[batch,seq,64], %mask: i64[batch,seq]) {
//     assume seq <= 512
//     %w: f32[64,64] = Constant() {value=tensor<f32[64,64]> 0x0000803f...}
//     %y: f32[batch,seq,64] = MatMul(%x, %w)
//     %a: f32[batch,seq,32], %b: f32[batch,seq,32] = Split(%y, %sizes) {axis=2} @split_0
//     return %a, %b
//   }
//
// Names that are not plain identifiers are quoted (%"a/b:0"); an absent optional input is
// `none`; `@name` gives the node's name when it differs from its first output's. A graph
// input with known symbolic contents (a fused kernel's shape operand) prints them after its
// type: `%shape: i64[3] = [batch, seq, 64]`. Floats print
// with enough digits to round-trip exactly, so parse(print(g)) prints identically.
#ifndef KILN_IR_PRINTER_H_
#define KILN_IR_PRINTER_H_

#include <string>

#include "ir/graph.h"

namespace kiln {

struct PrintOptions {
  // Print tensors larger than `max_inline_elements` as `tensor<T[..]> elided` (not parseable).
  bool elide_large_constants = false;
  int64_t max_inline_elements = 16;
  // When set, tensors larger than `max_inline_elements` print as `tensor<T[..]> external(i)`
  // and are appended here (i is their index): how plan files keep weights out of the text.
  std::vector<const Tensor*>* external_tensors = nullptr;
};

std::string PrintGraph(const Graph& graph, const PrintOptions& options = {});
// One node as a line of the text form (without indentation or newline).
std::string PrintNode(const Node& node, const PrintOptions& options = {});
// A value reference: %name, quoted when needed.
std::string PrintValueName(absl::string_view name);
// A float literal that parses back to the same float.
std::string PrintFloat(double v, bool is_double = false);
std::string PrintAttrValue(const AttrValue& v, const PrintOptions& options = {});

}  // namespace kiln

#endif  // KILN_IR_PRINTER_H_
