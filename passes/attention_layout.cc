#include "passes/attention_layout.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// A logical axis or a part of one. Splitting atom X gives a major and a minor part.
struct Atom {
  DimExpr size;
  int parent = -1;
  bool minor = false;
};

// The walk's state: the current value and, per dim, its atoms (major to minor).
struct Walk {
  std::vector<Atom> atoms;
  std::vector<std::vector<int>> dims;
  absl::flat_hash_set<int> broadcast;
  Value* value = nullptr;
  double scale = 1.0;
};

enum AtomId { kBatch = 0, kHead = 1, kSeq = 2, kFeature = 3 };

bool IsOne(const DimExpr& d) { return d.as_const() == 1; }

bool Trivial(const Walk& w, int atom) { return IsOne(w.atoms[atom].size); }

// a / b when b divides a exactly (symbolically), else nullopt.
std::optional<DimExpr> ExactDiv(const DimExpr& a, const DimExpr& b) {
  if (b.as_const() == 0) return std::nullopt;
  DimExpr q = DimExpr::FloorDiv(a, b);
  if (!q.is_valid() || !(q * b == a)) return std::nullopt;
  return q;
}

int Split(Walk& w, int atom, const DimExpr& major_size, const DimExpr& minor_size) {
  w.atoms.push_back({major_size, atom, false});
  w.atoms.push_back({minor_size, atom, true});
  return static_cast<int>(w.atoms.size()) - 2;
}

// Regroups the atoms of the output dims onto the input dims of a Reshape.
bool ReshapeBack(Walk& w, const std::vector<DimExpr>& in_dims) {
  std::vector<int> queue;
  for (const auto& labels : w.dims) {
    for (int a : labels) {
      if (!Trivial(w, a)) queue.push_back(a);
    }
  }
  size_t next = 0;
  std::vector<std::vector<int>> out(in_dims.size());
  for (size_t j = 0; j < in_dims.size(); ++j) {
    DimExpr rem = in_dims[j];
    while (!IsOne(rem)) {
      if (next == queue.size()) return false;
      const int a = queue[next];
      const DimExpr size = w.atoms[a].size;
      if (size == rem) {
        out[j].push_back(a);
        ++next;
        rem = 1;
      } else if (auto q = ExactDiv(rem, size)) {
        out[j].push_back(a);
        ++next;
        rem = *q;
      } else if (auto q2 = ExactDiv(size, rem)) {
        const int major = Split(w, a, rem, *q2);
        out[j].push_back(major);
        queue[next] = major + 1;
        rem = 1;
      } else {
        return false;
      }
    }
  }
  if (next != queue.size()) return false;
  w.dims = std::move(out);
  return true;
}

bool TransposeBack(Walk& w, const Node& n) {
  const int64_t rank = static_cast<int64_t>(w.dims.size());
  std::vector<int64_t> perm(rank);
  if (const auto* p = n.attr_ints("perm")) {
    perm = *p;
  } else {
    for (int64_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  }
  if (static_cast<int64_t>(perm.size()) != rank) return false;
  std::vector<std::vector<int>> in(rank);
  for (int64_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank) return false;
    in[perm[i]] = w.dims[i];
  }
  w.dims = std::move(in);
  return true;
}

std::optional<std::vector<int64_t>> ConstInts(const Value* v) {
  if (const Tensor* t = ConstantOf(v)) {
    if (!IsInteger(t->dtype())) return std::nullopt;
    std::vector<int64_t> out;
    for (int64_t i = 0; i < t->num_elements(); ++i) out.push_back(t->GetAsInt(i));
    return out;
  }
  return std::nullopt;
}

// Normalised axes of an Unsqueeze/Squeeze (axes input), or nullopt.
std::optional<std::vector<int64_t>> Axes(const Node& n, int64_t rank) {
  auto axes = ConstInts(n.input(1));
  if (!axes) return std::nullopt;
  for (int64_t& a : *axes) {
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return std::nullopt;
  }
  return axes;
}

bool OnlyTrivial(const Walk& w, const std::vector<int>& labels) {
  for (int a : labels) {
    if (!Trivial(w, a)) return false;
  }
  return true;
}

