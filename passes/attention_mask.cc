#include "passes/attention_mask.h"

#include <algorithm>
#include <array>
#include <optional>

#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"

namespace kiln {
namespace {

using Dims4 = std::array<int64_t, 4>;

constexpr MaskKind kKinds[] = {MaskKind::kNone, MaskKind::kCausal, MaskKind::kPadding,
                               MaskKind::kBoth};

// Element strides of `shape` broadcast (right-aligned) to `target`, 0 where it repeats.
std::optional<Dims4> BroadcastStrides(const std::vector<int64_t>& shape, const Dims4& target) {
  if (shape.size() > 4) return std::nullopt;
  Dims4 strides{};
  int64_t stride = 1;
  for (int k = 3; k >= 0; --k) {
    const int src = k - (4 - static_cast<int>(shape.size()));
    const int64_t dim = src >= 0 ? shape[src] : 1;
    if (dim != 1 && dim != target[k]) return std::nullopt;
    strides[k] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
  return strides;
}

// Whether each score survives the steps (1) or is dropped (0), over `dims` row-major; false
// when some step leaves a value that is neither (a bias).
absl::StatusOr<bool> KeptPattern(const std::vector<MaskStep>& steps,
                                 const std::vector<Tensor>& values, const Dims4& dims,
                                 double dropped, std::vector<char>* kept) {
  std::vector<Dims4> strides;
  for (const Tensor& t : values) {
    auto s = BroadcastStrides(t.shape(), dims);
    if (!s)
      return absl::FailedPreconditionError(absl::StrCat("a mask term of shape ", t.TypeString(),
                                                        " does not broadcast to the scores"));
    strides.push_back(*s);
  }
  kept->assign(dims[0] * dims[1] * dims[2] * dims[3], 0);
  int64_t flat = 0;
  for (int64_t b = 0; b < dims[0]; ++b) {
    for (int64_t h = 0; h < dims[1]; ++h) {
      for (int64_t i = 0; i < dims[2]; ++i) {
        for (int64_t j = 0; j < dims[3]; ++j, ++flat) {
          double offset = 0;
          bool replaced = false;
          for (size_t k = 0; k < steps.size(); ++k) {
            const Dims4& s = strides[k];
            const double x = values[k].GetAsDouble(b * s[0] + h * s[1] + i * s[2] + j * s[3]);
            if (steps[k].kind == MaskStep::Kind::kAdd) {
              offset += x;
            } else if ((x != 0) == (steps[k].kind == MaskStep::Kind::kDropWhere)) {
              offset = steps[k].fill;
              replaced = true;
            }
          }
          if (!replaced && offset == 0) {
            (*kept)[flat] = 1;
          } else if (!(offset <= dropped)) {
            return false;
          }
        }
      }
    }
  }
  return true;
}

bool Allowed(MaskKind kind, const Tensor* key_mask, const Dims4& dims, int64_t b, int64_t i,
             int64_t j) {
  const bool causal = kind == MaskKind::kCausal || kind == MaskKind::kBoth;
  const bool padding = kind == MaskKind::kPadding || kind == MaskKind::kBoth;
  if (causal && j > i + dims[3] - dims[2]) return false;
  if (padding && key_mask->GetAsDouble(b * dims[3] + j) == 0) return false;
  return true;
}

// Clears matches[k] for each canonical kind the pattern differs from.
void CompareCanonical(const std::vector<char>& kept, const Tensor* key_mask, const Dims4& dims,
                      std::array<bool, 4>& matches) {
  int64_t flat = 0;
  for (int64_t b = 0; b < dims[0]; ++b) {
    for (int64_t h = 0; h < dims[1]; ++h) {
      for (int64_t i = 0; i < dims[2]; ++i) {
        for (int64_t j = 0; j < dims[3]; ++j, ++flat) {
          for (int k = 0; k < 4; ++k) {
            if (matches[k] && (kept[flat] != 0) != Allowed(kKinds[k], key_mask, dims, b, i, j)) {
              matches[k] = false;
            }
          }
        }
      }
    }
  }
}

struct Verdict {
  bool bias = false;                                    // Some probe left a non-mask value.
  std::array<bool, 4> matches{true, true, true, true};  // Per kKinds entry.
};

// Runs every probe with `key_mask` (may be null) as the padding source.
absl::StatusOr<Verdict> Judge(const Graph& graph, const Subgraph& sub,
                              const std::vector<MaskStep>& steps, const Value* key_mask,
                              const TensorType& scores) {
  Verdict v;
  if (key_mask == nullptr) v.matches[2] = v.matches[3] = false;
  ProbeSpec spec = MaskProbeSpec(graph, key_mask, scores);
  for (int p = 0; p < kNumProbes; ++p) {
    ASSIGN_OR_RETURN(Probe probe, MakeProbe(sub, spec, p));
    ASSIGN_OR_RETURN(std::vector<Tensor> values, RunProbe(sub, probe));
    ASSIGN_OR_RETURN(std::vector<int64_t> d, EvaluateDims(scores.dims, probe.bindings));
    const Dims4 dims{d[0], d[1], d[2], d[3]};
    std::vector<char> kept;
    ASSIGN_OR_RETURN(bool pure,
                     KeptPattern(steps, values, dims, DroppedScore(scores.dtype), &kept));
    if (!pure) {
      v.bias = true;
      return v;
    }
    const Tensor* km = nullptr;
    for (size_t i = 0; i < sub.leaves.size(); ++i) {
      if (sub.leaves[i] == key_mask) km = &probe.inputs[i];
    }
    CompareCanonical(kept, km, dims, v.matches);
  }
  return v;
}

}  // namespace

absl::string_view MaskKindName(MaskKind kind) {
  switch (kind) {
    case MaskKind::kNone:
      return "none";
    case MaskKind::kPadding:
      return "padding";
    case MaskKind::kCausal:
      return "causal";
    case MaskKind::kBoth:
      return "both";
  }
  return "none";
}

double DroppedScore(DType scores) { return scores == DType::kF16 ? -3e4 : -1e30; }

ProbeSpec MaskProbeSpec(const Graph& graph, const Value* key_mask, const TensorType& scores) {
  ProbeSpec spec;
  spec.key_mask = key_mask;
  spec.batch = scores.dims[0];
  spec.keys = scores.dims[3];
  spec.extra_dims = scores.dims;
  spec.constraints = graph.constraints();
  return spec;
}

absl::StatusOr<MaskClass> ClassifyMask(const Graph& graph, const std::vector<MaskStep>& steps,
                                       const TensorType& scores) {
  if (scores.rank() != 4) return absl::FailedPreconditionError("scores are not 4-D");
  std::vector<Value*> outputs;
  for (const MaskStep& s : steps) outputs.push_back(s.value);
  auto sub = ExtractSubgraph(graph, outputs, {});
  if (!sub.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot isolate the mask: ", sub.status().message()));
  }
  // Padding can only come from a rank-2 graph input whose data (not just shape) the mask reads.
  std::vector<const Value*> candidates;
  for (size_t i = 0; i < sub->leaves.size(); ++i) {
    const Value* leaf = sub->leaves[i];
    if (leaf->producer() != nullptr || leaf->type().rank() != 2) continue;
    const auto& uses = sub->graph->inputs()[i]->uses();
    if (std::any_of(uses.begin(), uses.end(),
                    [](const Use& u) { return u.user->op() != OpKind::kShape; })) {
      candidates.push_back(leaf);
    }
  }
  if (candidates.empty()) candidates.push_back(nullptr);
  std::string why = "its kept/dropped pattern is not none, padding, causal or both";
  for (const Value* km : candidates) {
    absl::StatusOr<Verdict> v = Judge(graph, *sub, steps, km, scores);
    if (!v.ok()) {
      why = absl::StrCat("probing it failed: ", v.status().message());
      continue;
    }
    if (v->bias) return absl::NotFoundError("it adds values other than 0 and -inf/finfo.min");
    for (int k = 0; k < 4; ++k) {
      if (v->matches[k]) return MaskClass{kKinds[k], k >= 2 ? km : nullptr};
    }
  }
  return absl::FailedPreconditionError(why);
}

}  // namespace kiln
