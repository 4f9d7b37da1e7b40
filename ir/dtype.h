// Element types of Kiln tensors, and the 16-bit float storage types used on the host.
#ifndef KILN_IR_DTYPE_H_
#define KILN_IR_DTYPE_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include "absl/strings/string_view.h"

namespace kiln {

// The element types Kiln understands. The order is part of nothing external.
enum class DType : uint8_t {
  kUndefined = 0,
  kF32, kF16, kBF16, kF64,
  kI8, kI16, kI32, kI64,
  kU8, kU16, kU32, kU64,
  kBool,
};

// Bytes per element (0 for kUndefined).
size_t DTypeSize(DType t);
// Short name used by the printer and parser: "f32", "i64", "bool", ...
absl::string_view DTypeName(DType t);
// Inverse of DTypeName.
std::optional<DType> ParseDType(absl::string_view name);
bool IsFloat(DType t);
bool IsInteger(DType t);
bool IsSignedInteger(DType t);

// IEEE 754 binary16 stored as bits; arithmetic goes through float.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  explicit Half(float f);
  operator float() const;
};

// bfloat16 stored as bits; arithmetic goes through float.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float f);
  operator float() const;
};

// Rounds a float to binary16 bits (round to nearest even, overflow to infinity, NaN kept).
uint16_t FloatToHalfBits(float f);
float HalfBitsToFloat(uint16_t h);
// Rounds a float to bfloat16 bits (round to nearest even, NaN kept).
uint16_t FloatToBFloat16Bits(float f);
float BFloat16BitsToFloat(uint16_t b);

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kF32; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::kF16; };
template <> struct DTypeOf<BFloat16> { static constexpr DType value = DType::kBF16; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kF64; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kI8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kI16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kI32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kI64; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kU8; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kU16; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kU32; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kU64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

// Calls fn(T{}) with T the C++ type of `t`; returns fn's result. `t` must not be kUndefined.
template <typename Fn>
decltype(auto) VisitDType(DType t, Fn&& fn) {
  switch (t) {
    case DType::kF32: return fn(float{});
    case DType::kF16: return fn(Half{});
    case DType::kBF16: return fn(BFloat16{});
    case DType::kF64: return fn(double{});
    case DType::kI8: return fn(int8_t{});
    case DType::kI16: return fn(int16_t{});
    case DType::kI32: return fn(int32_t{});
    case DType::kI64: return fn(int64_t{});
    case DType::kU8: return fn(uint8_t{});
    case DType::kU16: return fn(uint16_t{});
    case DType::kU32: return fn(uint32_t{});
    case DType::kU64: return fn(uint64_t{});
    case DType::kBool: return fn(bool{});
    case DType::kUndefined: break;
  }
  return fn(float{});  // Unreachable for valid types; callers validate dtypes first.
}

}  // namespace kiln

#endif  // KILN_IR_DTYPE_H_
