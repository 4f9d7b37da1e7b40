#include "passes/subgraph_probe.h"

#include <algorithm>
#include <random>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/check.h"
#include "ir/status_macros.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

// Largest tensor a probe may hold (elements): probes are small, and a graph that would make
// them huge (a Range to a huge constant) is refused rather than computed while compiling.
constexpr int64_t kMaxProbeElements = int64_t{1} << 24;

bool TooLarge(const std::vector<int64_t>& dims) {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d > 0 && count > kMaxProbeElements / d) return true;
    count *= d;
  }
  return count > kMaxProbeElements;
}

absl::Status TooLargeError(const Value* v) {
  return absl::ResourceExhaustedError(absl::StrCat("probing would compute '", v->name(), "' ",
                                                   v->type().ToString(), ", which is too large"));
}

// Nodes needed for `outputs` and the values that become inputs.
struct Cut {
  absl::flat_hash_set<const Node*> nodes;
  absl::flat_hash_set<const Value*> leaves;
};

absl::StatusOr<Cut> FindCut(const std::vector<Value*>& outputs,
                            const absl::flat_hash_set<const Value*>& stop, int max_nodes) {
  Cut cut;
  absl::flat_hash_set<const Value*> data;
  std::vector<const Value*> shape_only;
  std::vector<const Value*> work(outputs.begin(), outputs.end());
  while (!work.empty()) {
    const Value* v = work.back();
    work.pop_back();
    if (!data.insert(v).second) continue;
    const Node* n = v->producer();
    if (stop.contains(v) || n == nullptr) {
      cut.leaves.insert(v);
      continue;
    }
    if (!cut.nodes.insert(n).second) continue;
    if (static_cast<int>(cut.nodes.size()) > max_nodes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the subgraph needs more than ", max_nodes, " nodes"));
    }
    for (const Value* in : n->inputs()) {
      if (in == nullptr) continue;
      // A Shape reads only its input's dims: such an input becomes a leaf of zeros, unless
      // something else reads its data (or it is a constant, which is cheap to copy).
      const bool dims_only = n->op() == OpKind::kShape && !stop.contains(in) &&
                             in->producer() != nullptr && in->producer()->op() != OpKind::kConstant;
      (dims_only ? shape_only : work).push_back(in);
    }
  }
  for (const Value* v : shape_only) {
    if (!data.contains(v)) cut.leaves.insert(v);
  }
  return cut;
}

template <typename T>
void Set(Tensor& t, int64_t i, double x) {
  if constexpr (std::is_same_v<T, bool>) {
    t.data<bool>()[i] = x != 0;
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    t.data<T>()[i] = T(static_cast<float>(x));
  } else {
    t.data<T>()[i] = static_cast<T>(x);
  }
}

void SetElement(Tensor& t, int64_t i, double x) {
  VisitDType(t.dtype(), [&](auto tag) {
    Set<decltype(tag)>(t, i, x);
    return 0;
  });
}

// 0/1 rows of a [batch, keys] mask: row r gets pattern (r + 2 * index) % 5, so that over the
// probes even a batch of one sees an all-zero row and both paddings.
void FillKeyMask(Tensor& t, int index, std::mt19937& rng) {
  const int64_t rows = t.shape()[0], keys = t.shape()[1];
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t len = keys == 0 ? 0 : 1 + static_cast<int64_t>(rng() % keys);
    for (int64_t j = 0; j < keys; ++j) {
      bool keep = true;
      switch ((r + 2 * index) % 5) {
        case 0:
          keep = true;
          break;
        case 1:
          keep = j < len;
          break;  // Right padding.
        case 2:
          keep = j >= keys - len;
          break;  // Left padding.
        case 3:
          keep = rng() % 2 == 0;
          break;
        default:
          keep = false;
          break;  // Nothing to attend to.
      }
      SetElement(t, r * keys + j, keep ? 1 : 0);
    }
  }
}

void FillRandom(Tensor& t, std::mt19937& rng) {
  std::normal_distribution<double> normal(0, 1);
  const bool is_float = IsFloat(t.dtype());
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    SetElement(t, i, is_float ? normal(rng) : static_cast<double>(rng() % 2));
  }
}

bool Violates(const std::vector<DimConstraint>& constraints, const SymbolBindings& b) {
  for (const DimConstraint& c : constraints) {
    auto l = c.lhs.Evaluate(b), r = c.rhs.Evaluate(b);
    if (!l.ok() || !r.ok()) continue;
    if (c.kind == DimConstraint::Kind::kEq ? *l != *r : *l > *r) return true;
  }
  return false;
}

