#include "runtime/reference/broadcast.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln::reference {

absl::StatusOr<std::vector<int64_t>> BroadcastShapes(
    absl::Span<const std::vector<int64_t>* const> shapes) {
  size_t rank = 0;
  for (const auto* s : shapes) rank = std::max(rank, s->size());
  std::vector<int64_t> out(rank, 1);
  for (const auto* s : shapes) {
    for (size_t i = 0; i < s->size(); ++i) {
      int64_t d = (*s)[i];
      int64_t& o = out[rank - s->size() + i];
      if (d == o || d == 1) continue;
      if (o != 1) {
        std::vector<std::string> all;
        for (const auto* t : shapes) all.push_back(absl::StrCat("[", absl::StrJoin(*t, ","), "]"));
        return absl::InvalidArgumentError(
            absl::StrCat("shapes ", absl::StrJoin(all, ", "), " do not broadcast"));
      }
      o = d;
    }
  }
  return out;
}

BroadcastIterator::BroadcastIterator(const std::vector<int64_t>& out_shape,
                                     absl::Span<const std::vector<int64_t>* const> in_shapes)
    : dims_(out_shape), index_(out_shape.size(), 0) {
  const size_t n = in_shapes.size(), rank = out_shape.size();
  strides_.assign(rank * n, 0);
  offsets_.assign(n, 0);
  for (size_t k = 0; k < n; ++k) {
    const std::vector<int64_t>& s = *in_shapes[k];
    int64_t stride = 1;
    for (size_t i = s.size(); i-- > 0;) {
      size_t ax = rank - s.size() + i;
      if (s[i] != 1) strides_[ax * n + k] = stride;
      stride *= s[i];
    }
  }
}

}  // namespace kiln::reference
