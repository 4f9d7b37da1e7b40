// Recursive descent over the statements of ir/printer.h's text form. Names are resolved as
// they are read, so a use must follow its definition (the printer emits execution order).
// Node outputs are left untyped until shape inference runs over the finished graph: the first
// untyped node after a failed InferShapes is then the one that failed, which gives the error
// its line without duplicating the inference driver. The printed types are compared after.
#include "ir/parser.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/parse_literals.h"
#include "ir/printer.h"
#include "ir/shape_inference.h"
#include "ir/status_macros.h"
#include "ir/text_cursor.h"

namespace kiln {
namespace {

// Body graphs nest at most this deep (the parser recurses once per level).
constexpr int kMaxBodyDepth = 16;

// A value's type as printed, checked against shape inference once the graph is complete.
struct PrintedValue {
  Value* value;
  TensorType type;
  size_t pos;
};

// The parse state of one graph (the top level or a node's body).
struct Scope {
  std::unique_ptr<Graph> graph;
  absl::flat_hash_map<std::string, size_t> defined;  // Value name -> where it is defined.
  std::vector<PrintedValue> printed;
  absl::flat_hash_map<const Node*, size_t> node_pos;
  std::vector<size_t> constraint_pos;
};

// One output of a node statement, before the node exists.
struct OutputDecl {
  std::string name;
  TensorType type;
  size_t pos;
};

class Parser {
 public:
  Parser(absl::string_view text, const ParseOptions& options) : c_(text), options_(options) {}

  absl::StatusOr<std::unique_ptr<Graph>> ParseTop() {
    ASSIGN_OR_RETURN(std::unique_ptr<Graph> graph, ParseGraphBlock(0));
    if (!c_.AtEnd()) return c_.Error(absl::StrCat("unexpected text after the graph: ", c_.Found()));
    return graph;
  }

 private:
  absl::StatusOr<std::unique_ptr<Graph>> ParseGraphBlock(int depth);
  absl::Status ParseHeader(Scope& s);
  absl::Status ParseConstraint(Scope& s, size_t pos);
  absl::StatusOr<std::vector<DimExpr>> ParseSymbolicContents(const TensorType& type, size_t pos);
  absl::Status ParseReturn(Scope& s);
  absl::Status ParseNode(Scope& s, int depth);
  absl::Status ParseOutputDecls(Scope& s, std::vector<OutputDecl>* outs);
  absl::Status ParseInputs(Scope& s, std::vector<Value*>* inputs);
  absl::Status ParseAttrs(const OpInfo& info, Attributes* attrs);
  absl::Status NameOutputs(Graph& g, Node* n, const std::vector<OutputDecl>& outs);
  absl::Status InferAndCheck(Scope& s);

  // "%name" or %"quoted name"; returns the name.
  absl::StatusOr<std::string> ReadValueName() {
    RETURN_IF_ERROR(c_.Expect('%', "before a value name"));
    size_t pos = c_.Mark();
    ASSIGN_OR_RETURN(std::string name, c_.ReadName("a value name"));
    if (name.empty()) return c_.ErrorAt(pos, "value names must not be empty");
    return name;
  }

  // Fails if `name` is already defined in the scope; records its definition otherwise.
  absl::Status Define(Scope& s, const std::string& name, size_t pos) {
    auto [it, inserted] = s.defined.try_emplace(name, pos);
    if (inserted) return absl::OkStatus();
    return c_.ErrorAt(pos, absl::StrCat("value ", PrintValueName(name), " is already defined at ",
                                        c_.Where(it->second)));
  }

  absl::StatusOr<Value*> Lookup(Scope& s, const std::string& name, size_t pos) {
    if (s.defined.contains(name)) {
      if (Value* v = s.graph->FindValue(name)) return v;
    }
    return c_.ErrorAt(
        pos, absl::StrCat("value ", PrintValueName(name), " is not defined before this use"));
  }

