// Comparing computed tensors with references: relative L2 error for floats, exact equality
// for integers and bools, identical positions for NaN and infinities.
#ifndef KILN_RUNTIME_COMPARE_H_
#define KILN_RUNTIME_COMPARE_H_

#include <string>

#include "ir/tensor.h"

namespace kiln {

struct CompareResult {
  bool ok = false;
  double error = 0;    // Relative L2 error (floats), or 0/1 for exact types.
  std::string detail;  // Why it failed; empty when ok.
};

// ‖got − want‖₂ / ‖want‖₂ over the finite elements (absolute when ‖want‖₂ is 0); NaN and
// ±inf must sit at the same places. Integer and bool tensors must match exactly.
CompareResult CompareTensors(const Tensor& got, const Tensor& want, double tolerance);
// The tolerance Kiln's standards give an output of `dtype` at fp32 compute.
double DefaultTolerance(DType dtype);

}  // namespace kiln

#endif  // KILN_RUNTIME_COMPARE_H_
