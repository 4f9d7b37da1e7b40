// Numerics of the index arithmetic the expression emitter generates, checked on the CPU: a
// small evaluator runs the emitted `const T name = expr;` statements (integers, casts, the
// prelude's kiln_min/kiln_max, p.dims reads, and a load `x[offset]` standing for its offset)
// and every element's computed offset is compared with one computed independently here.
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "codegen/expr_emitter.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "ir/symbol_bindings.h"

namespace kiln {
namespace {

// Recursive-descent evaluation of one C expression of the emitted subset.
class Evaluator {
 public:
  Evaluator(std::map<std::string, int64_t>& vars, const std::vector<int64_t>& dims)
      : vars_(vars), dims_(dims) {}

  int64_t Eval(absl::string_view text) {
    text_ = text;
    pos_ = 0;
    int64_t v = Ternary();
    Skip();
    EXPECT_EQ(pos_, text_.size()) << "unparsed: " << text_.substr(pos_);
    return v;
  }

 private:
  void Skip() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool Eat(absl::string_view token) {
    Skip();
    if (!absl::StartsWith(text_.substr(pos_), token)) return false;
    pos_ += token.size();
    return true;
  }
  std::string Word() {
    Skip();
    size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(text_[pos_]) || text_[pos_] == '_' ||
                                   text_[pos_] == '.')) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }
  int64_t Ternary() {
    int64_t c = Compare();
    if (!Eat("?")) return c;
    int64_t a = Ternary();
    EXPECT_TRUE(Eat(":"));
    int64_t b = Ternary();
    return c ? a : b;
  }
  int64_t Compare() {
    int64_t a = Sum();
    if (Eat("==")) return a == Sum();
    if (Eat("<")) return a < Sum();
    return a;
  }
  int64_t Sum() {
    int64_t a = Product();
    while (true) {
      if (Eat("+")) {
        a += Product();
      } else if (Eat("-")) {
        a -= Product();
      } else {
        return a;
      }
    }
  }
  int64_t Product() {
    int64_t a = Unary();
    while (true) {
      if (Eat("*")) {
        a *= Unary();
      } else if (Eat("/")) {
        int64_t b = Unary();
        EXPECT_NE(b, 0);
        a = b == 0 ? 0 : a / b;
      } else if (Eat("%")) {
        int64_t b = Unary();
        EXPECT_NE(b, 0);
        a = b == 0 ? 0 : a % b;
      } else {
        return a;
      }
    }
  }
  int64_t Unary() {
    if (Eat("-")) return -Unary();
    Skip();
    if (Eat("(")) {
      size_t save = pos_;
      std::string type = Word();
      if (absl::StartsWith(type, "kiln_") && Eat(")")) {
        int64_t v = Unary();
        // Narrowing to the 32-bit index type must never change a value.
        if (type == "kiln_idx") EXPECT_EQ(v, static_cast<int32_t>(v)) << text_;
        return v;
      }
      pos_ = save;
      int64_t v = Ternary();
      EXPECT_TRUE(Eat(")"));
      return v;
    }
    if (std::isdigit(text_[pos_])) {
      std::string digits = Word();
      return std::stoll(digits);
    }
    std::string name = Word();
    if (Eat("(")) {  // kiln_min / kiln_max.
      int64_t a = Ternary();
      EXPECT_TRUE(Eat(","));
      int64_t b = Ternary();
      EXPECT_TRUE(Eat(")"));
      EXPECT_TRUE(name == "kiln_min" || name == "kiln_max") << name;
      return name == "kiln_min" ? std::min(a, b) : std::max(a, b);
    }
    if (Eat("[")) {
      int64_t i = Ternary();
      EXPECT_TRUE(Eat("]"));
      if (name == "p.dims") return dims_.at(i);
      return i;  // A load: its offset.
    }
    EXPECT_TRUE(vars_.contains(name)) << "unknown " << name << " in " << text_;
    return vars_[name];
  }

  std::map<std::string, int64_t>& vars_;
  const std::vector<int64_t>& dims_;
  absl::string_view text_;
  size_t pos_ = 0;
};

