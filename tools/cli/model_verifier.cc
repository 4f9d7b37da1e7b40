#include "tools/cli/model_verifier.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "frontend/onnx_import.h"
#include "runtime/compare.h"
#include "ir/status_macros.h"
#include "runtime/engine/session.h"
#include "runtime/reference/executor.h"
#include "tools/cli/shape_variants.h"
#include "tools/cli/pipeline_flags.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;

// Relative L2 tolerance of float outputs computed in f16/bf16.
constexpr double kSixteenBitTolerance = 1e-2;
// Relative L2 tolerance of fp32 outputs computed on the GPU.
constexpr double kGpuTolerance = 1e-3;

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

// Runs one set of inputs, on whichever device was chosen.
using Runner = std::function<absl::StatusOr<std::vector<Tensor>>(const std::vector<Tensor>&)>;

// Compares `got` with `want` output by output; a kFail outcome on the first mismatch.
std::optional<VerifyOutcome> Compare(const Graph& graph, const std::string& what,
                                     const std::vector<Tensor>& got,
                                     const std::vector<Tensor>& want, double tolerance_floor,
                                     const VerifyOptions& options, double* worst) {
  if (got.size() != want.size()) {
    return Outcome(VerifyOutcome::Status::kFail,
                   absl::StrCat(what, ": ", want.size(), " reference outputs for ", got.size(),
                                " graph outputs"));
  }
  for (size_t i = 0; i < want.size(); ++i) {
    double tol = options.tolerance > 0 ? options.tolerance : DefaultTolerance(want[i].dtype());
    if (options.tolerance <= 0 && IsFloat(want[i].dtype())) tol = std::max(tol, tolerance_floor);
    CompareResult c = CompareTensors(got[i], want[i], tol);
    *worst = std::max(*worst, c.error);
    if (!c.ok) {
      VerifyOutcome fail = Outcome(VerifyOutcome::Status::kFail,
                                   absl::StrCat(what, " output '", graph.outputs()[i]->name(),
                                                "': ", c.detail));
      fail.worst_error = c.error;
      return fail;
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<Tensor>> LoadNumbered(const fs::path& set, absl::string_view prefix) {
  std::vector<Tensor> out;
  for (const fs::path& f : NumberedFiles(set, prefix)) {
    ASSIGN_OR_RETURN(Tensor t, LoadTensorProtoFile(f.string()));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

VerifyOutcome VerifyModelDir(const std::string& dir, const VerifyOptions& options) {
  const bool cuda = options.device == "cuda";
  if (options.device != "cpu" && !cuda) {
    return Outcome(VerifyOutcome::Status::kFail,
                   absl::StrCat("device '", options.device, "' is not one of cpu, cuda"));
  }
  auto precision = ParsePrecision(options.precision);
  if (!precision.ok()) {
    return Outcome(VerifyOutcome::Status::kFail, std::string(precision.status().message()));
  }
  fs::path root(dir);
  const std::string model = (root / "model.onnx").string();
  auto graph = ImportOnnxFile(model);
  if (!graph.ok()) return FromError(graph.status());
  std::vector<fs::path> sets;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (e.is_directory() && absl::StartsWith(e.path().filename().string(), "test_data_set_")) {
      sets.push_back(e.path());
    }
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return Outcome(VerifyOutcome::Status::kFail, "no test_data_set_N folders");

  // Float tolerance floor: 16-bit compute 1e-2; fp32 on the GPU 1e-3 (other summation orders).
  double floor = *precision != DType::kF32 ? kSixteenBitTolerance : cuda ? kGpuTolerance : 0;
  Runner run;
  std::shared_ptr<Session> session;
  std::unique_ptr<Graph> optimized;
  if (cuda) {
    CompileOptions compile;
    compile.passes = options.passes;
    compile.opt_level = options.opt_level;
    compile.precision = *precision;
    auto plan = CompileModelFile(model, compile);
    if (!plan.ok()) return FromError(plan.status());
    auto s = Session::Create(std::shared_ptr<const Plan>(*std::move(plan)));
    if (!s.ok()) return FromError(s.status());
    session = *std::move(s);
    run = [session](const std::vector<Tensor>& in) { return session->Run(in); };
  } else {
    optimized = ImportOnnxFile(model).value();
    PipelineChoice choice{options.passes, options.opt_level, *precision};
    if (absl::Status s = RunChosenPipeline(choice, *optimized); !s.ok()) {
      return Outcome(VerifyOutcome::Status::kFail, absl::StrCat("passes: ", s.message()));
    }
    const Graph* g = optimized.get();
    run = [g](const std::vector<Tensor>& in) { return reference::Execute(*g, in); };
  }

  VerifyOutcome result;
  result.status = VerifyOutcome::Status::kPass;
  int variants = 0;
  for (const fs::path& set : sets) {
    const std::string name = set.filename().string();
    auto inputs = LoadNumbered(set, "input_");
    if (!inputs.ok()) return FromError(inputs.status());
    if (inputs->size() != (*graph)->inputs().size()) {
      return Outcome(VerifyOutcome::Status::kFail,
                     absl::StrCat(name, ": ", inputs->size(), " input files for ",
                                  (*graph)->inputs().size(), " graph inputs"));
    }
    auto want = LoadNumbered(set, "output_");
    if (!want.ok()) return FromError(want.status());
    auto got = run(*inputs);
    if (!got.ok()) return FromError(got.status());
    if (auto fail = Compare(**graph, name, *got, *want, floor, options, &result.worst_error)) {
      return *fail;
    }
    ++result.data_sets;
    if (!cuda) continue;
    // The same plan at other shapes, against the reference backend on the imported graph.
    auto varied = VaryInputShapes(**graph, *inputs);
    if (!varied.ok()) continue;
    auto reference = reference::Execute(**graph, *varied);
    if (!reference.ok()) return FromError(reference.status());
    auto got_varied = run(*varied);
    if (!got_varied.ok()) return FromError(got_varied.status());
    if (auto fail = Compare(**graph, name + " (reshaped)", *got_varied, *reference, floor,
                            options, &result.worst_error)) {
      return *fail;
    }
    ++variants;
  }
  result.message = absl::StrFormat("%d data set%s%s, worst relative L2 error %.2e",
                                   result.data_sets, result.data_sets == 1 ? "" : "s",
                                   variants > 0 ? absl::StrCat(" + ", variants, " reshaped") : "",
                                   result.worst_error);
  return result;
}

}  // namespace kiln::cli