  TextCursor c_;
  ParseOptions options_;
};

absl::StatusOr<std::unique_ptr<Graph>> Parser::ParseGraphBlock(int depth) {
  if (depth > kMaxBodyDepth) {
    return c_.Error(absl::StrCat("body graphs are nested more than ", kMaxBodyDepth, " deep"));
  }
  Scope s;
  RETURN_IF_ERROR(ParseHeader(s));
  while (true) {
    size_t pos = c_.Mark();
    if (c_.TryConsumeWord("assume")) {
      RETURN_IF_ERROR(ParseConstraint(s, pos));
    } else if (c_.TryConsumeWord("return")) {
      RETURN_IF_ERROR(ParseReturn(s));
      break;
    } else if (c_.Peek() == '%' || c_.Peek() == '=') {
      RETURN_IF_ERROR(ParseNode(s, depth));
    } else if (c_.AtEnd()) {
      return c_.Error(absl::StrCat("the text ends inside graph '", s.graph->name(),
                                   "' (expected 'return' and '}')"));
    } else {
      return c_.Error(absl::StrCat("expected a node, 'assume' or 'return', found ", c_.Found()));
    }
  }
  RETURN_IF_ERROR(InferAndCheck(s));
  return std::move(s.graph);
}

absl::Status Parser::ParseHeader(Scope& s) {
  if (!c_.TryConsumeWord("graph")) {
    return c_.Error(absl::StrCat("expected 'graph', found ", c_.Found()));
  }
  ASSIGN_OR_RETURN(std::string name, c_.ReadName("a graph name"));
  s.graph = std::make_unique<Graph>(std::move(name));
  RETURN_IF_ERROR(c_.Expect('(', "after the graph name"));
  if (!c_.TryConsume(')')) {
    do {
      size_t pos = c_.Mark();
      ASSIGN_OR_RETURN(std::string in, ReadValueName());
      RETURN_IF_ERROR(c_.Expect(':', "after the graph input's name"));
      ASSIGN_OR_RETURN(TensorType type, ParseTensorType(c_));
      RETURN_IF_ERROR(Define(s, in, pos));
      Value* v = s.graph->AddInput(in, type);
      if (c_.TryConsume('=')) {
        ASSIGN_OR_RETURN(std::vector<DimExpr> syms, ParseSymbolicContents(type, pos));
        v->set_sym_value(std::move(syms));
      }
      s.printed.push_back(PrintedValue{v, std::move(type), pos});
    } while (c_.TryConsume(','));
    RETURN_IF_ERROR(c_.Expect(')', "or ',' after the graph inputs"));
  }
  return c_.Expect('{', "to open the graph");
}

// `[d0, d1, ...]` after a graph input's type: the contents of a small integer tensor.
absl::StatusOr<std::vector<DimExpr>> Parser::ParseSymbolicContents(const TensorType& type,
                                                                  size_t pos) {
  RETURN_IF_ERROR(c_.Expect('[', "to open the input's symbolic contents"));
  std::vector<DimExpr> values;
  if (!c_.TryConsume(']')) {
    do {
      if (values.size() >= static_cast<size_t>(kMaxSymValueElements)) {
        return c_.ErrorAt(pos, absl::StrCat("symbolic contents hold at most ",
                                            kMaxSymValueElements, " values"));
      }
      ASSIGN_OR_RETURN(DimExpr d, ParseDimExpr(c_));
      values.push_back(std::move(d));
    } while (c_.TryConsume(','));
    RETURN_IF_ERROR(c_.Expect(']', "or ',' in the input's symbolic contents"));
  }
  std::optional<int64_t> count = type.NumElements().as_const();
  if (!(IsInteger(type.dtype) || type.dtype == DType::kBool) || !count ||
      *count != static_cast<int64_t>(values.size())) {
    return c_.ErrorAt(pos, absl::StrCat("symbolic contents of ", values.size(),
                                        " values do not fit ", type.ToString()));
  }
  return values;
}

absl::Status Parser::ParseConstraint(Scope& s, size_t pos) {
  ASSIGN_OR_RETURN(DimExpr lhs, ParseDimExpr(c_));
  DimConstraint::Kind kind;
  if (c_.TryConsumeText("==")) {
    kind = DimConstraint::Kind::kEq;
  } else if (c_.TryConsumeText("<=")) {
    kind = DimConstraint::Kind::kLe;
  } else {
    return c_.Error(absl::StrCat("expected '==' or '<=' in 'assume', found ", c_.Found()));
  }
  ASSIGN_OR_RETURN(DimExpr rhs, ParseDimExpr(c_));
  if (auto slack = (rhs - lhs).as_const();
      slack && (kind == DimConstraint::Kind::kEq ? *slack != 0 : *slack < 0)) {
    return c_.ErrorAt(pos, "this assumption can never hold");
  }
  s.graph->constraints().push_back(
      DimConstraint{std::move(lhs), kind, std::move(rhs), absl::StrCat("IR text ", c_.Where(pos))});
  s.constraint_pos.push_back(pos);
  return absl::OkStatus();
}

absl::Status Parser::ParseReturn(Scope& s) {
  if (c_.Peek() == '%') {
    do {
      size_t pos = c_.Mark();
      ASSIGN_OR_RETURN(std::string name, ReadValueName());
      ASSIGN_OR_RETURN(Value * v, Lookup(s, name, pos));
      s.graph->AddOutput(v);
    } while (c_.TryConsume(','));
  }
  return c_.Expect('}', "to close the graph after 'return'");
}

absl::Status Parser::ParseOutputDecls(Scope& s, std::vector<OutputDecl>* outs) {
  if (c_.Peek() == '=') return absl::OkStatus();
  do {
    size_t pos = c_.Mark();
    ASSIGN_OR_RETURN(std::string name, ReadValueName());
    RETURN_IF_ERROR(c_.Expect(':', "after the output's name"));
    ASSIGN_OR_RETURN(TensorType type, ParseTensorType(c_));
    RETURN_IF_ERROR(Define(s, name, pos));
    outs->push_back(OutputDecl{std::move(name), std::move(type), pos});
  } while (c_.TryConsume(','));
  return absl::OkStatus();
}

absl::Status Parser::ParseInputs(Scope& s, std::vector<Value*>* inputs) {
  RETURN_IF_ERROR(c_.Expect('(', "after the op name"));
  if (c_.TryConsume(')')) return absl::OkStatus();
  do {
    size_t pos = c_.Mark();
    if (c_.TryConsumeWord("none")) {
      inputs->push_back(nullptr);
      continue;
    }
    ASSIGN_OR_RETURN(std::string name, ReadValueName());
    ASSIGN_OR_RETURN(Value * v, Lookup(s, name, pos));
    inputs->push_back(v);
  } while (c_.TryConsume(','));
  return c_.Expect(')', "or ',' after the node's inputs");
}

absl::Status Parser::ParseAttrs(const OpInfo& info, Attributes* attrs) {
  RETURN_IF_ERROR(c_.Expect('{', "to open the attributes"));
  if (c_.TryConsume('}')) return absl::OkStatus();
  do {
    size_t pos = c_.Mark();
    ASSIGN_OR_RETURN(absl::string_view name, c_.ReadWord("an attribute name"));
    const AttrSpec* spec = info.FindAttr(name);
    if (spec == nullptr) {
      std::vector<std::string> known;
      for (const AttrSpec& a : info.attrs) known.push_back(a.name);
      return c_.ErrorAt(pos,
                        absl::StrCat(info.name, " has no attribute '", name, "' (its attributes: ",
                                     known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
    }
    if (attrs->Has(name)) {
      return c_.ErrorAt(pos, absl::StrCat("attribute '", name, "' is given twice"));
    }
    RETURN_IF_ERROR(c_.Expect('=', "after the attribute name"));
    ASSIGN_OR_RETURN(AttrValue value, ParseAttrValue(c_, spec->kind, name, options_.external_tensors));
    attrs->Set(name, std::move(value));
  } while (c_.TryConsume(','));
  return c_.Expect('}', "or ',' after the attributes");
}

// Gives the node's outputs their printed names. AddNode named them after the node, so a
// sibling output may hold a name for now; it is moved aside until its own turn.
absl::Status Parser::NameOutputs(Graph& g, Node* n, const std::vector<OutputDecl>& outs) {
  for (int i = 0; i < n->num_outputs(); ++i) {
    Value* v = n->output(i);
    if (Value* holder = g.FindValue(outs[i].name); holder && holder != v) {
      RETURN_IF_ERROR(g.RenameValue(holder, g.UniqueValueName(outs[i].name)));
    }
    RETURN_IF_ERROR(g.RenameValue(v, outs[i].name));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseNode(Scope& s, int depth) {
  size_t node_pos = c_.Mark();
  std::vector<OutputDecl> outs;
  RETURN_IF_ERROR(ParseOutputDecls(s, &outs));
  RETURN_IF_ERROR(c_.Expect('=', "after the node's outputs"));
  size_t op_pos = c_.Mark();
  ASSIGN_OR_RETURN(absl::string_view op_name, c_.ReadWord("an op name"));
  std::optional<OpKind> op = LookupOp(op_name);
  if (!op) return c_.ErrorAt(op_pos, absl::StrCat("unknown op '", op_name, "'"));
  std::vector<Value*> inputs;
  RETURN_IF_ERROR(ParseInputs(s, &inputs));
  Attributes attrs;
  if (c_.Peek() == '{') RETURN_IF_ERROR(ParseAttrs(GetOpInfo(*op), &attrs));
  std::string name = outs.empty() ? "" : outs[0].name;
  if (c_.TryConsume('@')) {
    ASSIGN_OR_RETURN(name, c_.ReadName("a node name"));
  }
  Graph& g = *s.graph;
  Node* n = g.AddNode(*op, inputs, static_cast<int>(outs.size()), std::move(attrs), name);
  n->set_name(name);  // AddNode invents a name for an empty one.
  RETURN_IF_ERROR(NameOutputs(g, n, outs));
  for (int i = 0; i < n->num_outputs(); ++i) {
    s.printed.push_back(PrintedValue{n->output(i), std::move(outs[i].type), outs[i].pos});
  }
  s.node_pos[n] = node_pos;
  if (absl::Status st = CheckNodeSignature(*n); !st.ok()) return c_.Annotate(node_pos, st);
  if (c_.TryConsumeWord("body")) {
    ASSIGN_OR_RETURN(std::unique_ptr<Graph> body, ParseGraphBlock(depth + 1));
    n->set_body(std::move(body));
  }
  return absl::OkStatus();
}

absl::Status Parser::InferAndCheck(Scope& s) {
  Graph& g = *s.graph;
  if (!options_.infer_shapes) {
    for (PrintedValue& p : s.printed) p.value->set_type(p.type);
    return absl::OkStatus();
  }
  // Equalities are unified before any node; check them here so a failure names its line.
  ShapeEnv env;
  for (const Value* in : g.inputs()) env.AddSymbolsOf(in->type());
  for (size_t i = 0; i < g.constraints().size(); ++i) {
    const DimConstraint& c = g.constraints()[i];
    if (c.kind != DimConstraint::Kind::kEq) continue;
    if (absl::Status st = env.Unify(c.lhs, c.rhs, "assume"); !st.ok()) {
      return c_.Annotate(s.constraint_pos[i], st);
    }
  }
  if (absl::Status st = InferShapes(g); !st.ok()) {
    for (const Node* n : g.nodes()) {
      for (int i = 0; i < n->num_outputs(); ++i) {
        if (!n->output(i)->has_type()) return c_.Annotate(s.node_pos.at(n), st);
      }
    }
    return st;
  }
  for (const PrintedValue& p : s.printed) {
    if (p.value->type() != p.type) {
      return c_.ErrorAt(p.pos,
                        absl::StrCat("value ", PrintValueName(p.value->name()), " is printed as ",
                                     p.type.ToString(), " but shape inference gives ",
                                     p.value->type().ToString()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Graph>> ParseGraph(absl::string_view text,
                                                  const ParseOptions& options) {
  return Parser(text, options).ParseTop();
}

}  // namespace kiln
