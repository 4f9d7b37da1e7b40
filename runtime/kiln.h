// Kiln's C++ API, in one include:
//
//   kiln::CompileOptions options;              // -O3, fp32, bounds 64 x 512 by default
//   options.precision = kiln::DType::kF16;
//   auto plan = kiln::CompileModelFile("model.onnx", options);   // or CompileModelBytes
//   kiln::SavePlan(**plan, "model.kiln");                          // later: kiln::LoadPlan
//   auto session = kiln::Session::Create(std::shared_ptr<const kiln::Plan>(*std::move(plan)));
//   auto outputs = (*session)->Run({{"input_ids", ids}, {"attention_mask", mask}});
//
// Every call returns absl::Status / absl::StatusOr. Tensors (ir/tensor.h) are host tensors;
// Session::RunOnDevice takes and returns device memory. The installed CMake package is used
// as `find_package(kiln REQUIRED)` and `target_link_libraries(app PRIVATE kiln::kiln)`; see
// tools/example.
#ifndef KILN_RUNTIME_KILN_H_
#define KILN_RUNTIME_KILN_H_

#include "ir/tensor.h"
#include "runtime/engine/plan.h"
#include "runtime/engine/session.h"

#endif  // KILN_RUNTIME_KILN_H_
