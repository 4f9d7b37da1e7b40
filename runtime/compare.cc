#include "runtime/compare.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kiln {

double DefaultTolerance(DType dtype) {
  switch (dtype) {
    case DType::kF16:
    case DType::kBF16: return 1e-2;
    default: return 1e-4;
  }
}

CompareResult CompareTensors(const Tensor& got, const Tensor& want, double tolerance) {
  CompareResult r;
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) {
    r.error = INFINITY;
    r.detail = absl::StrCat("got ", got.TypeString(), ", expected ", want.TypeString());
    return r;
  }
  if (!IsFloat(want.dtype())) {
    for (int64_t i = 0; i < want.num_elements(); ++i) {
      if (got.GetAsInt(i) != want.GetAsInt(i)) {
        r.error = 1;
        r.detail = absl::StrCat("element ", i, " is ", got.GetAsInt(i), ", expected ",
                                want.GetAsInt(i));
        return r;
      }
    }
    r.ok = true;
    return r;
  }
  double diff2 = 0, ref2 = 0;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    double g = got.GetAsDouble(i), w = want.GetAsDouble(i);
    if (!std::isfinite(w) || !std::isfinite(g)) {
      bool same = (std::isnan(w) && std::isnan(g)) || g == w;
      if (!same) {
        r.error = INFINITY;
        r.detail = absl::StrCat("element ", i, " is ", g, ", expected ", w);
        return r;
      }
      continue;
    }
    diff2 += (g - w) * (g - w);
    ref2 += w * w;
  }
  r.error = ref2 > 0 ? std::sqrt(diff2 / ref2) : std::sqrt(diff2);
  r.ok = r.error <= tolerance;
  if (!r.ok) r.detail = absl::StrFormat("relative L2 error %.3e > %.0e", r.error, tolerance);
  return r;
}

}  // namespace kiln
