// kiln bench: times a plan on the GPU (median and p90 of whole runs, CUDA graph replay, inputs
// already on the device) and profiles its thunks one by one: time, share of the total, achieved
// bandwidth and FLOP rate, and how close each comes to its roofline floor on the H100.
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "ir/status_macros.h"
#include "runtime/engine/session.h"
#include "tools/cli/commands.h"
#include "tools/cli/engine_flags.h"

namespace kiln::cli {
namespace {

// Ceilings measured on the H100 (../shared/GPU.md): fp16 dense GEMM and device-copy bandwidth.
constexpr double kPeakFlops = 762e12;
constexpr double kPeakBytesPerSecond = 2.97e12;

// A deterministic input: floats in [-1, 1); integers 1 (a valid token id, type id and "attend"
// mask value for every model Kiln targets).
absl::StatusOr<Tensor> SyntheticInput(DType dtype, std::vector<int64_t> shape) {
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, std::move(shape)));
  uint32_t state = 12345;
  VisitDType(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      state = state * 1664525u + 1013904223u;
      float v = IsFloat(dtype) ? static_cast<float>((state >> 8) / double(1 << 24) * 2 - 1) : 1.f;
      p[i] = static_cast<T>(v);
    }
    return 0;
  });
  return t;
}

// Inputs from --shape NAME=AxBxC (static inputs may be left out) or --input NAME=FILE.pb.
absl::StatusOr<std::vector<Tensor>> BenchInputs(const Graph& g, const ParsedArgs& a) {
  if (a.Has("input")) return InputsFromFiles(g, a.GetAll("input"));
  absl::flat_hash_map<std::string, std::vector<int64_t>> shapes;
  for (const std::string& spec : a.GetAll("shape")) {
    std::vector<std::string> kv = absl::StrSplit(spec, absl::MaxSplits('=', 1));
    std::vector<int64_t> dims;
    bool ok = kv.size() == 2 && !kv[0].empty();
    for (absl::string_view d : absl::StrSplit(ok ? kv[1] : "", 'x', absl::SkipEmpty())) {
      int64_t n = 0;
      ok = ok && absl::SimpleAtoi(d, &n) && n >= 0;
      dims.push_back(n);
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("--shape takes NAME=AxB..., got '", spec, "'"));
    shapes[kv[0]] = dims;
  }
  std::vector<Tensor> inputs;
  for (const Value* in : g.inputs()) {
    std::vector<int64_t> dims;
    if (auto it = shapes.find(in->name()); it != shapes.end()) {
      dims = it->second;
      shapes.erase(it);
    } else {
      for (const DimExpr& d : in->type().dims) {
        if (!d.as_const()) {
          return absl::InvalidArgumentError(absl::StrCat("input '", in->name(), "' is ",
                                                         in->type().ToString(),
                                                         "; give its shape with --shape ",
                                                         in->name(), "=AxB..."));
        }
        dims.push_back(*d.as_const());
      }
    }
    ASSIGN_OR_RETURN(Tensor t, SyntheticInput(in->type().dtype, std::move(dims)));
    inputs.push_back(std::move(t));
  }
  if (!shapes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the model has no input named '", shapes.begin()->first, "'"));
  }
  return inputs;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
  return v[i];
}

std::string KernelTable(const std::vector<ThunkTiming>& thunks, std::string* json) {
  double total = 0;
  for (const ThunkTiming& t : thunks) total += t.ms;
  std::string out = absl::StrFormat("%-44s %-9s %9s %6s %8s %8s %9s\n", "thunk", "kind", "ms",
                                    "share", "GB/s", "TFLOP/s", "roofline");
  for (const ThunkTiming& t : thunks) {
    double s = t.ms / 1e3;
    double floor = std::max(t.flops / kPeakFlops, t.bytes / kPeakBytesPerSecond);
    double gbps = s > 0 ? t.bytes / s / 1e9 : 0;
    double tflops = s > 0 ? t.flops / s / 1e12 : 0;
    double pct = s > 0 ? 100 * floor / s : 0;
    std::string name = t.name.size() > 44 ? t.name.substr(0, 41) + "..." : t.name;
    absl::StrAppendFormat(&out, "%-44s %-9s %9.4f %5.1f%% %8.0f %8.1f %8.1f%%\n", name, t.kind,
                          t.ms, total > 0 ? 100 * t.ms / total : 0, gbps, tflops, pct);
    absl::StrAppendFormat(json,
                          "%s{\"name\": \"%s\", \"kind\": \"%s\", \"ms\": %.6f, \"share\": %.4f, "
                          "\"bytes\": %d, \"flops\": %.0f, \"gbps\": %.1f, \"tflops\": %.2f, "
                          "\"roofline_pct\": %.1f}",
                          json->empty() ? "" : ", ", absl::CEscape(t.name), t.kind, t.ms,
                          total > 0 ? t.ms / total : 0, t.bytes, t.flops, gbps, tflops, pct);
  }
  absl::StrAppendFormat(&out, "%-44s %-9s %9.4f (sum of thunks run one by one)\n", "total", "",
                        total);
  return out;
}

}  // namespace

