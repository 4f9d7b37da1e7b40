// Reference kernel of DimValues: evaluates symbolic dims under the executor's bindings.
#include "absl/strings/str_cat.h"
#include "runtime/reference/kernel.h"

namespace kiln::reference {

KernelResult RefDimValues(const KernelContext& ctx) {
  if (ctx.bindings == nullptr) return ctx.Error("needs the executor's symbol bindings");
  const auto* dims = ctx.node.attrs().FindAs<std::vector<DimExpr>>("value");
  std::vector<int64_t> values;
  for (const DimExpr& d : *dims) {
    absl::StatusOr<int64_t> v = d.Evaluate(*ctx.bindings);
    if (!v.ok()) return ctx.Error(v.status().message());
    values.push_back(*v);
  }
  std::vector<int64_t> shape;
  if (ctx.node.attr_int("scalar") == 0) shape.push_back(static_cast<int64_t>(values.size()));
  return std::vector<Tensor>{Tensor::FromVector<int64_t>(values, shape)};
}

}  // namespace kiln::reference
