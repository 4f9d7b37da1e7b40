// Reference kernels: Gather, GatherElements and GatherND. Every index is range-checked
// (negative indices count from the end); a bad index is an error naming the node.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/reference/shape_util.h"

namespace kiln::reference {
namespace {

// Normalises index `i` into [0, d) or fails.
absl::StatusOr<int64_t> CheckIndex(const KernelContext& ctx, int64_t i, int64_t d) {
  if (i < -d || i >= d) {
    return ctx.Error(absl::StrCat("index ", i, " is out of range for a dim of size ", d));
  }
  return i < 0 ? i + d : i;
}

}  // namespace

KernelResult RefGather(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& idx = ctx.input(1);
  ASSIGN_OR_RETURN(int64_t axis, KernelAxis(ctx, ctx.node.attr_int("axis"), x.rank()));
  std::vector<int64_t> shape(x.shape().begin(), x.shape().begin() + axis);
  shape.insert(shape.end(), idx.shape().begin(), idx.shape().end());
  shape.insert(shape.end(), x.shape().begin() + axis + 1, x.shape().end());
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), shape));
  int64_t d = x.shape()[axis];
  int64_t outer = 1, inner = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= x.shape()[a];
  for (int64_t a = axis + 1; a < x.rank(); ++a) inner *= x.shape()[a];
  std::vector<int64_t> indices = ReadInts(idx);
  for (int64_t& i : indices) {
    ASSIGN_OR_RETURN(i, CheckIndex(ctx, i, d));
  }
  const size_t row = inner * DTypeSize(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  if (row == 0) return One(std::move(out));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i : indices) {
      std::memcpy(dst, src + (o * d + i) * row, row);
      dst += row;
    }
  }
  return One(std::move(out));
}

KernelResult RefGatherElements(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& idx = ctx.input(1);
  int64_t rank = x.rank();
  ASSIGN_OR_RETURN(int64_t axis, KernelAxis(ctx, ctx.node.attr_int("axis"), rank));
  if (idx.rank() != rank) return ctx.Error("indices must have the rank of data");
  for (int64_t a = 0; a < rank; ++a) {
    if (a != axis && idx.shape()[a] > x.shape()[a]) {
      return ctx.Error(absl::StrCat("indices ", idx.TypeString(), " exceed data ",
                                    x.TypeString(), " on axis ", a));
    }
  }
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), idx.shape()));
  std::vector<int64_t> strides = ElementStrides(x.shape());
  const size_t es = DTypeSize(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  std::vector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < idx.num_elements(); ++k) {
    ASSIGN_OR_RETURN(int64_t i, CheckIndex(ctx, idx.GetAsInt(k), x.shape()[axis]));
    int64_t off = 0;
    for (int64_t a = 0; a < rank; ++a) off += (a == axis ? i : pos[a]) * strides[a];
    std::memcpy(dst + k * es, src + off * es, es);
    for (int64_t a = rank - 1; a >= 0; --a) {
      if (++pos[a] < idx.shape()[a]) break;
      pos[a] = 0;
    }
  }
  return One(std::move(out));
}

KernelResult RefGatherND(const KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& idx = ctx.input(1);
  int64_t r = x.rank(), q = idx.rank();
  int64_t b = ctx.node.attr_int("batch_dims");
  if (q < 1 || b < 0 || b >= std::min(r, q)) return ctx.Error("invalid batch_dims or ranks");
  int64_t m = idx.shape()[q - 1];
  if (m < 1 || m > r - b) return ctx.Error("indices' last dim is out of range");
  for (int64_t a = 0; a < b; ++a) {
    if (x.shape()[a] != idx.shape()[a]) return ctx.Error("batch dims of data and indices differ");
  }
  std::vector<int64_t> shape(idx.shape().begin(), idx.shape().end() - 1);
  shape.insert(shape.end(), x.shape().begin() + b + m, x.shape().end());
  ASSIGN_OR_RETURN(Tensor out, NewTensor(ctx, x.dtype(), shape));
  std::vector<int64_t> strides = ElementStrides(x.shape());
  int64_t batch = 1, slice = 1;
  for (int64_t a = 0; a < b; ++a) batch *= x.shape()[a];
  for (int64_t a = b + m; a < r; ++a) slice *= x.shape()[a];
  int64_t per_batch = batch == 0 ? 0 : idx.num_elements() / m / batch;
  const size_t bytes = slice * DTypeSize(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  std::vector<int64_t> indices = ReadInts(idx);
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t j = 0; j < per_batch; ++j) {
      const int64_t* tuple = indices.data() + (bi * per_batch + j) * m;
      int64_t off = b > 0 ? bi * strides[b - 1] : 0;
      for (int64_t k = 0; k < m; ++k) {
        ASSIGN_OR_RETURN(int64_t i, CheckIndex(ctx, tuple[k], x.shape()[b + k]));
        off += i * strides[b + k];
      }
      if (bytes > 0) std::memcpy(dst, src + off * DTypeSize(x.dtype()), bytes);
      dst += bytes;
    }
  }
  return One(std::move(out));
}

}  // namespace kiln::reference
