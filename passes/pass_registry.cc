// Pass names -> factories.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "passes/passes.h"

namespace kiln {
namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Pass> (*create)();
};

const std::vector<Entry>& Registry() {
  static const std::vector<Entry> kEntries = {
      {"algebraic-simplify", &CreateAlgebraicSimplify},
      {"align-gemm-weights", &CreateAlignGemmWeights},
      {"constant-folding", &CreateConstantFolding},
      {"cse", &CreateCommonSubexpressionElimination},
      {"dce", &CreateDeadCodeElimination},
      {"fold-transpose", &CreateFoldTranspose},
      {"fuse-attention", &CreateFuseAttention},
      {"fuse-elementwise", &CreateFuseElementwise},
      {"fuse-gelu", &CreateFuseGelu},
      {"fuse-gemm-epilogue", &CreateFuseGemmEpilogue},
      {"fuse-layer-norm", &CreateFuseLayerNorm},
      {"fuse-rms-norm", &CreateFuseRmsNorm},
      {"fuse-rotary", &CreateFuseRotary},
      {"fold-attention-layout", &CreateFoldAttentionLayout},
      {"fold-gemm-cast", &CreateFoldGemmCast},
      {"fuse-silu", &CreateFuseSilu},
      {"fuse-skip-norm", &CreateFuseSkipNorm},
      {"lower-device", &CreateLowerDevice},
      {"materialize-shapes", &CreateMaterializeShapes},
      {"mixed-precision", &CreateMixedPrecision},
      {"pack-qkv", &CreatePackQkv},
      {"fold-skip-residual", &CreateFoldSkipResidual},
      {"simplify-noops", &CreateSimplifyNoOps},
  };
  return kEntries;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Pass>> CreatePass(absl::string_view name) {
  for (const Entry& e : Registry()) {
    if (name == e.name) return e.create();
  }
  return absl::NotFoundError(absl::StrCat("unknown pass '", name, "'; known passes: ",
                                          absl::StrJoin(PassNames(), ", ")));
}

std::vector<std::string> PassNames() {
  std::vector<std::string> names;
  for (const Entry& e : Registry()) names.emplace_back(e.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace kiln