// Binds the dims of the key mask input to [batch, keys]; false if they cannot be.
bool BindKeyMask(const TensorType& t, const ProbeSpec& spec, SymbolBindings& b) {
  const DimExpr* want[2] = {&spec.batch, &spec.keys};
  if (t.rank() != 2) return false;
  for (int d = 0; d < 2; ++d) {
    auto value = want[d]->Evaluate(b);
    if (!value.ok()) return false;
    const DimExpr& dim = t.dims[d];
    if (dim.is_symbol() && !b.contains(dim.symbol_name())) {
      b[std::string(dim.symbol_name())] = *value;
    } else if (auto got = dim.Evaluate(b); !got.ok() || *got != *value) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<Subgraph> ExtractSubgraph(const Graph& graph, const std::vector<Value*>& outputs,
                                         const absl::flat_hash_set<const Value*>& stop,
                                         int max_nodes) {
  ASSIGN_OR_RETURN(Cut cut, FindCut(outputs, stop, max_nodes));
  Subgraph sub;
  sub.graph = std::make_unique<Graph>("probe");
  for (const Value* in : graph.inputs()) {
    if (cut.leaves.contains(in)) sub.leaves.push_back(in);
  }
  for (const Node* n : graph.nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      if (cut.leaves.contains(n->output(i))) sub.leaves.push_back(n->output(i));
    }
  }
  absl::flat_hash_map<const Value*, Value*> map;
  for (const Value* leaf : sub.leaves) map[leaf] = sub.graph->AddInput(leaf->name(), leaf->type());
  for (const Node* n : graph.nodes()) {
    if (!cut.nodes.contains(n)) continue;
    std::vector<Value*> ins;
    for (const Value* v : n->inputs()) ins.push_back(v ? map.at(v) : nullptr);
    Node* c = sub.graph->AddNode(n->op(), ins, n->num_outputs(), n->attrs(), n->name());
    for (int i = 0; i < n->num_outputs(); ++i) {
      Value* dst = c->output(i);
      KILN_CHECK_OK(sub.graph->RenameValue(dst, n->output(i)->name()));
      dst->set_type(n->output(i)->type());
      dst->set_sym_value(n->output(i)->sym_value());
      map[n->output(i)] = dst;
    }
    if (n->body() != nullptr) c->set_body(n->body()->Clone());
  }
  for (Value* o : outputs) sub.graph->AddOutput(map.at(o));
  return sub;
}

absl::StatusOr<Probe> MakeProbe(const Subgraph& sub, const ProbeSpec& spec, int index) {
  absl::btree_set<std::string> symbols;
  int key_mask_input = -1;
  for (size_t i = 0; i < sub.leaves.size(); ++i) {
    if (sub.leaves[i] == spec.key_mask) {
      key_mask_input = static_cast<int>(i);
      continue;
    }
    for (const DimExpr& d : sub.leaves[i]->type().dims) d.CollectSymbols(&symbols);
  }
  for (const DimExpr& d : spec.extra_dims) d.CollectSymbols(&symbols);
  spec.batch.CollectSymbols(&symbols);
  spec.keys.CollectSymbols(&symbols);
  std::mt19937 rng(7919 * (index + 1));
  // The last probe uses sizes 1 and 2, the others 2 to 6.
  const int lo = index == kNumProbes - 1 ? 1 : 2, hi = index == kNumProbes - 1 ? 2 : 6;
  Probe probe;
  bool ok = false;
  for (int attempt = 0; attempt < 20 && !ok; ++attempt) {
    probe.bindings.clear();
    for (const std::string& s : symbols) probe.bindings[s] = lo + rng() % (hi - lo + 1);
    ok = (key_mask_input < 0 ||
          BindKeyMask(sub.leaves[key_mask_input]->type(), spec, probe.bindings)) &&
         !Violates(spec.constraints, probe.bindings);
  }
  if (!ok) return absl::FailedPreconditionError("no probe sizes satisfy the graph's constraints");
  for (size_t i = 0; i < sub.leaves.size(); ++i) {
    const TensorType& t = sub.leaves[i]->type();
    ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(t.dims, probe.bindings));
    if (TooLarge(dims)) return TooLargeError(sub.leaves[i]);
    ASSIGN_OR_RETURN(Tensor tensor, Tensor::Zeros(t.dtype, dims));
    if (static_cast<int>(i) == key_mask_input) {
      FillKeyMask(tensor, index, rng);
    } else {
      FillRandom(tensor, rng);
    }
    probe.inputs.push_back(std::move(tensor));
  }
  return probe;
}

absl::StatusOr<std::vector<Tensor>> RunProbe(const Subgraph& sub, const Probe& probe) {
  // Data-dependent sizes are not known until run time; everything else is checked first.
  for (const Node* n : sub.graph->nodes()) {
    for (int i = 0; i < n->num_outputs(); ++i) {
      auto dims = EvaluateDims(n->output(i)->type().dims, probe.bindings);
      if (dims.ok() && TooLarge(*dims)) return TooLargeError(n->output(i));
    }
  }
  return reference::Execute(*sub.graph, probe.inputs);
}

}  // namespace kiln
