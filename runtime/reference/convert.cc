#include "runtime/reference/convert.h"

#include <bit>

namespace kiln::reference {

double UintToDoubleRoundOdd(uint64_t v) {
  int width = 64 - std::countl_zero(v);
  if (width <= 53) return static_cast<double>(v);  // Exact.
  int shift = width - 53;
  uint64_t kept = v >> shift;
  if ((v & ((uint64_t{1} << shift) - 1)) != 0) kept |= 1;  // Sticky bit.
  return std::ldexp(static_cast<double>(kept), shift);
}

double IntToDoubleRoundOdd(int64_t v) {
  // The magnitude of INT64_MIN is 2^63, which uint64 holds.
  uint64_t mag = v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  double d = UintToDoubleRoundOdd(mag);
  return v < 0 ? -d : d;
}

float DoubleToFloatRoundOdd(double v) {
  float f = static_cast<float>(v);
  if (std::isnan(v) || static_cast<double>(f) == v) return f;
  uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 1u) != 0) return f;
  // f is the even neighbour of v; the other neighbour (odd) lies on v's side of f.
  return std::nextafter(f, v > static_cast<double>(f) ? std::numeric_limits<float>::infinity()
                                                      : -std::numeric_limits<float>::infinity());
}

}  // namespace kiln::reference
