#include "passes/fusion_match.h"

#include <algorithm>
#include <cmath>

#include "passes/pattern.h"

namespace kiln {

double ConstantTolerance(DType dtype) {
  double eps = 1.2e-7;  // f32
  switch (dtype) {
    case DType::kF16:
      eps = 9.8e-4;
      break;
    case DType::kBF16:
      eps = 7.9e-3;
      break;
    case DType::kF64:
      eps = 2.3e-16;
      break;
    default:
      break;
  }
  return std::max(4 * eps, 1e-6);
}

bool NearExact(double got, double want, DType dtype) {
  return std::abs(got - want) <= ConstantTolerance(dtype) * std::abs(want);
}

bool IsConstantExactly(const Value* v, double want) {
  std::optional<double> c = ConstantScalar(v);
  return c && NearExact(*c, want, v->type().dtype);
}

bool ReducesLastAxisKeepingDims(const Node& n) {
  if (n.op() != OpKind::kReduceMean || n.attr_int("keepdims") != 1) return false;
  const int64_t rank = n.input(0)->type().rank();
  if (rank < 1) return false;
  if (n.input(1) == nullptr) return rank == 1 && n.attr_int("noop_with_empty_axes") == 0;
  const Tensor* axes = ConstantOf(n.input(1));
  if (axes == nullptr || axes->num_elements() != 1) return false;
  const int64_t axis = axes->GetAsInt(0);
  return axis == -1 || axis == rank - 1;
}

bool IsLastAxisVector(const Value* v, const Value* like) {
  const TensorType& t = v->type();
  const TensorType& l = like->type();
  return t.dtype == l.dtype && t.rank() == 1 && l.rank() >= 1 && t.dims[0] == l.dims.back();
}

Node* SoleUser(const Graph& graph, const Value* v) {
  return HasSingleUse(graph, v) ? v->uses()[0].user : nullptr;
}

void NoteOnce(PassContext& ctx, std::string note) {
  if (std::find(ctx.notes.begin(), ctx.notes.end(), note) == ctx.notes.end()) {
    ctx.Note(std::move(note));
  }
}

}  // namespace kiln
