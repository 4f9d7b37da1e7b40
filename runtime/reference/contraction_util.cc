#include "runtime/reference/contraction_util.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln::reference {

absl::StatusOr<int64_t> CheckedElementCount(const std::vector<int64_t>& dims, size_t elem_size) {
  ASSIGN_OR_RETURN(int64_t n, ElementCount(dims));
  if (n > kMaxTensorBytes / static_cast<int64_t>(elem_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a buffer of [", absl::StrJoin(dims, ","), "] elements is too large"));
  }
  return n;
}

absl::StatusOr<std::vector<int64_t>> BroadcastBatch(const std::vector<int64_t>& a,
                                                    const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1) {
      return absl::InvalidArgumentError(absl::StrCat("batch dims [", absl::StrJoin(a, ","),
                                                     "] and [", absl::StrJoin(b, ","),
                                                     "] do not broadcast"));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> BroadcastIndices(const std::vector<int64_t>& out,
                                      const std::vector<int64_t>& in) {
  int64_t count = 1;
  for (int64_t d : out) count *= d;
  const size_t rank = out.size();
  // Strides of `in` seen from the output's axes: 0 where `in` repeats.
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t i = in.size(); i-- > 0;) {
    const size_t axis = rank - in.size() + i;
    strides[axis] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  std::vector<int64_t> result(static_cast<size_t>(count));
  std::vector<int64_t> idx(rank, 0);
  int64_t offset = 0;
  for (int64_t flat = 0; flat < count; ++flat) {
    result[flat] = offset;
    for (size_t ax = rank; ax-- > 0;) {
      offset += strides[ax];
      if (++idx[ax] < out[ax]) break;
      offset -= strides[ax] * idx[ax];
      idx[ax] = 0;
    }
  }
  return result;
}

}  // namespace kiln::reference
