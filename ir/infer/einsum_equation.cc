#include "ir/infer/einsum_equation.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kiln {
namespace {

constexpr int kNumLetters = 52;

int LabelId(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -2;
}

// Parses one term ("b...ij"). A repeated label is an error in the output and a diagonal
// (unsupported) in an operand.
absl::StatusOr<std::vector<int>> ParseTerm(absl::string_view term, bool is_output) {
  std::vector<int> labels;
  bool seen[kNumLetters] = {};
  bool ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term.substr(i, 3) == "...") {
      if (ellipsis) {
        return absl::InvalidArgumentError(absl::StrCat("term '", term, "' has two ellipses"));
      }
      ellipsis = true;
      labels.push_back(EinsumEquation::kEllipsis);
      i += 2;
      continue;
    }
    int id = LabelId(term[i]);
    if (id < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("term '", term, "' has invalid character '", term.substr(i, 1), "'"));
    }
    if (seen[id]) {
      if (is_output) {
        return absl::InvalidArgumentError(
            absl::StrCat("output term '", term, "' repeats label '", term.substr(i, 1), "'"));
      }
      return absl::UnimplementedError(absl::StrCat("term '", term, "' repeats label '",
                                                   term.substr(i, 1),
                                                   "' (diagonals are not supported)"));
    }
    seen[id] = true;
    labels.push_back(id);
  }
  return labels;
}

}  // namespace

absl::StatusOr<EinsumEquation> ParseEinsumEquation(absl::string_view equation, int num_inputs) {
  std::string eq;
  for (char c : equation) {
    if (c != ' ' && c != '\t') eq += c;
  }
  std::vector<std::string> sides = absl::StrSplit(eq, "->");
  if (sides.size() > 2) return absl::InvalidArgumentError("more than one '->'");
  std::vector<std::string> terms = absl::StrSplit(sides[0], ',');
  if (static_cast<int>(terms.size()) != num_inputs) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", terms.size(), " operand terms for ", num_inputs, " inputs"));
  }
  EinsumEquation out;
  int count[kNumLetters] = {};
  bool any_ellipsis = false;
  for (const std::string& t : terms) {
    auto labels = ParseTerm(t, /*is_output=*/false);
    if (!labels.ok()) return labels.status();
    for (int id : *labels) {
      if (id == EinsumEquation::kEllipsis) {
        any_ellipsis = true;
      } else {
        ++count[id];
      }
    }
    out.inputs.push_back(*std::move(labels));
  }
  if (sides.size() == 2) {
    auto labels = ParseTerm(sides[1], /*is_output=*/true);
    if (!labels.ok()) return labels.status();
    for (int id : *labels) {
      if (id != EinsumEquation::kEllipsis && count[id] == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("output label '", sides[1], "' is not in any operand"));
      }
    }
    out.output = *std::move(labels);
  } else {
    // numpy's implicit output: the ellipsis dims, then labels used once, in ASCII order.
    if (any_ellipsis) out.output.push_back(EinsumEquation::kEllipsis);
    for (int id = 0; id < kNumLetters; ++id) {
      if (count[id] == 1) out.output.push_back(id);
    }
  }
  return out;
}

absl::StatusOr<EinsumLayout> ResolveEinsum(const EinsumEquation& eq,
                                           const std::vector<int64_t>& ranks) {
  if (ranks.size() != eq.inputs.size()) {
    return absl::InvalidArgumentError("operand count does not match the equation");
  }
  // Dims covered by each operand's ellipsis; the widest sets the number of broadcast labels.
  std::vector<int64_t> covered(ranks.size(), 0);
  int64_t max_covered = 0;
  for (size_t i = 0; i < ranks.size(); ++i) {
    const std::vector<int>& term = eq.inputs[i];
    bool has_ellipsis =
        std::find(term.begin(), term.end(), EinsumEquation::kEllipsis) != term.end();
    int64_t letters = static_cast<int64_t>(term.size()) - (has_ellipsis ? 1 : 0);
    if (ranks[i] < letters || (!has_ellipsis && ranks[i] != letters)) {
      return absl::InvalidArgumentError(absl::StrCat("operand ", i, " has rank ", ranks[i],
                                                     " but its term has ", letters, " labels"));
    }
    covered[i] = ranks[i] - letters;
    max_covered = std::max(max_covered, covered[i]);
  }
  EinsumLayout layout;
  layout.num_labels = kNumLetters + static_cast<int>(max_covered);
  auto expand = [&](const std::vector<int>& term, int64_t n) {
    std::vector<int> ids;
    for (int id : term) {
      if (id != EinsumEquation::kEllipsis) {
        ids.push_back(id);
        continue;
      }
      for (int64_t k = max_covered - n; k < max_covered; ++k) {
        ids.push_back(kNumLetters + static_cast<int>(k));
      }
    }
    return ids;
  };
  for (size_t i = 0; i < ranks.size(); ++i) {
    layout.inputs.push_back(expand(eq.inputs[i], covered[i]));
  }
  bool out_ellipsis =
      std::find(eq.output.begin(), eq.output.end(), EinsumEquation::kEllipsis) != eq.output.end();
  if (!out_ellipsis && max_covered > 0) {
    return absl::InvalidArgumentError(
        "operands have ellipsis dims but the output has no '...' to keep them");
  }
  layout.output = expand(eq.output, max_covered);
  return layout;
}

}  // namespace kiln
