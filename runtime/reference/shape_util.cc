#include "runtime/reference/shape_util.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace kiln::reference {

std::vector<int64_t> ReadInts(const Tensor& t) {
  std::vector<int64_t> out(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) out[i] = t.GetAsInt(i);
  return out;
}

std::vector<int64_t> ElementStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t a = shape.size(); a-- > 1;) s[a - 1] = s[a] * shape[a];
  return s;
}

void IndexedCopy(const Tensor& in, Tensor& out,
                 const std::vector<std::vector<int64_t>>& offsets, const void* fill) {
  const size_t es = DTypeSize(out.dtype());
  const auto* src = static_cast<const uint8_t*>(in.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  const int64_t n = out.num_elements();
  if (n == 0) return;
  const int64_t rank = out.rank();
  if (rank == 0) {
    std::memcpy(dst, src, es);
    return;
  }
  const std::vector<int64_t>& inner = offsets[rank - 1];
  const int64_t inner_n = out.shape()[rank - 1];
  std::vector<int64_t> pos(rank - 1, 0);
  for (int64_t row = 0; row < n / inner_n; ++row) {
    int64_t base = 0;
    bool fill_row = false;
    for (int64_t a = 0; a + 1 < rank; ++a) {
      int64_t v = offsets[a][pos[a]];
      if (v == kFillOffset) fill_row = true;
      base += v;
    }
    for (int64_t i = 0; i < inner_n; ++i, dst += es) {
      if (fill_row || inner[i] == kFillOffset) {
        std::memcpy(dst, fill, es);
      } else {
        std::memcpy(dst, src + (base + inner[i]) * es, es);
      }
    }
    for (int64_t a = rank - 2; a >= 0; --a) {
      if (++pos[a] < out.shape()[a]) break;
      pos[a] = 0;
    }
  }
}

absl::StatusOr<Tensor> NewTensor(const KernelContext& ctx, DType dtype,
                                 std::vector<int64_t> shape) {
  auto t = Tensor::Zeros(dtype, std::move(shape));
  if (!t.ok()) return absl::Status(t.status().code(), ctx.Error(t.status().message()).message());
  return t;
}

absl::StatusOr<int64_t> KernelAxis(const KernelContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

}  // namespace kiln::reference
