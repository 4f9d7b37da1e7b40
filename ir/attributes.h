// Node attributes: a small name-sorted map of typed values.
#ifndef KILN_IR_ATTRIBUTES_H_
#define KILN_IR_ATTRIBUTES_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <variant>
#include <vector>

#include "ir/dim_expr.h"
#include "ir/tensor.h"

namespace kiln {

enum class AttrKind { kInt, kFloat, kString, kInts, kFloats, kStrings, kTensor, kDims };

using AttrValue = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, std::vector<std::string>, Tensor,
                               std::vector<DimExpr>>;

// The kind of a value (its variant index, named).
AttrKind KindOf(const AttrValue& v);
// "int", "float", "string", "ints", "floats", "strings", "tensor", "dims".
absl::string_view AttrKindName(AttrKind k);

// Attributes in name order, so printing and comparison are deterministic.
class Attributes {
 public:
  using Item = std::pair<std::string, AttrValue>;

  const AttrValue* Find(absl::string_view name) const;
  template <typename T>
  const T* FindAs(absl::string_view name) const {
    const AttrValue* v = Find(name);
    return v ? std::get_if<T>(v) : nullptr;
  }
  bool Has(absl::string_view name) const { return Find(name) != nullptr; }
  void Set(absl::string_view name, AttrValue value);
  bool Erase(absl::string_view name);
  const std::vector<Item>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

 private:
  std::vector<Item> items_;
};

}  // namespace kiln

#endif  // KILN_IR_ATTRIBUTES_H_
