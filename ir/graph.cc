#include "ir/graph.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "ir/check.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kiln {

bool TensorType::is_static() const {
  return std::all_of(dims.begin(), dims.end(), [](const DimExpr& d) { return d.is_const(); });
}

DimExpr TensorType::NumElements() const {
  DimExpr n(1);
  for (const DimExpr& d : dims) n = n * d;
  return n;
}

std::string TensorType::ToString() const {
  return absl::StrCat(DTypeName(dtype), DimsToString(dims));
}

std::string DimConstraint::ToString() const {
  return absl::StrCat(lhs.ToString(), kind == Kind::kEq ? " == " : " <= ", rhs.ToString());
}

void Node::SetInput(int i, Value* v) {
  if (Value* old = inputs_[i]) {
    auto& uses = old->uses_;
    auto it = std::find(uses.begin(), uses.end(), Use{this, i});
    if (it != uses.end()) uses.erase(it);
  }
  inputs_[i] = v;
  if (v) v->uses_.push_back(Use{this, i});
}

void Node::AddInput(Value* v) {
  inputs_.push_back(nullptr);
  SetInput(num_inputs() - 1, v);
}

int64_t Node::attr_int(absl::string_view name) const {
  if (const int64_t* v = attrs_.FindAs<int64_t>(name)) return *v;
  const AttrSpec* spec = info().FindAttr(name);
  KILN_CHECK(spec && spec->default_value) << "attribute " << name << " of " << op_name();
  return std::get<int64_t>(*spec->default_value);
}

float Node::attr_float(absl::string_view name) const {
  if (const float* v = attrs_.FindAs<float>(name)) return *v;
  const AttrSpec* spec = info().FindAttr(name);
  KILN_CHECK(spec && spec->default_value) << "attribute " << name << " of " << op_name();
  return std::get<float>(*spec->default_value);
}

std::string Node::attr_string(absl::string_view name) const {
  if (const std::string* v = attrs_.FindAs<std::string>(name)) return *v;
  const AttrSpec* spec = info().FindAttr(name);
  KILN_CHECK(spec && spec->default_value) << "attribute " << name << " of " << op_name();
  return std::get<std::string>(*spec->default_value);
}

std::optional<int64_t> Node::attr_int_opt(absl::string_view name) const {
  if (const int64_t* v = attrs_.FindAs<int64_t>(name)) return *v;
  return std::nullopt;
}

std::optional<float> Node::attr_float_opt(absl::string_view name) const {
  if (const float* v = attrs_.FindAs<float>(name)) return *v;
  return std::nullopt;
}

void Node::set_body(std::unique_ptr<Graph> body) { body_ = std::move(body); }

std::string Node::Describe() const {
  return absl::StrCat("node '", name_, "' (", op_name(), ")");
}

Graph::Graph(std::string name) : name_(std::move(name)) {}

Graph::~Graph() {
  // Drop uses first so node destruction order does not matter.
  for (auto& n : nodes_) n->inputs_.clear();
}

void Graph::RegisterValueName(Value* v) { values_by_name_[v->name_] = v; }

std::string Graph::UniqueValueName(absl::string_view base) {
  std::string b = base.empty() ? std::string("v") : std::string(base);
  if (!values_by_name_.contains(b)) return b;
  while (true) {
    std::string candidate = absl::StrCat(b, "_", ++name_counter_);
    if (!values_by_name_.contains(candidate)) return candidate;
  }
}

Value* Graph::FindValue(absl::string_view name) const {
  auto it = values_by_name_.find(name);
  return it == values_by_name_.end() ? nullptr : it->second;
}

absl::Status Graph::RenameValue(Value* v, std::string name) {
  if (v->name_ == name) return absl::OkStatus();
  if (values_by_name_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("value name '", name, "' is defined twice"));
  }
  values_by_name_.erase(v->name_);
  v->name_ = std::move(name);
  RegisterValueName(v);
  return absl::OkStatus();
}

Value* Graph::AddInput(std::string name, TensorType type) {
  auto v = std::make_unique<Value>();
  v->name_ = UniqueValueName(name);
  v->type_ = std::move(type);
  Value* raw = v.get();
  RegisterValueName(raw);
  inputs_.push_back(std::move(v));
  input_ptrs_.push_back(raw);
  return raw;
}

void Graph::AddOutput(Value* v) { outputs_.push_back(v); }
void Graph::SetOutput(int i, Value* v) { outputs_[i] = v; }
void Graph::ClearOutputs() { outputs_.clear(); }

