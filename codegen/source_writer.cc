#include "codegen/source_writer.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "ir/check.h"

namespace kiln {
namespace {

// Graph names that would shadow something generated code uses: C++ keywords, CUDA built-in
// variables and the math functions the emitters call (dynamo names values `cos`, `exp`...).
bool IsReserved(const std::string& name) {
  static const auto* reserved = new absl::flat_hash_set<std::string>{
      "auto", "bool", "break", "case", "char", "const", "continue", "default", "delete", "do",
      "double", "else", "enum", "extern", "false", "float", "for", "goto", "if", "inline", "int",
      "long", "new", "operator", "private", "public", "register", "return", "short", "signed",
      "sizeof", "static", "struct", "switch", "template", "this", "true", "typedef", "union",
      "unsigned", "void", "volatile", "while", "class", "namespace", "using", "virtual", "asm",
      "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize", "abs", "fabs", "fabsf", "exp",
      "expf", "log", "logf", "sqrt", "sqrtf", "rsqrtf", "sin", "sinf", "cos", "cosf", "tanh",
      "tanhf", "erf", "erff", "floor", "floorf", "ceil", "ceilf", "pow", "powf", "fmod", "fmodf",
      "fmax", "fmaxf", "fmin", "fminf", "min", "max",
      // The prelude's names.
      "kiln_i64", "kiln_u64", "kiln_idx", "kiln_uidx", "kiln_half", "kiln_bf16", "kiln_h2f",
      "kiln_f2h", "kiln_bf2f", "kiln_f2bf", "kiln_round_f16", "kiln_round_bf16", "kiln_sigmoid", "kiln_silu", "kiln_gelu",
      "kiln_gelu_tanh", "kiln_min", "kiln_max", "kiln_imod", "kiln_wrap_index", "kiln_warp_sum",
      "kiln_warp_max", "kiln_block_sum", "kiln_block_max", "kiln_vec16", "kiln_load16",
      "kiln_store16", "KilnElementwiseParams", "KilnRowParams"};
  return reserved->contains(name);
}

}  // namespace

std::string SanitizeIdentifier(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  for (char c : text) out.push_back(absl::ascii_isalnum(c) || c == '_' ? c : '_');
  if (out.empty()) return "v";
  if (absl::ascii_isdigit(out[0])) out.insert(out.begin(), '_');
  if (IsReserved(out)) out += "_v";
  return out;
}

void SourceWriter::Line(absl::string_view text) {
  if (!text.empty()) text_.append(2 * depth_, ' ');
  absl::StrAppend(&text_, text, "\n");
}

void SourceWriter::Comment(absl::string_view text) {
  std::string clean(text);
  for (char& c : clean) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  Line(absl::StrCat("// ", clean));
}

void SourceWriter::Open(absl::string_view header) {
  Line(absl::StrCat(header, " {"));
  ++depth_;
}

void SourceWriter::Close(absl::string_view suffix) {
  Dedent();
  Line(absl::StrCat("}", suffix));
}

void SourceWriter::Dedent() {
  KILN_CHECK(depth_ > 0);
  --depth_;
}

std::string SourceWriter::FreshName(absl::string_view base) {
  std::string name = SanitizeIdentifier(base);
  int& count = name_counts_[name];
  std::string result = count == 0 ? name : absl::StrCat(name, "_", count);
  ++count;
  // A suffixed name may collide with a later base that ends in digits: register it too.
  while (result != name && name_counts_.contains(result)) {
    result = absl::StrCat(name, "_", count++);
  }
  if (result != name) name_counts_[result] = 1;
  return result;
}

void SourceWriter::Kernel(absl::string_view comment, absl::string_view name,
                          const std::vector<std::string>& params, const SourceWriter& body) {
  Comment(comment);
  Line(absl::StrCat("extern \"C\" __global__ void __launch_bounds__(256) ", name, "("));
  depth_ += 2;
  for (size_t i = 0; i < params.size(); ++i) {
    Line(absl::StrCat(params[i], i + 1 < params.size() ? "," : ") {"));
  }
  depth_ -= 2;
  Append(body);
  Line("}");
}

}  // namespace kiln
