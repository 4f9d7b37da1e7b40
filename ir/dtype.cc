#include "ir/dtype.h"

#include <array>
#include <cmath>

namespace kiln {
namespace {

struct DTypeRow {
  DType type;
  absl::string_view name;
  size_t size;
};

constexpr std::array<DTypeRow, 13> kRows = {{
    {DType::kF32, "f32", 4}, {DType::kF16, "f16", 2}, {DType::kBF16, "bf16", 2},
    {DType::kF64, "f64", 8}, {DType::kI8, "i8", 1}, {DType::kI16, "i16", 2},
    {DType::kI32, "i32", 4}, {DType::kI64, "i64", 8}, {DType::kU8, "u8", 1},
    {DType::kU16, "u16", 2}, {DType::kU32, "u32", 4}, {DType::kU64, "u64", 8},
    {DType::kBool, "bool", 1},
}};

const DTypeRow* Find(DType t) {
  for (const DTypeRow& r : kRows) {
    if (r.type == t) return &r;
  }
  return nullptr;
}

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

size_t DTypeSize(DType t) {
  const DTypeRow* r = Find(t);
  return r ? r->size : 0;
}

absl::string_view DTypeName(DType t) {
  const DTypeRow* r = Find(t);
  return r ? r->name : "undefined";
}

std::optional<DType> ParseDType(absl::string_view name) {
  for (const DTypeRow& r : kRows) {
    if (r.name == name) return r.type;
  }
  return std::nullopt;
}

bool IsFloat(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64;
}

bool IsSignedInteger(DType t) {
  return t == DType::kI8 || t == DType::kI16 || t == DType::kI32 || t == DType::kI64;
}

bool IsInteger(DType t) {
  return IsSignedInteger(t) || t == DType::kU8 || t == DType::kU16 || t == DType::kU32 ||
         t == DType::kU64;
}

uint16_t FloatToHalfBits(float f) {
  uint32_t x = FloatBits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // Inf or NaN.
    return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // Rounds to inf.
  if (abs < 0x38800000u) {  // Subnormal half (or zero): scale into the subnormal grid.
    float scaled = BitsFloat(abs) * 16777216.0f;  // 2^24: half subnormal unit becomes 1.
    uint32_t m = static_cast<uint32_t>(std::nearbyint(scaled));
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t mant = abs & 0x7fffffu;
  uint32_t exp = (abs >> 23) - 112;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float HalfBitsToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    float v = static_cast<float>(mant) / 16777216.0f;
    return sign ? -v : v;
  }
  if (exp == 31) return BitsFloat(sign | 0x7f800000u | (mant << 13));
  return BitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t FloatToBFloat16Bits(float f) {
  uint32_t x = FloatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  return static_cast<uint16_t>(x >> 16);
}

float BFloat16BitsToFloat(uint16_t b) { return BitsFloat(static_cast<uint32_t>(b) << 16); }

Half::Half(float f) : bits(FloatToHalfBits(f)) {}
Half::operator float() const { return HalfBitsToFloat(bits); }
BFloat16::BFloat16(float f) : bits(FloatToBFloat16Bits(f)) {}
BFloat16::operator float() const { return BFloat16BitsToFloat(bits); }

}  // namespace kiln
