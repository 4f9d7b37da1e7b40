// Scalar activation functions shared by the elementwise kernels (Relu, Sigmoid, Gelu) and the
// fused kernels that apply them in an epilogue (FusedMatMul), so both compute bit-identical
// values. C is the compute type (float for f32 and the 16-bit floats, double for f64).
#ifndef KILN_RUNTIME_REFERENCE_ACTIVATION_MATH_H_
#define KILN_RUNTIME_REFERENCE_ACTIVATION_MATH_H_

#include <cmath>

namespace kiln::reference {

// max(v, 0); `v < 0` keeps NaN as NaN.
template <typename C>
C ReluOf(C v) {
  return v < 0 ? C{0} : v;
}

// 1 / (1 + exp(-v)), in two branches so that exp never overflows into inf/inf.
template <typename C>
C SigmoidOf(C v) {
  if (v >= 0) return C{1} / (C{1} + std::exp(-v));
  C e = std::exp(v);
  return e / (C{1} + e);
}

// v * sigmoid(v).
template <typename C>
C SiluOf(C v) {
  return v * SigmoidOf(v);
}

// Gelu with approximate = "none": 0.5 v (1 + erf(v / sqrt 2)).
template <typename C>
C GeluErfOf(C v) {
  return C{0.5} * v * (C{1} + std::erf(v * C{M_SQRT1_2}));
}

// Gelu with approximate = "tanh": 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))).
template <typename C>
C GeluTanhOf(C v) {
  const C k = static_cast<C>(std::sqrt(2.0 / M_PI));
  return C{0.5} * v * (C{1} + std::tanh(k * (v + C{0.044715} * v * v * v)));
}

}  // namespace kiln::reference

#endif  // KILN_RUNTIME_REFERENCE_ACTIVATION_MATH_H_