// Runs `code`'s statements (declarations, assignments and if / else-if / else chains) with
// `vars` bound, then evaluates `results`.
std::vector<int64_t> Run(const std::string& code, std::map<std::string, int64_t> vars,
                         const DimTable& table, const SymbolBindings& bindings,
                         const std::vector<std::string>& results) {
  std::vector<int64_t> dims;
  for (const DimExpr& d : table.dims()) dims.push_back(d.Evaluate(bindings).value());
  Evaluator eval(vars, dims);
  struct Branch {
    bool parent_active, taken, active;
  };
  std::vector<Branch> branches;
  auto active = [&] { return branches.empty() || branches.back().active; };
  for (absl::string_view line : absl::StrSplit(code, '\n', absl::SkipEmpty())) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::StartsWith(line, "//")) continue;
    if (line == "}") {
      branches.pop_back();
      continue;
    }
    absl::string_view cond = line;
    if (absl::ConsumePrefix(&cond, "if (") && absl::ConsumeSuffix(&cond, ") {")) {
      bool on = active() && eval.Eval(cond) != 0;
      branches.push_back({active(), on, on});
      continue;
    }
    if (absl::ConsumePrefix(&cond, "} else if (") && absl::ConsumeSuffix(&cond, ") {")) {
      Branch& b = branches.back();
      b.active = b.parent_active && !b.taken && eval.Eval(cond) != 0;
      b.taken = b.taken || b.active;
      continue;
    }
    if (line == "} else {") {
      Branch& b = branches.back();
      b.active = b.parent_active && !b.taken;
      b.taken = true;
      continue;
    }
    if (!active()) continue;
    EXPECT_TRUE(absl::ConsumeSuffix(&line, ";")) << line;
    size_t eq = line.find(" = ");
    if (eq == absl::string_view::npos) continue;  // A declaration.
    absl::string_view target = line.substr(0, eq);
    std::string name(target.substr(target.rfind(' ') + 1));
    vars[name] = eval.Eval(line.substr(eq + 3));
  }
  std::vector<int64_t> out;
  for (const std::string& r : results) out.push_back(eval.Eval(r));
  return out;
}

std::vector<int64_t> Eval(const std::vector<DimExpr>& dims, const SymbolBindings& b) {
  std::vector<int64_t> out;
  for (const DimExpr& d : dims) out.push_back(d.Evaluate(b).value());
  return out;
}

std::vector<int64_t> Unravel(int64_t flat, const std::vector<int64_t>& dims) {
  std::vector<int64_t> idx(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    idx[d] = flat % dims[d];
    flat /= dims[d];
  }
  return idx;
}

std::vector<DimExpr> Dims(absl::string_view text) {
  std::vector<DimExpr> dims;
  for (absl::string_view d : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    dims.push_back(DimExpr::Parse(d).value());
  }
  return dims;
}

// Every element of a tensor of dims `out` reindexed as `in` lands on the same flat offset.
void ExpectReindexMatches(absl::string_view out_text, absl::string_view in_text) {
  SCOPED_TRACE(absl::StrCat("[", out_text, "] -> [", in_text, "]"));
  std::vector<DimExpr> out = Dims(out_text), in = Dims(in_text);
  Graph body;
  SourceWriter code, globals;
  DimTable table;
  ExprEmitter e(body, {}, code, globals, table, "k");
  Index idx;
  for (size_t d = 0; d < out.size(); ++d) idx.push_back(absl::StrCat("o", d));
  Index in_idx = e.Reindex(idx, out, in);
  ASSERT_EQ(in_idx.size(), in.size());
  for (const SymbolBindings& b :
       {SymbolBindings{{"b", 2}, {"s", 3}}, SymbolBindings{{"b", 1}, {"s", 5}}}) {
    std::vector<int64_t> out_dims = Eval(out, b), in_dims = Eval(in, b);
    int64_t n = 1;
    for (int64_t d : out_dims) n *= d;
    for (int64_t flat = 0; flat < n; ++flat) {
      std::map<std::string, int64_t> vars;
      std::vector<int64_t> o = Unravel(flat, out_dims);
      for (size_t d = 0; d < o.size(); ++d) vars[absl::StrCat("o", d)] = o[d];
      ASSERT_EQ(Run(code.str(), vars, table, b, in_idx), Unravel(flat, in_dims))
          << "flat " << flat << "\n" << code.str();
    }
  }
}

TEST(IndexArithTest, ReshapesMapEveryElementToItsOffset) {
  const char* pairs[][2] = {
      {"b,s,64", "b,s,4,16"}, {"b,1,s,8", "b*s,8"},  {"b,s,1,8", "b,s,8"}, {"6,4", "4,6"},
      {"2,3,4", "6,4"},       {"s,b", "b,s"},        {"1", ""},            {"2,1,3", "3,2"},
      {"b,s,2,3", "b,s*6"},   {"1,b,1,s,1", "b*s"},  {"b,6,s", "b,2,3,s"}, {"4,1,1", "2,2"},
  };
  for (const auto& [out, in] : pairs) {
    ExpectReindexMatches(out, in);
    ExpectReindexMatches(in, out);
  }
}

TEST(IndexArithTest, ReshapesSkipDimsTheyShare) {
  Graph body;
  SourceWriter code, globals;
  DimTable table;
  ExprEmitter e(body, {}, code, globals, table, "k");
  // [b,s,64] as [b,s,4,16]: b and s pass through; only the last dim is split (by literals).
  Index in_idx = e.Reindex({"o0", "o1", "o2"}, Dims("b,s,64"), Dims("b,s,4,16"));
  EXPECT_EQ(in_idx[0], "o0");
  EXPECT_EQ(in_idx[1], "o1");
  EXPECT_FALSE(absl::StrContains(code.str(), "p.dims")) << code.str();
  EXPECT_TRUE(absl::StrContains(code.str(), "% (kiln_idx)16")) << code.str();
  // An Unsqueeze generates no statements at all.
  SourceWriter code2;
  ExprEmitter e2(body, {}, code2, globals, table, "k");
  EXPECT_EQ(e2.Reindex({"o0", "o1", "o2", "o3"}, Dims("b,s,1,8"), Dims("b,s,8")),
            (Index{"o0", "o1", "o3"}));
  EXPECT_EQ(code2.str(), "");
}

