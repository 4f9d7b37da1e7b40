// Common-subexpression elimination: a node equal to an earlier one (same op, same inputs,
// same attributes) is replaced by it. Constants are equal when dtype, shape and bytes are;
// their key hashes a bounded prefix of the bytes and equality then compares them all.
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "ir/printer.h"
#include "passes/passes.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

std::string AttrKey(const Attributes& attrs) {
  std::string key;
  for (const auto& [name, value] : attrs.items()) {
    if (const Tensor* t = std::get_if<Tensor>(&value)) {
      size_t prefix = std::min<size_t>(t->nbytes(), 256);
      absl::StrAppend(&key, name, "=", t->TypeString(), ":",
                      absl::HashOf(absl::string_view(static_cast<const char*>(t->raw_data()), prefix)),
                      ";");
    } else {
      absl::StrAppend(&key, name, "=", PrintAttrValue(value), ";");
    }
  }
  return key;
}

bool SameAttrs(const Attributes& a, const Attributes& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.items().size(); ++i) {
    const auto& [na, va] = a.items()[i];
    const auto& [nb, vb] = b.items()[i];
    if (na != nb || va.index() != vb.index()) return false;
    if (const Tensor* ta = std::get_if<Tensor>(&va)) {
      if (!ta->BitwiseEqual(std::get<Tensor>(vb))) return false;
    } else if (PrintAttrValue(va) != PrintAttrValue(vb)) {
      return false;
    }
  }
  return true;
}

class CommonSubexpressionElimination : public Pass {
 public:
  absl::string_view name() const override { return "cse"; }

  absl::StatusOr<bool> Run(Graph& graph, PassContext& ctx) override {
    absl::flat_hash_map<std::string, std::vector<Node*>> seen;
    bool changed = false;
    for (Node* n : graph.NodeList()) {
      if (n->body() != nullptr) continue;
      std::string key = absl::StrCat(n->op_name(), "(");
      for (const Value* v : n->inputs()) absl::StrAppend(&key, reinterpret_cast<uintptr_t>(v), ",");
      absl::StrAppend(&key, ")", n->num_outputs(), "{", AttrKey(n->attrs()), "}");
      Node* twin = nullptr;
      for (Node* c : seen[key]) {
        if (SameAttrs(c->attrs(), n->attrs())) {
          twin = c;
          break;
        }
      }
      if (twin == nullptr) {
        seen[key].push_back(n);
        continue;
      }
      bool is_output = false;
      for (int i = 0; i < n->num_outputs(); ++i) {
        is_output |= IsGraphOutput(graph, n->output(i));
      }
      if (is_output) continue;  // Keep graph outputs' names.
      for (int i = 0; i < n->num_outputs(); ++i) graph.ReplaceAllUsesWith(n->output(i), twin->output(i));
      graph.RemoveNode(n);
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateCommonSubexpressionElimination() {
  return std::make_unique<CommonSubexpressionElimination>();
}

}  // namespace kiln
