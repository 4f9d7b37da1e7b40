#include "ir/attributes.h"

#include <algorithm>

namespace kiln {

AttrKind KindOf(const AttrValue& v) { return static_cast<AttrKind>(v.index()); }

absl::string_view AttrKindName(AttrKind k) {
  switch (k) {
    case AttrKind::kInt: return "int";
    case AttrKind::kFloat: return "float";
    case AttrKind::kString: return "string";
    case AttrKind::kInts: return "ints";
    case AttrKind::kFloats: return "floats";
    case AttrKind::kStrings: return "strings";
    case AttrKind::kTensor: return "tensor";
    case AttrKind::kDims: return "dims";
  }
  return "?";
}

const AttrValue* Attributes::Find(absl::string_view name) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Item& a, absl::string_view n) { return a.first < n; });
  return (it != items_.end() && it->first == name) ? &it->second : nullptr;
}

void Attributes::Set(absl::string_view name, AttrValue value) {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Item& a, absl::string_view n) { return a.first < n; });
  if (it != items_.end() && it->first == name) {
    it->second = std::move(value);
  } else {
    items_.insert(it, Item(std::string(name), std::move(value)));
  }
}

bool Attributes::Erase(absl::string_view name) {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const Item& a, absl::string_view n) { return a.first < n; });
  if (it == items_.end() || it->first != name) return false;
  items_.erase(it);
  return true;
}

}  // namespace kiln
