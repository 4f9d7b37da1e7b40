// kiln run: runs a model on named input tensors and prints (or saves) the outputs.
#include <cstdio>
#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/onnx_import.h"
#include "runtime/reference/executor.h"
#include "tools/cli/commands.h"
#include "runtime/engine/session.h"
#include "tools/cli/engine_flags.h"
#include "tools/cli/pipeline_flags.h"

namespace kiln::cli {
namespace {

// A short preview of a tensor's first values.
std::string Preview(const Tensor& t) {
  std::vector<std::string> items;
  int64_t n = std::min<int64_t>(t.num_elements(), 6);
  for (int64_t i = 0; i < n; ++i) {
    items.push_back(IsFloat(t.dtype()) ? absl::StrCat(t.GetAsDouble(i)) : absl::StrCat(t.GetAsInt(i)));
  }
  return absl::StrCat("[", absl::StrJoin(items, ", "), t.num_elements() > n ? ", ...]" : "]");
}

// Saves (when `out_dir` is set) and previews each output.
int ReportOutputs(const Graph& graph, const std::vector<Tensor>& outputs,
                  const std::string& out_dir) {
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) return Fail(absl::PermissionDeniedError(absl::StrCat(out_dir, ": ", ec.message())));
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string& name = graph.outputs()[i]->name();
    const Tensor& t = outputs[i];
    std::printf("%s: %s %s\n", name.c_str(), t.TypeString().c_str(), Preview(t).c_str());
    if (!out_dir.empty()) {
      std::string file = (std::filesystem::path(out_dir) / absl::StrCat(name, ".pb")).string();
      if (absl::Status s = SaveTensorProtoFile(t, name, file); !s.ok()) return Fail(s);
    }
  }
  return 0;
}

int RunOnCuda(const ParsedArgs& a, const PipelineChoice& choice) {
  auto options = CompileOptionsFromArgs(a, choice, /*verbose=*/true);
  if (!options.ok()) return Usage(options.status());
  auto plan = PlanFromPath(a.positional[0], *options);
  if (!plan.ok()) return Fail(plan.status());
  auto inputs = InputsFromFiles(*(*plan)->graph, a.GetAll("input"));
  if (!inputs.ok()) return Fail(inputs.status());
  auto session = Session::Create(*plan);
  if (!session.ok()) return Fail(session.status());
  auto outputs = (*session)->Run(*inputs);
  if (!outputs.ok()) return Fail(outputs.status());
  return ReportOutputs(*(*plan)->graph, *outputs, a.Get("output-dir"));
}

}  // namespace

int RunRun(const std::vector<std::string>& args) {
  ArgParser parser("run MODEL.onnx|PLAN.kiln --input NAME=FILE.pb ... [flags]",
                   "Runs a model on the given inputs (serialized TensorProto files) and prints\n"
                   "each output's type and first values; --output-dir also saves them as NAME.pb\n"
                   "files. --device cpu (the default) runs MODEL.onnx on the reference backend,\n"
                   "after --passes or -O when given; --precision fp16/bf16 computes in 16-bit\n"
                   "floats (the model's inputs and outputs keep their exported types).\n"
                   "--device cuda runs a plan on the GPU: PLAN.kiln from `kiln compile`, or\n"
                   "MODEL.onnx compiled first (-O3 unless -O/--passes say otherwise).",
                   1, 1);
  parser.Flag({.name = "input", .value_name = "NAME=FILE.pb", .help = "a graph input",
               .repeated = true});
  parser.Flag({.name = "output-dir", .value_name = "DIR", .help = "write outputs as DIR/NAME.pb"});
  parser.Flag({.name = "device", .value_name = "DEVICE", .help = "where to run",
               .default_value = "cpu", .choices = {"cpu", "cuda"}});
  AddPipelineFlags(parser);
  AddCompileFlags(parser);
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  auto choice = PipelineChoiceFromArgs(a);
  if (!choice.ok()) return Usage(choice.status());
  if (auto pm = BuildChosenPipeline(*choice); !pm.ok()) return Usage(pm.status());
  if (a.Get("device") == "cuda") return RunOnCuda(a, *choice);
  if (IsPlanFile(a.positional[0])) {
    return Usage(absl::InvalidArgumentError(
        absl::StrCat(a.positional[0], " is a compiled plan; run it with --device cuda")));
  }
  auto graph = ImportOnnxFile(a.positional[0]);
  if (!graph.ok()) return Fail(graph.status());
  if (absl::Status s = RunChosenPipeline(*choice, **graph); !s.ok()) return Fail(s);
  auto inputs = InputsFromFiles(**graph, a.GetAll("input"));
  if (!inputs.ok()) return Fail(inputs.status());
  auto outputs = reference::Execute(**graph, *inputs);
  if (!outputs.ok()) return Fail(outputs.status());
  return ReportOutputs(**graph, *outputs, a.Get("output-dir"));
}

}  // namespace kiln::cli
