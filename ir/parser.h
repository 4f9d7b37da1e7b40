// Parses the IR's text form (see ir/printer.h for the syntax) back into a Graph, so that
// PrintGraph(*ParseGraph(PrintGraph(g))) == PrintGraph(g). Attributes are read by the kind
// the op's schema in ir/ops.def gives them. After parsing, shape inference runs and every
// printed type must equal the inferred one, so a parsed graph is as trustworthy as an
// imported one. Errors name the line and column; `//` starts a comment (for hand-written IR).
#ifndef KILN_IR_PARSER_H_
#define KILN_IR_PARSER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace kiln {

struct ParseOptions {
  // Run shape inference and check the printed types against it. When false the printed
  // types are taken as they are and no symbolic values are computed: for tools and tests
  // that handle ops whose inference is not available.
  bool infer_shapes = true;
  // Resolves `tensor<T[..]> external(i)` literals (PrintOptions::external_tensors): entry i
  // must have the literal's type. Without it such a literal is an error.
  const std::vector<Tensor>* external_tensors = nullptr;
};

// Parses one graph in the text form.
absl::StatusOr<std::unique_ptr<Graph>> ParseGraph(absl::string_view text,
                                                  const ParseOptions& options = {});

}  // namespace kiln

#endif  // KILN_IR_PARSER_H_
