#include "passes/pass_manager.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ir/shape_inference.h"

namespace kiln {

void PassManager::Add(std::unique_ptr<Pass> pass) {
  Stage s;
  s.passes.push_back(std::move(pass));
  stages_.push_back(std::move(s));
}

void PassManager::AddFixedPoint(std::vector<std::unique_ptr<Pass>> group, int max_iterations) {
  stages_.push_back(Stage{std::move(group), max_iterations});
}

void PassManager::PrintAfter(std::string which, Printer printer) {
  print_after_ = std::move(which);
  printer_ = std::move(printer);
}

absl::StatusOr<bool> PassManager::RunOne(Pass& pass, Graph& graph, PassContext& ctx) {
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<bool> changed = pass.Run(graph, ctx);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!changed.ok()) {
    return absl::Status(changed.status().code(),
                        absl::StrCat("pass ", pass.name(), ": ", changed.status().message()));
  }
  if (absl::Status s = VerifyGraph(graph); !s.ok()) {
    return absl::InternalError(absl::StrCat("graph is invalid after pass ", pass.name(), ": ",
                                            s.message()));
  }
  records_.push_back(PassRecord{std::string(pass.name()), ms, *changed,
                                static_cast<int>(graph.num_nodes())});
  if (printer_ && (print_after_ == "all" || print_after_ == pass.name())) {
    printer_(pass.name(), graph);
  }
  return *changed;
}

absl::Status PassManager::Run(Graph& graph, PassContext& ctx) {
  for (Stage& stage : stages_) {
    for (int it = 0; it < stage.max_iterations; ++it) {
      bool any = false;
      for (auto& pass : stage.passes) {
        ASSIGN_OR_RETURN(bool changed, RunOne(*pass, graph, ctx));
        any = any || changed;
      }
      if (!any) break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PassManager> BuildPipeline(absl::string_view pass_list) {
  PassManager pm;
  for (absl::string_view name : absl::StrSplit(pass_list, ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(std::unique_ptr<Pass> pass, CreatePass(name));
    pm.Add(std::move(pass));
  }
  return pm;
}

absl::StatusOr<PassManager> BuildPipeline(int level) {
  if (level < 0 || level > 3) {
    return absl::InvalidArgumentError(absl::StrCat("optimization level ", level, " is not 0..3"));
  }
  PassManager pm;
  if (level == 0) return pm;
  std::vector<std::unique_ptr<Pass>> simplify;
  for (const char* name : {"constant-folding", "simplify-noops", "cse", "dce"}) {
    ASSIGN_OR_RETURN(std::unique_ptr<Pass> pass, CreatePass(name));
    simplify.push_back(std::move(pass));
  }
  pm.AddFixedPoint(std::move(simplify));
  return pm;
}

}  // namespace kiln
