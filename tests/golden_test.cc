// Golden tests for passes (as MLIR's test/Transforms/*.mlir): each tests/golden/**/*.kir file
// holds IR text, a `// RUN: pass-a,pass-b` line (or `// RUN: -O3`), and `// CHECK: text` lines
// that must appear in the printed result in order (`// CHECK-NOT: text`: must not appear
// between the neighbouring CHECKs; at the end, anywhere after the last CHECK). The runner also
// executes the graph before and after the passes on random inputs (symbols bound to 3, or to
// `// BIND: sym=N` values) and requires relative L2 error <= 1e-5 on every output.
// `// NOTE: text`: some note the passes recorded (PassContext::Note) contains `text`.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/symbol_bindings.h"
#include "passes/pass_manager.h"
#include "runtime/compare.h"
#include "runtime/reference/executor.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

struct GoldenCase {
  std::string path, text, run;
  std::vector<std::pair<bool, std::string>> checks;  // (is_not, text)
  std::vector<std::string> notes;
  SymbolBindings binds;
};

GoldenCase Load(const fs::path& p) {
  GoldenCase c;
  c.path = p.string();
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  c.text = ss.str();
  for (absl::string_view line : absl::StrSplit(c.text, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "// RUN:")) c.run = std::string(absl::StripAsciiWhitespace(line));
    if (absl::ConsumePrefix(&line, "// CHECK-NOT:")) {
      c.checks.emplace_back(true, std::string(absl::StripAsciiWhitespace(line)));
    } else if (absl::ConsumePrefix(&line, "// CHECK:")) {
      c.checks.emplace_back(false, std::string(absl::StripAsciiWhitespace(line)));
    }
    if (absl::ConsumePrefix(&line, "// NOTE:")) {
      c.notes.emplace_back(absl::StripAsciiWhitespace(line));
    }
    if (absl::ConsumePrefix(&line, "// BIND:")) {
      for (absl::string_view kv : absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
        std::pair<std::string, std::string> p = absl::StrSplit(kv, '=');
        int64_t v;
        if (absl::SimpleAtoi(p.second, &v)) c.binds[p.first] = v;
      }
    }
  }
  return c;
}

// Random inputs for `g` with every symbol bound (default 3).
std::vector<Tensor> RandomInputs(const Graph& g, const SymbolBindings& binds, std::mt19937& rng) {
  SymbolBindings b = binds;
  std::vector<Tensor> out;
  for (const Value* in : g.inputs()) {
    absl::btree_set<std::string> syms;
    for (const DimExpr& d : in->type().dims) d.CollectSymbols(&syms);
    for (const std::string& s : syms) b.try_emplace(s, 3);
    auto dims = EvaluateDims(in->type().dims, b);
    EXPECT_TRUE(dims.ok()) << dims.status();
    Tensor t = *Tensor::Zeros(in->type().dtype, *dims);
    std::uniform_real_distribution<float> u(-2, 2);
    VisitDType(t.dtype(), [&](auto zero) {
      using T = decltype(zero);
      for (int64_t i = 0; i < t.num_elements(); ++i) {
        if constexpr (std::is_same_v<T, bool>) {
          t.data<bool>()[i] = rng() % 2;
        } else if constexpr (std::is_integral_v<T>) {
          t.data<T>()[i] = static_cast<T>(rng() % 2);  // Masks and indices: 0/1.
        } else {
          t.data<T>()[i] = T(u(rng));
        }
      }
      return 0;
    });
    out.push_back(t);
  }
  return out;
}

void RunCase(const GoldenCase& c) {
  SCOPED_TRACE(c.path);
  ASSERT_FALSE(c.run.empty()) << "no // RUN: line";
  auto graph = ParseGraph(c.text);
  ASSERT_TRUE(graph.ok()) << graph.status();
  std::unique_ptr<Graph> before = (*graph)->Clone();
  absl::StatusOr<PassManager> pm = absl::StartsWith(c.run, "-O")
                                       ? BuildPipeline(c.run[2] - '0')
                                       : BuildPipeline(c.run);
  ASSERT_TRUE(pm.ok()) << pm.status();
  PassContext ctx;
  absl::Status run = pm->Run(**graph, ctx);
  ASSERT_TRUE(run.ok()) << run;
  for (const std::string& want : c.notes) {
    bool found = false;
    for (const std::string& note : ctx.notes) found |= absl::StrContains(note, want);
    EXPECT_TRUE(found) << "no note contains: " << want << "\n--- notes:\n"
                       << absl::StrJoin(ctx.notes, "\n");
  }
  std::string printed = PrintGraph(**graph);
  size_t pos = 0;
  std::vector<std::string> pending_not;
  for (const auto& [is_not, text] : c.checks) {
    if (is_not) {
      pending_not.push_back(text);
      continue;
    }
    size_t found = printed.find(text, pos);
    ASSERT_NE(found, std::string::npos) << "CHECK not found after offset " << pos << ": " << text
                                        << "\n--- output:\n" << printed;
    for (const std::string& n : pending_not) {
      size_t bad = printed.find(n, pos);
      EXPECT_TRUE(bad == std::string::npos || bad >= found) << "CHECK-NOT matched: " << n
                                                            << "\n--- output:\n" << printed;
    }
    pending_not.clear();
    pos = found + text.size();
  }
  for (const std::string& n : pending_not) {
    EXPECT_EQ(printed.find(n, pos), std::string::npos) << "CHECK-NOT matched: " << n
                                                       << "\n--- output:\n" << printed;
  }
  std::mt19937 rng(42);
  std::vector<Tensor> inputs = RandomInputs(*before, c.binds, rng);
  auto want = reference::Execute(*before, inputs);
  ASSERT_TRUE(want.ok()) << want.status();
  auto got = reference::Execute(**graph, inputs);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), want->size());
  for (size_t i = 0; i < want->size(); ++i) {
    CompareResult r = CompareTensors((*got)[i], (*want)[i], 1e-5);
    EXPECT_TRUE(r.ok) << "output " << i << ": " << r.detail;
  }
}

TEST(GoldenTest, EveryGoldenFilePasses) {
  fs::path root = fs::path(KILN_SOURCE_DIR) / "tests" / "golden";
  int count = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".kir") continue;
    RunCase(Load(e.path()));
    ++count;
  }
  EXPECT_GT(count, 0);
}

}  // namespace
}  // namespace kiln