// A graph whose output is a chain of index ops over input %x; checks the load offset of every
// output element against `expected(output index)`.
void ExpectLoadOffsets(
    const std::string& text, const SymbolBindings& b,
    const std::function<int64_t(const std::vector<int64_t>&)>& expected) {
  absl::StatusOr<std::unique_ptr<Graph>> g = ParseGraph(text);
  ASSERT_TRUE(g.ok()) << g.status();
  const Graph& body = **g;
  SourceWriter code, globals;
  DimTable table;
  ExprEmitter e(body, {"x"}, code, globals, table, "k");
  const Value* out = body.outputs()[0];
  Index idx;
  for (int d = 0; d < out->type().rank(); ++d) idx.push_back(absl::StrCat("o", d));
  absl::StatusOr<std::string> v = e.ValueAt(out, idx);
  ASSERT_TRUE(v.ok()) << v.status();
  std::vector<int64_t> dims = Eval(out->type().dims, b);
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  ASSERT_GT(n, 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    std::vector<int64_t> o = Unravel(flat, dims);
    std::map<std::string, int64_t> vars;
    for (size_t d = 0; d < o.size(); ++d) vars[absl::StrCat("o", d)] = o[d];
    ASSERT_EQ(Run(code.str(), vars, table, b, {*v})[0], expected(o)) << code.str();
  }
}

TEST(IndexArithTest, SlicesClampStartsAndStep) {
  // Constant starts past either end, a negative step, and a symbolic start (s - 10, which is
  // clamped to 0 when s = 3).
  ExpectLoadOffsets(R"(graph main(%x: f32[b,10]) {
  %st: i64[1] = Constant() {value=tensor<i64[1]> [-3]}
  %en: i64[1] = Constant() {value=tensor<i64[1]> [-100]}
  %ax: i64[1] = Constant() {value=tensor<i64[1]> [1]}
  %sp: i64[1] = Constant() {value=tensor<i64[1]> [-2]}
  %y: f32[b,4] = Slice(%x, %st, %en, %ax, %sp)
  return %y
})",
                    {{"b", 2}}, [](const std::vector<int64_t>& o) { return o[0] * 10 + 7 - 2 * o[1]; });
  ExpectLoadOffsets(R"(graph main(%x: f32[b,10]) {
  %st: i64[1] = Constant() {value=tensor<i64[1]> [9223372036854775807]}
  %en: i64[1] = Constant() {value=tensor<i64[1]> [0]}
  %ax: i64[1] = Constant() {value=tensor<i64[1]> [1]}
  %sp: i64[1] = Constant() {value=tensor<i64[1]> [-1]}
  %y: f32[b,9] = Slice(%x, %st, %en, %ax, %sp)
  return %y
})",
                    {{"b", 2}}, [](const std::vector<int64_t>& o) { return o[0] * 10 + 9 - o[1]; });
  ExpectLoadOffsets(R"(graph main(%x: f32[s,b]) {
  %st: i64[1] = DimValues() {value=dims[s-10]}
  %en: i64[1] = Constant() {value=tensor<i64[1]> [9223372036854775807]}
  %ax: i64[1] = Constant() {value=tensor<i64[1]> [0]}
  %y: f32[_y_0,b] = Slice(%x, %st, %en, %ax)
  return %y
})",
                    {{"s", 3}, {"b", 2}, {"_y_0", 1}}, [](const std::vector<int64_t>& o) { return o[1]; });
}

TEST(IndexArithTest, ConcatSplitAndTransposeOffsets) {
  // y = Concat(Transpose(x), x) along axis 1 of [4, 4].
  ExpectLoadOffsets(R"(graph main(%x: f32[4,4]) {
  %t: f32[4,4] = Transpose(%x) {perm=[1, 0]}
  %y: f32[4,8] = Concat(%t, %x) {axis=1}
  return %y
})",
                    {}, [](const std::vector<int64_t>& o) {
                      return o[1] < 4 ? o[1] * 4 + o[0] : o[0] * 4 + (o[1] - 4);
                    });
  ExpectLoadOffsets(R"(graph main(%x: f32[b,6]) {
  %sizes: i64[2] = Constant() {value=tensor<i64[2]> [2, 4]}
  %a: f32[b,2], %c: f32[b,4] = Split(%x, %sizes) {axis=1}
  %shape: i64[3] = Constant() {value=tensor<i64[3]> [0, 2, 2]}
  %y: f32[b,2,2] = Reshape(%c, %shape)
  return %y
})",
                    {{"b", 3}}, [](const std::vector<int64_t>& o) {
                      return o[0] * 6 + 2 + o[1] * 2 + o[2];
                    });
}

}  // namespace
}  // namespace kiln