Node* Graph::AddNode(OpKind op, absl::Span<Value* const> inputs, int num_outputs,
                     Attributes attrs, std::string name, Node* before) {
  std::unique_ptr<Node> node(new Node(op, this));
  Node* raw = node.get();
  raw->name_ = name.empty() ? absl::StrCat(raw->op_name(), "_", ++name_counter_) : name;
  raw->attrs_ = std::move(attrs);
  for (Value* v : inputs) raw->AddInput(v);
  for (int i = 0; i < num_outputs; ++i) {
    auto v = std::make_unique<Value>();
    v->name_ = UniqueValueName(num_outputs == 1 ? raw->name_ : absl::StrCat(raw->name_, "_", i));
    v->producer_ = raw;
    v->output_index_ = i;
    RegisterValueName(v.get());
    raw->outputs_.push_back(std::move(v));
  }
  auto pos = before ? before->position_ : nodes_.end();
  raw->position_ = nodes_.insert(pos, std::move(node));
  return raw;
}

Value* Graph::AddConstant(Tensor value, std::string name) {
  TensorType type{value.dtype(), {}};
  for (int64_t d : value.shape()) type.dims.push_back(DimExpr(d));
  Attributes attrs;
  attrs.Set("value", std::move(value));
  Node* first = nodes_.empty() ? nullptr : nodes_.front().get();
  Node* n = AddNode(OpKind::kConstant, {}, 1, std::move(attrs), std::move(name), first);
  n->output(0)->set_type(std::move(type));
  return n->output(0);
}

void Graph::RemoveNode(Node* node) {
  for (int i = 0; i < node->num_inputs(); ++i) node->SetInput(i, nullptr);
  for (auto& out : node->outputs_) {
    KILN_DCHECK(out->uses_.empty()) << "removing " << node->Describe() << " with live uses";
    values_by_name_.erase(out->name_);
  }
  nodes_.erase(node->position_);
}

void Graph::ReplaceAllUsesWith(Value* from, Value* to) {
  std::vector<Use> uses = from->uses_;
  for (const Use& u : uses) u.user->SetInput(u.index, to);
  for (Value*& o : outputs_) {
    if (o == from) o = to;
  }
}

void Graph::MoveBefore(Node* node, Node* before) {
  std::unique_ptr<Node> owned = std::move(*node->position_);
  nodes_.erase(node->position_);
  auto pos = before ? before->position_ : nodes_.end();
  node->position_ = nodes_.insert(pos, std::move(owned));
}

std::vector<Node*> Graph::NodeList() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n.get());
  return out;
}

absl::Status Graph::TopologicalSort() {
  // Kahn's algorithm, stable with respect to the current order.
  absl::flat_hash_map<const Node*, int> pending;
  std::vector<Node*> order = NodeList();
  std::vector<Node*> ready;
  for (Node* n : order) {
    int count = 0;
    for (Value* v : n->inputs_) {
      if (v && v->producer_) ++count;
    }
    pending[n] = count;
  }
  std::list<std::unique_ptr<Node>> sorted;
  std::vector<Node*> queue;
  for (Node* n : order) {
    if (pending[n] == 0) queue.push_back(n);
  }
  size_t head = 0;
  while (head < queue.size()) {
    Node* n = queue[head++];
    for (auto& out : n->outputs_) {
      for (const Use& u : out->uses_) {
        if (--pending[u.user] == 0) queue.push_back(u.user);
      }
    }
  }
  if (queue.size() != order.size()) {
    for (Node* n : order) {
      if (pending[n] > 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("graph has a cycle through ", n->Describe()));
      }
    }
  }
  std::vector<std::unique_ptr<Node>> owned;
  for (auto& n : nodes_) owned.push_back(std::move(n));
  nodes_.clear();
  absl::flat_hash_map<Node*, std::unique_ptr<Node>*> slot;
  for (auto& o : owned) slot[o.get()] = &o;
  for (Node* n : queue) {
    n->position_ = nodes_.insert(nodes_.end(), std::move(*slot[n]));
  }
  return absl::OkStatus();
}

std::unique_ptr<Graph> Graph::Clone() const {
  auto g = std::make_unique<Graph>(name_);
  absl::flat_hash_map<const Value*, Value*> map;
  for (Value* in : input_ptrs_) {
    Value* v = g->AddInput(in->name_, in->type_);
    v->sym_value_ = in->sym_value_;
    map[in] = v;
  }
  for (const auto& n : nodes_) {
    std::vector<Value*> ins;
    for (Value* v : n->inputs_) ins.push_back(v ? map.at(v) : nullptr);
    Node* c = g->AddNode(n->op_, ins, n->num_outputs(), n->attrs_, n->name_);
    for (int i = 0; i < n->num_outputs(); ++i) {
      Value* src = n->output(i);
      Value* dst = c->output(i);
      KILN_CHECK_OK(g->RenameValue(dst, src->name_));
      dst->type_ = src->type_;
      dst->sym_value_ = src->sym_value_;
      map[src] = dst;
    }
    if (n->body_) c->body_ = n->body_->Clone();
  }
  for (Value* o : outputs_) g->outputs_.push_back(map.at(o));
  g->constraints_ = constraints_;
  g->name_counter_ = name_counter_;
  return g;
}

}  // namespace kiln