int RunBench(const std::vector<std::string>& args) {
  ArgParser parser(
      "bench PLAN.kiln|MODEL.onnx (--shape NAME=AxB... | --input NAME=FILE.pb ...) [flags]",
      "Times a plan on the GPU: --warmup runs (which also capture the shape's CUDA graph),\n"
      "then --iters timed runs with the inputs already on the device, each started on an idle\n"
      "GPU and timed by CUDA events (so the host's launch cost counts); prints\n"
      "the median and p90 in ms. Then profiles each thunk (kernel, attention, GEMM, copy) over\n"
      "--profile-iters eager runs: its median time, share of the total, achieved GB/s and\n"
      "TFLOP/s, and its roofline floor (max(FLOPs / 762 TFLOP/s, bytes / 2.97 TB/s), the\n"
      "H100's measured ceilings) as a percentage of its time. Inputs given by --shape are\n"
      "synthetic: floats in [-1, 1), integers 1. A MODEL.onnx is compiled first (-O3).",
      1, 1);
  parser.Flag({.name = "shape", .value_name = "NAME=AxB", .help = "an input's shape",
               .repeated = true});
  parser.Flag({.name = "input", .value_name = "NAME=FILE.pb", .help = "an input tensor",
               .repeated = true});
  parser.Flag({.name = "iters", .value_name = "N", .help = "timed runs", .default_value = "100"});
  parser.Flag({.name = "warmup", .value_name = "N", .help = "untimed runs first",
               .default_value = "10"});
  parser.Flag({.name = "profile-iters", .value_name = "N",
               .help = "runs of the per-thunk profile (0 skips it)", .default_value = "20"});
  parser.Flag({.name = "json", .value_name = "FILE", .help = "also write the results as JSON"});
  AddPipelineFlags(parser);
  AddCompileFlags(parser);
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  int iters = 0, warmup = 0, profile_iters = 0;
  if (!absl::SimpleAtoi(a.Get("iters"), &iters) || iters <= 0 ||
      !absl::SimpleAtoi(a.Get("warmup"), &warmup) || warmup < 0 ||
      !absl::SimpleAtoi(a.Get("profile-iters"), &profile_iters) || profile_iters < 0) {
    return Usage(absl::InvalidArgumentError(
        "--iters must be positive, --warmup and --profile-iters not negative"));
  }
  if (a.Has("shape") && a.Has("input")) {
    return Usage(absl::InvalidArgumentError("give either --shape or --input, not both"));
  }
  auto choice = PipelineChoiceFromArgs(a);
  if (!choice.ok()) return Usage(choice.status());
  auto options = CompileOptionsFromArgs(a, *choice, /*verbose=*/true);
  if (!options.ok()) return Usage(options.status());
  auto plan = PlanFromPath(a.positional[0], *options);
  if (!plan.ok()) return Fail(plan.status());
  auto inputs = BenchInputs(*(*plan)->graph, a);
  if (!inputs.ok()) return Usage(inputs.status());
  auto session = Session::Create(*plan);
  if (!session.ok()) return Fail(session.status());
  auto times = (*session)->TimeRuns(*inputs, warmup, iters);
  if (!times.ok()) return Fail(times.status());
  double median = Percentile(*times, 0.5), p90 = Percentile(*times, 0.9);
  std::printf("latency: median %.4f ms, p90 %.4f ms over %d runs (CUDA graph replay)\n", median,
              p90, iters);
  std::string kernels_json;
  if (profile_iters > 0) {
    auto profile = (*session)->ProfileThunks(*inputs, profile_iters);
    if (!profile.ok()) return Fail(profile.status());
    std::fputs(KernelTable(*profile, &kernels_json).c_str(), stdout);
  }
  if (a.Has("json")) {
    std::ofstream out(a.Get("json"));
    out << absl::StrFormat("{\"median_ms\": %.6f, \"p90_ms\": %.6f, \"iters\": %d, \"kernels\": [%s]}\n",
                           median, p90, iters, kernels_json);
    if (!out) return Fail(absl::UnavailableError(absl::StrCat("cannot write ", a.Get("json"))));
  }
  return 0;
}

}  // namespace kiln::cli
