// Reference kernel: Cast between any two Kiln dtypes (see convert.h for the rounding rules).
#include "absl/strings/str_cat.h"
#include "runtime/reference/elementwise_map.h"

namespace kiln::reference {

KernelResult RefCast(const KernelContext& ctx) {
  std::string to_name = ctx.node.attr_string("to");
  std::optional<DType> to = ParseDType(to_name);
  if (!to) return ctx.Error(absl::StrCat("unknown target dtype '", to_name, "'"));
  const Tensor& x = ctx.input(0);
  if (x.dtype() == *to) return std::vector<Tensor>{x};
  return VisitDType(x.dtype(), [&](auto from_zero) -> KernelResult {
    using From = decltype(from_zero);
    return VisitDType(*to, [&](auto to_zero) -> KernelResult {
      using To = decltype(to_zero);
      return Single(MapUnary<To, From>(x, [](From v) { return ConvertValue<To>(v); }));
    });
  });
}

}  // namespace kiln::reference
