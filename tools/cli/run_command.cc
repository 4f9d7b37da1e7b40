// kiln run: runs a model on named input tensors and prints (or saves) the outputs.
#include <cstdio>
#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/onnx_import.h"
#include "runtime/reference/executor.h"
#include "tools/cli/commands.h"
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

}  // namespace

int RunRun(const std::vector<std::string>& args) {
  ArgParser parser("run MODEL.onnx --input NAME=FILE.pb ... [flags]",
                   "Runs MODEL.onnx on the given inputs (serialized TensorProto files) with the\n"
                   "reference backend and prints each output's type and first values;\n"
                   "--output-dir also saves them as NAME.pb files. --passes or -O run passes over\n"
                   "the graph first, and --precision fp16/bf16 computes in 16-bit floats (the\n"
                   "model's inputs and outputs keep their exported types), so the optimized graph\n"
                   "is what runs.",
                   1, 1);
  parser.Flag({.name = "input", .value_name = "NAME=FILE.pb", .help = "a graph input",
               .repeated = true});
  parser.Flag({.name = "output-dir", .value_name = "DIR", .help = "write outputs as DIR/NAME.pb"});
  parser.Flag({.name = "device", .value_name = "DEVICE", .help = "where to run",
               .default_value = "cpu", .choices = {"cpu"}});
  AddPipelineFlags(parser);
  ParsedArgs a;
  if (int rc = ParseOrExit(parser, args, &a); rc >= 0) return rc;
  auto choice = PipelineChoiceFromArgs(a);
  if (!choice.ok()) return Usage(choice.status());
  if (auto pm = BuildChosenPipeline(*choice); !pm.ok()) return Usage(pm.status());
  auto graph = ImportOnnxFile(a.positional[0]);
  if (!graph.ok()) return Fail(graph.status());
  if (absl::Status s = RunChosenPipeline(*choice, **graph); !s.ok()) return Fail(s);

  absl::flat_hash_map<std::string, std::string> files;
  for (const std::string& spec : a.GetAll("input")) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "kiln: --input takes NAME=FILE.pb, got '%s'\n", spec.c_str());
      return 2;
    }
    files[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  std::vector<Tensor> inputs;
  for (const Value* in : (*graph)->inputs()) {
    auto it = files.find(in->name());
    if (it == files.end()) {
      std::vector<std::string> want;
      for (const Value* v : (*graph)->inputs()) {
        want.push_back(absl::StrCat(v->name(), ": ", v->type().ToString()));
      }
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "missing --input for '", in->name(), "'; the model takes ", absl::StrJoin(want, ", "))));
    }
    auto t = LoadTensorProtoFile(it->second);
    if (!t.ok()) return Fail(t.status());
    inputs.push_back(*std::move(t));
    files.erase(it);
  }
  if (!files.empty()) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("the model has no input named '", files.begin()->first, "'")));
  }
  auto outputs = reference::Execute(**graph, inputs);
  if (!outputs.ok()) return Fail(outputs.status());
  std::string out_dir = a.Get("output-dir");
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) return Fail(absl::PermissionDeniedError(absl::StrCat(out_dir, ": ", ec.message())));
  }
  for (size_t i = 0; i < outputs->size(); ++i) {
    const std::string& name = (*graph)->outputs()[i]->name();
    const Tensor& t = (*outputs)[i];
    std::printf("%s: %s %s\n", name.c_str(), t.TypeString().c_str(), Preview(t).c_str());
    if (!out_dir.empty()) {
      std::string file = (std::filesystem::path(out_dir) / absl::StrCat(name, ".pb")).string();
      if (absl::Status s = SaveTensorProtoFile(t, name, file); !s.ok()) return Fail(s);
    }
  }
  return 0;
}

}  // namespace kiln::cli
