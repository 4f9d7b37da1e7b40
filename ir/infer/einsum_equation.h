// Einsum equations ("bhid,bhjd->bhij", "...ij,...jk"): parsing, and resolving against operand
// ranks into one label id per dim. Shared by shape inference and the reference kernel.
#ifndef KILN_IR_INFER_EINSUM_EQUATION_H_
#define KILN_IR_INFER_EINSUM_EQUATION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kiln {

// A parsed equation. Letters are label ids 0..51 ('A'..'Z', 'a'..'z'); kEllipsis marks "...".
struct EinsumEquation {
  static constexpr int kEllipsis = -1;
  std::vector<std::vector<int>> inputs;
  std::vector<int> output;  // Implicit outputs are filled in numpy's way.
};

// Parses `equation` for `num_inputs` operands. Malformed equations are InvalidArgument; a label
// repeated within one operand (a diagonal) is Unimplemented.
absl::StatusOr<EinsumEquation> ParseEinsumEquation(absl::string_view equation, int num_inputs);

// An equation resolved against operand ranks: every operand dim and output dim has a label id
// in [0, num_labels); the dims an ellipsis covers get ids of their own, shared (right-aligned)
// by every operand whose ellipsis covers them, so they broadcast like numpy batch dims.
struct EinsumLayout {
  int num_labels = 0;
  std::vector<std::vector<int>> inputs;
  std::vector<int> output;
};

// Fails (InvalidArgument) when a rank does not fit its operand's subscripts.
absl::StatusOr<EinsumLayout> ResolveEinsum(const EinsumEquation& eq,
                                           const std::vector<int64_t>& ranks);

}  // namespace kiln

#endif  // KILN_IR_INFER_EINSUM_EQUATION_H_
