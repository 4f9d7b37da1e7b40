#include "ir/printer.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln {
namespace {

bool IsPlainName(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", absl::CEscape(s), "\""); }

std::string HexBytes(const Tensor& t) {
  static const char* kHex = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(t.raw_data());
  std::string out = "0x";
  out.reserve(2 + 2 * t.nbytes());
  for (size_t i = 0; i < t.nbytes(); ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

std::string TensorLiteral(const Tensor& t, const PrintOptions& options) {
  std::string head = absl::StrCat("tensor<", t.TypeString(), ">");
  if (t.num_elements() > options.max_inline_elements) {
    if (options.external_tensors != nullptr) {
      options.external_tensors->push_back(&t);
      return absl::StrCat(head, " external(", options.external_tensors->size() - 1, ")");
    }
    if (options.elide_large_constants) return absl::StrCat(head, " elided");
    return absl::StrCat(head, " ", HexBytes(t));
  }
  std::vector<std::string> items;
  VisitDType(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      T v = t.data<T>()[i];
      if constexpr (std::is_same_v<T, bool>) {
        items.push_back(v ? "1" : "0");
      } else if constexpr (std::is_same_v<T, double>) {
        items.push_back(PrintFloat(v, true));
      } else if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, Half> ||
                           std::is_same_v<T, BFloat16>) {
        items.push_back(PrintFloat(static_cast<float>(v)));
      } else {
        items.push_back(absl::StrCat(static_cast<int64_t>(v)));
      }
    }
    return 0;
  });
  return absl::StrCat(head, " [", absl::StrJoin(items, ", "), "]");
}

}  // namespace

std::string PrintFloat(double v, bool is_double) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), is_double ? "%.17g" : "%.9g", v);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string PrintValueName(absl::string_view name) {
  return absl::StrCat("%", IsPlainName(name) ? std::string(name) : Quote(name));
}

std::string PrintAttrValue(const AttrValue& v, const PrintOptions& options) {
  switch (KindOf(v)) {
    case AttrKind::kInt: return absl::StrCat(std::get<int64_t>(v));
    case AttrKind::kFloat: return PrintFloat(std::get<float>(v));
    case AttrKind::kString: return Quote(std::get<std::string>(v));
    case AttrKind::kInts: return absl::StrCat("[", absl::StrJoin(std::get<std::vector<int64_t>>(v), ", "), "]");
    case AttrKind::kFloats:
      return absl::StrCat("[", absl::StrJoin(std::get<std::vector<float>>(v), ", ",
                                             [](std::string* s, float f) { s->append(PrintFloat(f)); }),
                          "]");
    case AttrKind::kStrings:
      return absl::StrCat("[", absl::StrJoin(std::get<std::vector<std::string>>(v), ", ",
                                             [](std::string* s, const std::string& x) { s->append(Quote(x)); }),
                          "]");
    case AttrKind::kTensor: return TensorLiteral(std::get<Tensor>(v), options);
    case AttrKind::kDims: return absl::StrCat("dims", DimsToString(std::get<std::vector<DimExpr>>(v)));
  }
  return "?";
}

std::string PrintNode(const Node& node, const PrintOptions& options) {
  std::vector<std::string> outs;
  for (int i = 0; i < node.num_outputs(); ++i) {
    const Value* v = node.output(i);
    outs.push_back(absl::StrCat(PrintValueName(v->name()), ": ", v->type().ToString()));
  }
  std::vector<std::string> ins;
  for (const Value* v : node.inputs()) ins.push_back(v ? PrintValueName(v->name()) : "none");
  std::string line = absl::StrCat(absl::StrJoin(outs, ", "), " = ", node.op_name(), "(",
                                  absl::StrJoin(ins, ", "), ")");
  if (!node.attrs().empty()) {
    std::vector<std::string> attrs;
    for (const auto& [name, value] : node.attrs().items()) {
      attrs.push_back(absl::StrCat(name, "=", PrintAttrValue(value, options)));
    }
    absl::StrAppend(&line, " {", absl::StrJoin(attrs, ", "), "}");
  }
  if (node.num_outputs() == 0 || node.name() != node.output(0)->name()) {
    absl::StrAppend(&line, " @", IsPlainName(node.name()) ? node.name() : Quote(node.name()));
  }
  return line;
}

namespace {

void PrintGraphInto(const Graph& graph, const PrintOptions& options, int indent,
                    std::string* out) {
  std::string pad(indent, ' ');
  std::vector<std::string> ins;
  for (const Value* v : graph.inputs()) {
    std::string in = absl::StrCat(PrintValueName(v->name()), ": ", v->type().ToString());
    if (v->sym_value()) {
      // A fused kernel's input holding a shape computed outside: its symbolic contents.
      std::vector<std::string> syms;
      for (const DimExpr& d : *v->sym_value()) syms.push_back(d.ToString());
      absl::StrAppend(&in, " = [", absl::StrJoin(syms, ", "), "]");
    }
    ins.push_back(std::move(in));
  }
  absl::StrAppend(out, pad, "graph ", IsPlainName(graph.name()) ? graph.name() : Quote(graph.name()),
                  "(", absl::StrJoin(ins, ", "), ") {\n");
  for (const DimConstraint& c : graph.constraints()) {
    absl::StrAppend(out, pad, "  assume ", c.ToString(), "\n");
  }
  for (const Node* n : graph.nodes()) {
    absl::StrAppend(out, pad, "  ", PrintNode(*n, options));
    if (n->body()) {
      absl::StrAppend(out, " body\n");
      PrintGraphInto(*n->body(), options, indent + 4, out);
    } else {
      absl::StrAppend(out, "\n");
    }
  }
  std::vector<std::string> outs;
  for (const Value* v : graph.outputs()) outs.push_back(PrintValueName(v->name()));
  absl::StrAppend(out, pad, "  return ", absl::StrJoin(outs, ", "), "\n", pad, "}\n");
}

}  // namespace

std::string PrintGraph(const Graph& graph, const PrintOptions& options) {
  std::string out;
  PrintGraphInto(graph, options, 0, &out);
  return out;
}

}  // namespace kiln
