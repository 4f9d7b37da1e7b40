// Each DOT node gets a fresh id (n0, n1, ...), so names never need quoting in ids; every
// label goes through DotEscape. A value maps to the DOT node that produces it: a graph
// input, an op, or, for an op with a body, the body's node that computes that result.
#include "ir/dot_export.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/printer.h"

namespace kiln {
namespace {

// Constants with at most this many elements show their values.
constexpr int64_t kMaxShownElements = 4;

// Escapes one label line for a DOT double-quoted string.
std::string DotEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// A node or graph name as shown: as it is when printable ASCII, else C-escaped like the
// text form's quoted names (Graphviz rejects bytes that are not UTF-8).
std::string DisplayName(absl::string_view name) {
  for (char c : name) {
    if (c < 0x20 || c > 0x7e) return absl::CEscape(name);
  }
  return std::string(name);
}

// A quoted DOT string whose lines are centred.
std::string Label(const std::vector<std::string>& lines) {
  std::vector<std::string> escaped;
  for (const std::string& l : lines) escaped.push_back(DotEscape(l));
  return absl::StrCat("\"", absl::StrJoin(escaped, "\\n"), "\"");
}

absl::string_view FusionColor(FusionKind k) {
  switch (k) {
    case FusionKind::kElementwise:
    case FusionKind::kBroadcast: return "#e3f2d9";
    case FusionKind::kInjective: return "#fff4c2";
    case FusionKind::kReduction: return "#ffe0c2";
    case FusionKind::kOutFusable: return "#d6e6ff";
    case FusionKind::kOpaque: return "#eeeeee";
  }
  return "white";
}

std::string ValueLabel(const Value* v) {
  return Label({PrintValueName(v->name()), v->type().ToString()});
}

class DotWriter {
 public:
  std::string Run(const Graph& g) {
    absl::StrAppend(&out_, "digraph ", Label({DisplayName(g.name())}), " {\n",
                    "  graph [fontname=\"Helvetica\", fontsize=10];\n",
                    "  node [fontname=\"Helvetica\", fontsize=10];\n",
                    "  edge [fontname=\"Helvetica\", fontsize=8];\n");
    EmitGraph(g, "  ");
    for (size_t i = 0; i < g.outputs().size(); ++i) {
      const Value* v = g.outputs()[i];
      std::string id = NewId();
      absl::StrAppend(&out_, "  ", id, " [shape=house, style=filled, fillcolor=\"#dbeafe\", label=",
                      Label({absl::StrCat("output ", i), PrintValueName(v->name())}), "];\n");
      absl::StrAppend(&out_, "  ", Source(v, "  "), " -> ", id, " [label=", ValueLabel(v), "];\n");
    }
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  std::string NewId() { return absl::StrCat("n", next_id_++); }

  // The DOT node producing `v`. A broken graph (a use before its definition) gets a red
  // placeholder rather than a crash: a picture of a broken graph is when one is needed most.
  std::string Source(const Value* v, const std::string& pad) {
    auto it = source_.find(v);
    if (it != source_.end()) return it->second;
    std::string id = NewId();
    absl::StrAppend(&out_, pad, id, " [shape=octagon, color=red, label=",
                    Label({"undefined", PrintValueName(v->name())}), "];\n");
    source_[v] = id;
    return id;
  }

  // Inputs and nodes of `g` (not its outputs: a body's results feed the outer graph).
  void EmitGraph(const Graph& g, const std::string& pad) {
    for (const Value* in : g.inputs()) {
      std::string id = NewId();
      source_[in] = id;
      absl::StrAppend(
          &out_, pad, id,
          " [shape=invhouse, style=filled, fillcolor=\"#dbeafe\", label=", ValueLabel(in), "];\n");
    }
    for (const Node* n : g.nodes()) {
      if (n->op() == OpKind::kConstant) {
        EmitConstant(*n, pad);
      } else if (n->body() != nullptr) {
        EmitCluster(*n, pad);
      } else {
        EmitOp(*n, pad);
      }
    }
  }

  std::vector<std::string> OpLines(const Node& n) {
    std::vector<std::string> lines = {std::string(n.op_name()), DisplayName(n.name())};
    for (int i = 0; i < n.num_outputs(); ++i) lines.push_back(n.output(i)->type().ToString());
    return lines;
  }

  void EmitOp(const Node& n, const std::string& pad) {
    std::string id = NewId();
    absl::StrAppend(&out_, pad, id, " [shape=box, style=\"rounded,filled\", fillcolor=\"",
                    FusionColor(n.info().fusion), "\", label=", Label(OpLines(n)), "];\n");
    EmitInputEdges(n, pad, [&](int) { return id; });
    for (int i = 0; i < n.num_outputs(); ++i) source_[n.output(i)] = id;
  }

  void EmitConstant(const Node& n, const std::string& pad) {
    const Value* v = n.output(0);
    std::vector<std::string> lines = {PrintValueName(v->name()), v->type().ToString()};
    const Tensor* t = n.attrs().FindAs<Tensor>("value");
    if (t != nullptr && t->num_elements() <= kMaxShownElements) {
      std::string literal = PrintAttrValue(*t);
      lines.push_back(literal.substr(literal.find("> ") + 2));
    }
    std::string id = NewId();
    absl::StrAppend(&out_, pad, id,
                    " [shape=box, style=\"rounded,filled\", fillcolor=\"#dddddd\", "
                    "fontsize=8, height=0.2, label=",
                    Label(lines), "];\n");
    source_[v] = id;
  }

  // The body goes inside a cluster; input i flows into body input i and output i comes from
  // body result i. A node whose arity differs from its body's also gets a box of its own.
  void EmitCluster(const Node& n, const std::string& pad) {
    const Graph& body = *n.body();
    std::string inner = pad + "  ";
    absl::StrAppend(&out_, pad, "subgraph cluster_", NewId(), " {\n", inner,
                    "style=\"rounded,filled\"; fillcolor=\"#f7f7f7\"; label=", Label(OpLines(n)),
                    ";\n");
    EmitGraph(body, inner);
    std::string anchor;
    if (n.num_inputs() > static_cast<int>(body.inputs().size()) ||
        n.num_outputs() > static_cast<int>(body.outputs().size())) {
      anchor = NewId();
      absl::StrAppend(&out_, inner, anchor, " [shape=box, style=dashed, label=",
                      Label({std::string(n.op_name()), DisplayName(n.name())}), "];\n");
    }
    absl::StrAppend(&out_, pad, "}\n");
    EmitInputEdges(n, pad, [&](int i) {
      return i < static_cast<int>(body.inputs().size()) ? Source(body.inputs()[i], pad) : anchor;
    });
    for (int i = 0; i < n.num_outputs(); ++i) {
      source_[n.output(i)] =
          i < static_cast<int>(body.outputs().size()) ? Source(body.outputs()[i], pad) : anchor;
    }
  }

  template <typename TargetFn>
  void EmitInputEdges(const Node& n, const std::string& pad, TargetFn target) {
    for (int i = 0; i < n.num_inputs(); ++i) {
      const Value* v = n.input(i);
      if (v == nullptr) continue;
      absl::StrAppend(&out_, pad, Source(v, pad), " -> ", target(i), " [label=", ValueLabel(v),
                      "];\n");
    }
  }

  std::string out_;
  int next_id_ = 0;
  absl::flat_hash_map<const Value*, std::string> source_;
};

}  // namespace

std::string ExportDot(const Graph& graph) { return DotWriter().Run(graph); }

}  // namespace kiln