bool UnsqueezeBack(Walk& w, const Node& n) {
  auto axes = Axes(n, static_cast<int64_t>(w.dims.size()));
  if (!axes) return false;
  std::vector<std::vector<int>> in;
  for (int64_t i = 0; i < static_cast<int64_t>(w.dims.size()); ++i) {
    bool inserted = std::find(axes->begin(), axes->end(), i) != axes->end();
    if (inserted && !OnlyTrivial(w, w.dims[i])) return false;
    if (!inserted) in.push_back(w.dims[i]);
  }
  w.dims = std::move(in);
  return true;
}

bool SqueezeBack(Walk& w, const Node& n, const std::vector<DimExpr>& in_dims) {
  std::vector<int64_t> axes;
  if (n.input(1) != nullptr) {
    auto a = Axes(n, static_cast<int64_t>(in_dims.size()));
    if (!a) return false;
    axes = *a;
  } else {
    for (size_t i = 0; i < in_dims.size(); ++i) {
      if (IsOne(in_dims[i])) axes.push_back(static_cast<int64_t>(i));
    }
  }
  std::vector<std::vector<int>> in;
  size_t next = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(in_dims.size()); ++i) {
    if (std::find(axes.begin(), axes.end(), i) != axes.end()) {
      in.emplace_back();
    } else {
      if (next == w.dims.size()) return false;
      in.push_back(w.dims[next++]);
    }
  }
  if (next != w.dims.size()) return false;
  w.dims = std::move(in);
  return true;
}

bool ExpandBack(Walk& w, const std::vector<DimExpr>& in_dims,
                const std::vector<DimExpr>& out_dims) {
  if (in_dims.size() > out_dims.size()) return false;
  const size_t lead = out_dims.size() - in_dims.size();
  std::vector<std::vector<int>> in;
  for (size_t i = 0; i < out_dims.size(); ++i) {
    const bool created = i < lead || (IsOne(in_dims[i - lead]) && !IsOne(out_dims[i]));
    if (created) {
      for (int a : w.dims[i]) {
        if (!Trivial(w, a)) w.broadcast.insert(a);
      }
      if (i >= lead) in.emplace_back();
    } else {
      if (!(in_dims[i - lead] == out_dims[i])) return false;
      in.push_back(w.dims[i]);
    }
  }
  w.dims = std::move(in);
  return true;
}

// A scalar-like positive-or-negative constant factor (every dim 1, rank at most `rank`).
std::optional<double> ScalarFactor(const Value* v, int64_t rank) {
  const Tensor* t = ConstantOf(v);
  if (t == nullptr || t->num_elements() != 1 || t->rank() > rank || !IsFloat(t->dtype())) {
    return std::nullopt;
  }
  return t->GetAsDouble(0);
}

// Steps the walk to the current value's producer; false when it is not a layout op.
bool StepBack(Walk& w) {
  Node* n = w.value->producer();
  if (n == nullptr || n->num_outputs() != 1) return false;
  const int64_t rank = w.value->type().rank();
  Value* in = n->input(0);
  switch (n->op()) {
    case OpKind::kReshape:
      if (!ReshapeBack(w, in->type().dims)) return false;
      break;
    case OpKind::kTranspose:
      if (!TransposeBack(w, *n)) return false;
      break;
    case OpKind::kUnsqueeze:
      if (!UnsqueezeBack(w, *n)) return false;
      break;
    case OpKind::kSqueeze:
      if (!SqueezeBack(w, *n, in->type().dims)) return false;
      break;
    case OpKind::kExpand:
      if (!ExpandBack(w, in->type().dims, w.value->type().dims)) return false;
      break;
    case OpKind::kMul:
    case OpKind::kDiv: {
      std::optional<double> c = ScalarFactor(n->input(1), rank);
      if (!c && n->op() == OpKind::kMul) {
        c = ScalarFactor(n->input(0), rank);
        in = n->input(1);
      }
      if (!c || *c == 0 || in->type() != w.value->type()) return false;
      w.scale *= n->op() == OpKind::kMul ? *c : 1.0 / *c;
      break;
    }
    default:
      return false;
  }
  w.value = in;
  return w.dims.size() == static_cast<size_t>(in->type().rank());
}

