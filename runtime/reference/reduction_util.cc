#include "runtime/reference/reduction_util.h"

#include "absl/strings/str_cat.h"

namespace kiln::reference {

AxisView ViewAround(const std::vector<int64_t>& shape, int64_t axis) {
  AxisView v;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    if (i < axis) {
      v.outer *= shape[i];
    } else if (i == axis) {
      v.len = shape[i];
    } else {
      v.inner *= shape[i];
    }
  }
  return v;
}

absl::StatusOr<int64_t> RuntimeAxis(const KernelContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return ctx.Error(absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  return axis < 0 ? axis + rank : axis;
}

BroadcastCursor::BroadcastCursor(const std::vector<int64_t>& target,
                                 const std::vector<int64_t>& operand)
    : dims_(target), strides_(target.size(), 0), coord_(target.size(), 0) {
  int64_t stride = 1;
  size_t offset = target.size() - operand.size();
  for (size_t i = operand.size(); i-- > 0;) {
    if (operand[i] != 1) strides_[offset + i] = stride;
    stride *= operand[i];
  }
}

void BroadcastCursor::Next() {
  for (size_t ax = dims_.size(); ax-- > 0;) {
    index_ += strides_[ax];
    if (++coord_[ax] < dims_[ax]) return;
    index_ -= strides_[ax] * coord_[ax];
    coord_[ax] = 0;
  }
}

}  // namespace kiln::reference
