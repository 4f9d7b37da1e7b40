#include "tools/cli/shape_variants.h"

#include <cstring>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "ir/symbol_bindings.h"

namespace kiln::cli {

absl::StatusOr<Tensor> TileTo(const Tensor& t, const std::vector<int64_t>& shape) {
  if (static_cast<int64_t>(shape.size()) != t.rank()) {
    return absl::InvalidArgumentError("TileTo keeps the rank");
  }
  ASSIGN_OR_RETURN(Tensor out, Tensor::Zeros(t.dtype(), shape));
  if (out.num_elements() == 0) return out;
  if (t.num_elements() == 0) return absl::InvalidArgumentError("cannot tile an empty tensor");
  const size_t elem = DTypeSize(t.dtype());
  const auto* src = static_cast<const char*>(t.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t flat = 0; flat < out.num_elements(); ++flat) {
    int64_t from = 0;
    for (size_t d = 0; d < shape.size(); ++d) from = from * t.shape()[d] + idx[d] % t.shape()[d];
    std::memcpy(dst + flat * elem, src + from * elem, elem);
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

absl::StatusOr<std::vector<Tensor>> VaryInputShapes(const Graph& graph,
                                                    const std::vector<Tensor>& inputs) {
  std::vector<std::vector<int64_t>> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  ASSIGN_OR_RETURN(SymbolBindings bindings, BindSymbols(graph, shapes));
  absl::btree_set<std::string> batch_like;
  for (const Value* in : graph.inputs()) {
    if (!in->type().dims.empty()) in->type().dims[0].CollectSymbols(&batch_like);
  }
  SymbolBindings varied;
  for (const auto& [sym, value] : bindings) {
    if (batch_like.contains(sym)) {
      varied[sym] = value + 1;
    } else {
      varied[sym] = value > 2 ? value - 1 : value + 1;
    }
  }
  if (varied.empty()) return absl::FailedPreconditionError("the model's inputs have static shapes");
  std::vector<Tensor> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value* in = graph.inputs()[i];
    ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(in->type().dims, varied));
    ASSIGN_OR_RETURN(Tensor t, TileTo(inputs[i], dims));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace kiln::cli