// The role (kBatch.., or -1) of dim `dim`: the atom it holds, an empty size-1 dim standing for
// a trivial atom, or the head's major part.
int Role(const Walk& w, size_t dim) {
  const std::vector<int>& labels = w.dims[dim];
  if (labels.empty()) return IsOne(w.value->type().dims[dim]) ? 4 : -1;  // 4: any trivial atom.
  if (labels.size() != 1) return -1;
  const int a = labels[0];
  if (a <= kFeature) return a;
  return w.atoms[a].parent == kHead && !w.atoms[a].minor ? kHead : -1;
}

// The base, if the walk's value holds exactly [batch, head (or its major part), seq, feature]
// in some order, with nothing broadcast but the head's minor part.
std::optional<HeadsBase> AsBase(const Walk& w) {
  if (w.dims.size() != 4) return std::nullopt;
  std::vector<int64_t> perm(4, -1);
  std::vector<int64_t> trivial_dims;
  for (size_t d = 0; d < 4; ++d) {
    const int role = Role(w, d);
    if (role < 0) return std::nullopt;
    if (role == 4) {
      trivial_dims.push_back(static_cast<int64_t>(d));
    } else if (perm[role] >= 0) {
      return std::nullopt;
    } else {
      perm[role] = static_cast<int64_t>(d);
    }
  }
  for (int role = 0; role < 4; ++role) {
    if (perm[role] >= 0) continue;
    if (trivial_dims.empty() || !Trivial(w, role)) return std::nullopt;
    perm[role] = trivial_dims.back();
    trivial_dims.pop_back();
  }
  auto heads = w.value->type().dims[perm[kHead]].as_const();
  auto total = w.atoms[kHead].size.as_const();
  if (!heads || !total || *heads <= 0 || *total % *heads != 0) return std::nullopt;
  HeadsBase base{w.value, {}, w.scale, *heads, *total / *heads};
  // Split heads: only the minor part (the repeat) may be broadcast, and only then.
  const std::vector<int>& head_labels = w.dims[perm[kHead]];
  const bool split = !head_labels.empty() && head_labels[0] != kHead;
  if (split ? (w.broadcast.size() != 1 || !w.broadcast.contains(head_labels[0] + 1))
            : !w.broadcast.empty()) {
    return std::nullopt;
  }
  if (perm != std::vector<int64_t>{0, 1, 2, 3}) base.perm = perm;
  return base;
}

}  // namespace

std::vector<DimExpr> BaseDims(const HeadsBase& base) {
  const auto& dims = base.value->type().dims;
  if (base.perm.empty()) return dims;
  std::vector<DimExpr> out;
  for (int64_t p : base.perm) out.push_back(dims[p]);
  return out;
}

absl::StatusOr<HeadsBase> TraceHeads(Value* operand, OperandLayout layout) {
  const TensorType& t = operand->type();
  if (t.rank() != 4) return absl::NotFoundError("operand is not 4-D");
  Walk w;
  w.value = operand;
  // Atom ids are kBatch, kHead, kSeq, kFeature; K^T holds feature before seq.
  const bool kt = layout == OperandLayout::kBhds;
  w.atoms = {{t.dims[0]}, {t.dims[1]}, {t.dims[kt ? 3 : 2]}, {t.dims[kt ? 2 : 3]}};
  w.dims = {{kBatch}, {kHead}, {kt ? kFeature : kSeq}, {kt ? kSeq : kFeature}};
  // The deepest base in [B, H, S, D] order, else the deepest in another order.
  std::optional<HeadsBase> best, best_permuted;
  auto consider = [&](std::optional<HeadsBase> b) {
    if (b && b->perm.empty()) best = b;
    if (b && !b->perm.empty()) best_permuted = b;
  };
  consider(AsBase(w));
  for (int steps = 0; steps < 32 && StepBack(w); ++steps) consider(AsBase(w));
  if (!best) best = best_permuted;
  if (!best) {
    return absl::NotFoundError(
        absl::StrCat("no [batch, heads, seq, dim] tensor behind '", operand->name(), "'"));
  }
  return *best;
}

}  // namespace kiln
