// Execution keeps a value -> tensor map and drops each tensor after its last use, so peak host
// memory follows the graph's live set rather than the sum of all intermediates.
#include "runtime/reference/executor.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/symbol_bindings.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {

absl::StatusOr<std::vector<Tensor>> Execute(const Graph& graph, absl::Span<const Tensor> inputs,
                                            const SymbolBindings* known) {
  auto graph_inputs = graph.inputs();
  if (inputs.size() != graph_inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("graph '", graph.name(), "' takes ",
                                                   graph_inputs.size(), " inputs, got ",
                                                   inputs.size()));
  }
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() != graph_inputs[i]->type().dtype) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input '", graph_inputs[i]->name(), "' has dtype ", DTypeName(inputs[i].dtype()),
          ", expected ", DTypeName(graph_inputs[i]->type().dtype)));
    }
    shapes.push_back(inputs[i].shape());
  }
  ASSIGN_OR_RETURN(SymbolBindings bindings, BindSymbols(graph, shapes, known));

  // Last use of each value (graph outputs live to the end).
  absl::flat_hash_map<const Value*, const Node*> last_use;
  for (const Node* n : graph.nodes()) {
    for (const Value* v : n->inputs()) {
      if (v) last_use[v] = n;
    }
  }
  for (const Value* v : graph.outputs()) last_use[v] = nullptr;

  absl::flat_hash_map<const Value*, Tensor> env;
  for (size_t i = 0; i < inputs.size(); ++i) env[graph_inputs[i]] = inputs[i];

  for (const Node* n : graph.nodes()) {
    KernelContext ctx{*n, {}, &bindings};
    for (const Value* v : n->inputs()) {
      if (v == nullptr) {
        ctx.inputs.push_back(nullptr);
        continue;
      }
      auto it = env.find(v);
      if (it == env.end()) {
        return absl::InternalError(absl::StrCat(n->Describe(), ": input '", v->name(),
                                                "' has not been computed"));
      }
      ctx.inputs.push_back(&it->second);
    }
    KernelResult result = GetKernel(n->op())(ctx);
    if (!result.ok()) return result.status();
    if (static_cast<int>(result->size()) != n->num_outputs()) {
      return absl::InternalError(absl::StrCat(n->Describe(), ": kernel returned ",
                                              result->size(), " outputs, expected ",
                                              n->num_outputs()));
    }
    for (int i = 0; i < n->num_outputs(); ++i) {
      const Value* out = n->output(i);
      Tensor& t = (*result)[i];
      // Data-dependent dims are plain symbols that no input bound: bind them now.
      if (t.rank() == out->type().rank()) {
        for (int64_t d = 0; d < t.rank(); ++d) {
          const DimExpr& dim = out->type().dims[d];
          if (dim.is_symbol()) bindings.try_emplace(std::string(dim.symbol_name()), t.shape()[d]);
        }
      }
      ASSIGN_OR_RETURN(std::vector<int64_t> want, EvaluateDims(out->type().dims, bindings));
      if (t.dtype() != out->type().dtype || t.shape() != want) {
        return absl::InternalError(absl::StrCat(
            n->Describe(), ": output '", out->name(), "' was computed as ", t.TypeString(),
            " but its type is ", out->type().ToString(), " = ", DTypeName(out->type().dtype),
            "[", absl::StrJoin(want, ","), "]"));
      }
      env[out] = std::move(t);
    }
    for (const Value* v : n->inputs()) {
      if (v == nullptr) continue;
      auto it = last_use.find(v);
      if (it != last_use.end() && it->second == n) env.erase(v);
    }
    // Outputs nobody reads are dropped at once.
    for (int i = 0; i < n->num_outputs(); ++i) {
      if (!last_use.contains(n->output(i))) env.erase(n->output(i));
    }
  }
  std::vector<Tensor> outputs;
  for (const Value* v : graph.outputs()) {
    auto it = env.find(v);
    if (it == env.end()) {
      return absl::InternalError(absl::StrCat("graph output '", v->name(), "' was not computed"));
    }
    outputs.push_back(it->second);
  }
  return outputs;
}

}  // namespace kiln::reference
