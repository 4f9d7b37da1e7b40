#include "tools/cli/model_verifier.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "frontend/onnx_import.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"
#include "tools/cli/pipeline_flags.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;

// Relative L2 tolerance of float outputs computed in f16/bf16.
constexpr double kSixteenBitTolerance = 1e-2;

// Files named PREFIX_N.pb in `dir`, ordered by N.
std::vector<fs::path> NumberedFiles(const fs::path& dir, absl::string_view prefix) {
  std::vector<std::pair<int, fs::path>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!absl::StartsWith(name, prefix) || !absl::EndsWith(name, ".pb")) continue;
    int n;
    absl::string_view num(name);
    num.remove_prefix(prefix.size());
    num.remove_suffix(3);
    if (absl::SimpleAtoi(num, &n)) found.emplace_back(n, e.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [n, p] : found) out.push_back(p);
  return out;
}

VerifyOutcome Outcome(VerifyOutcome::Status s, std::string message) {
  VerifyOutcome o;
  o.status = s;
  o.message = std::move(message);
  return o;
}

VerifyOutcome FromError(const absl::Status& s) {
  return Outcome(s.code() == absl::StatusCode::kUnimplemented ? VerifyOutcome::Status::kSkip
                                                               : VerifyOutcome::Status::kFail,
                 std::string(s.message()));
}

}  // namespace

VerifyOutcome VerifyModelDir(const std::string& dir, const VerifyOptions& options) {
  if (options.device != "cpu") {
    return Outcome(VerifyOutcome::Status::kFail,
                   absl::StrCat("device '", options.device, "' is not available in this build"));
  }
  auto precision = ParsePrecision(options.precision);
  if (!precision.ok()) {
    return Outcome(VerifyOutcome::Status::kFail, std::string(precision.status().message()));
  }
  fs::path root(dir);
  auto graph = ImportOnnxFile((root / "model.onnx").string());
  if (!graph.ok()) return FromError(graph.status());
  PipelineChoice choice{options.passes, options.opt_level, *precision};
  if (absl::Status s = RunChosenPipeline(choice, **graph); !s.ok()) {
    return Outcome(VerifyOutcome::Status::kFail, absl::StrCat("passes: ", s.message()));
  }
  std::vector<fs::path> sets;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory() && absl::StartsWith(e.path().filename().string(), "test_data_set_")) {
      sets.push_back(e.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return Outcome(VerifyOutcome::Status::kFail, "no test_data_set_N folders");

  VerifyOutcome result;
  result.status = VerifyOutcome::Status::kPass;
  for (const fs::path& set : sets) {
    std::vector<Tensor> inputs;
    std::vector<fs::path> in_files = NumberedFiles(set, "input_");
    auto graph_inputs = (*graph)->inputs();
    if (in_files.size() != graph_inputs.size()) {
      return Outcome(VerifyOutcome::Status::kFail,
                     absl::StrCat(set.filename().string(), ": ", in_files.size(),
                                  " input files for ", graph_inputs.size(), " graph inputs"));
    }
    for (const fs::path& f : in_files) {
      auto t = LoadTensorProtoFile(f.string());
      if (!t.ok()) return FromError(t.status());
      inputs.push_back(*std::move(t));
    }
    auto outputs = reference::Execute(**graph, inputs);
    if (!outputs.ok()) return FromError(outputs.status());
    std::vector<fs::path> out_files = NumberedFiles(set, "output_");
    if (out_files.size() != outputs->size()) {
      return Outcome(VerifyOutcome::Status::kFail,
                     absl::StrCat(set.filename().string(), ": ", out_files.size(),
                                  " reference outputs for ", outputs->size(), " graph outputs"));
    }
    for (size_t i = 0; i < out_files.size(); ++i) {
      auto want = LoadTensorProtoFile(out_files[i].string());
      if (!want.ok()) return FromError(want.status());
      double tol = options.tolerance > 0 ? options.tolerance : DefaultTolerance(want->dtype());
      if (options.tolerance <= 0 && *precision != DType::kF32 && IsFloat(want->dtype())) {
        tol = std::max(tol, kSixteenBitTolerance);
      }
      CompareResult c = CompareTensors((*outputs)[i], *want, tol);
      result.worst_error = std::max(result.worst_error, c.error);
      if (!c.ok) {
        VerifyOutcome fail = Outcome(
            VerifyOutcome::Status::kFail,
            absl::StrCat(set.filename().string(), " output '",
                         (*graph)->outputs()[i]->name(), "': ", c.detail));
        fail.worst_error = c.error;
        return fail;
      }
    }
    ++result.data_sets;
  }
  result.message = absl::StrFormat("%d data set%s, worst relative L2 error %.2e",
                                   result.data_sets, result.data_sets == 1 ? "" : "s",
                                   result.worst_error);
  return result;
}

}  // namespace kiln::cli
