// Compiles an ONNX transformer with Kiln's C++ API, saves and reloads the plan, and runs it on
// the GPU with every integer input set to 1 and every float input to 0.5 (shapes given as
// NAME=AxB arguments, or static). Usage:
//   kiln_example MODEL.onnx PLAN.kiln [NAME=AxB ...]
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/kiln.h"

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "kiln_example: %s\n", std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: kiln_example MODEL.onnx PLAN.kiln [NAME=AxB ...]\n");
    return 2;
  }
  kiln::CompileOptions options;
  options.precision = kiln::DType::kF16;
  options.progress = [](absl::string_view line) {
    std::fprintf(stderr, "compile: %s\n", std::string(line).c_str());
  };
  auto compiled = kiln::CompileModelFile(argv[1], options);
  if (!compiled.ok()) return Fail(compiled.status());
  if (auto s = kiln::SavePlan(**compiled, argv[2]); !s.ok()) return Fail(s);
  auto plan = kiln::LoadPlan(argv[2]);
  if (!plan.ok()) return Fail(plan.status());
  std::printf("plan %s: %zu kernels, %d inputs\n", argv[2], (*plan)->kernels.size(),
              static_cast<int>((*plan)->graph->inputs().size()));

  // Inputs: shapes from the command line, else the static shape.
  std::vector<kiln::Tensor> inputs;
  for (const kiln::Value* in : (*plan)->graph->inputs()) {
    std::vector<int64_t> shape;
    for (int i = 3; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind(in->name() + "=", 0) != 0) continue;
      for (size_t p = in->name().size() + 1; p < arg.size();) {
        size_t x = arg.find('x', p);
        shape.push_back(std::stoll(arg.substr(p, x - p)));
        p = x == std::string::npos ? arg.size() : x + 1;
      }
    }
    if (shape.empty()) {
      for (const kiln::DimExpr& d : in->type().dims) shape.push_back(d.as_const().value_or(1));
    }
    auto t = kiln::Tensor::Zeros(in->type().dtype, shape);
    if (!t.ok()) return Fail(t.status());
    kiln::VisitDType(t->dtype(), [&](auto zero) {
      using T = decltype(zero);
      for (int64_t i = 0; i < t->num_elements(); ++i) {
        t->data<T>()[i] = static_cast<T>(kiln::IsFloat(t->dtype()) ? 0.5f : 1.0f);
      }
      return 0;
    });
    inputs.push_back(*std::move(t));
  }
  auto session = kiln::Session::Create(std::shared_ptr<const kiln::Plan>(*std::move(plan)));
  if (!session.ok()) return Fail(session.status());  // E.g. no GPU on this machine.
  auto outputs = (*session)->Run(inputs);
  if (!outputs.ok()) return Fail(outputs.status());
  for (const kiln::Tensor& t : *outputs) {
    std::printf("output %s, first value %g\n", t.TypeString().c_str(),
                t.num_elements() > 0 ? t.GetAsDouble(0) : 0.0);
  }
  return 0;
}
