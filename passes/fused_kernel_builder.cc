// Building FusedKernel nodes from groups of nodes, shared by fuse-elementwise and lower-device.
//
// The body's inputs are the values the group reads from outside (one per distinct value, named
// as outside, carrying their symbolic contents so a Reshape to a computed shape infers the same
// type); small constants and every integer constant are copied into the body instead, so axes
// and shapes stay visible to inference. Its outputs are the group values used outside or
// returned by the graph. Each body is re-inferred (recording the constraints its ops assume, as
// parsing its printed form would) and verified before it is attached. The node takes over the
// output values' names and the members are erased; callers re-sort the graph stably afterwards
// (a kernel can need to move past an unrelated user of one of its members).
#include "passes/fused_kernel_builder.h"

#include <queue>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/shape_inference.h"
#include "ir/status_macros.h"
#include "passes/fusion_planner.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

// Constants up to this many elements (and all integer ones) are copied into bodies.
constexpr int64_t kMaxInlinedElements = 64;

bool InlinesConstant(const Value* v) {
  const Tensor* t = ConstantOf(v);
  if (t == nullptr) return false;
  return !IsFloat(t->dtype()) || t->num_elements() <= kMaxInlinedElements;
}

// Body nodes are created under this name, so their outputs' provisional names cannot take an
// outside name that a later body value is renamed to.
constexpr char kTempName[] = "__kiln_fusing__";

// Copies value `from`'s name, type and symbolic contents onto body value `to`.
absl::Status Mirror(Graph& body, const Value* from, Value* to) {
  RETURN_IF_ERROR(body.RenameValue(to, from->name()));
  to->set_type(from->type());
  to->set_sym_value(from->sym_value());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Graph>> BuildFusedBody(const Graph& graph,
                                                      const std::vector<Node*>& members,
                                                      std::vector<Value*>* inputs,
                                                      std::vector<Value*>* outputs) {
  absl::flat_hash_set<const Node*> in_group(members.begin(), members.end());
  auto body = std::make_unique<Graph>("fused");
  absl::flat_hash_map<const Value*, Value*> map;
  for (const Node* m : members) {
    for (Value* v : m->inputs()) {
      if (v == nullptr || map.contains(v) || in_group.contains(v->producer())) continue;
      if (InlinesConstant(v)) {
        Node* c = body->AddNode(OpKind::kConstant, {}, 1, v->producer()->attrs(), kTempName);
        c->set_name(v->producer()->name());
        RETURN_IF_ERROR(Mirror(*body, v, c->output(0)));
        map[v] = c->output(0);
      } else {
        Value* in = body->AddInput(v->name(), v->type());
        in->set_sym_value(v->sym_value());
        map[v] = in;
        inputs->push_back(v);
      }
    }
  }
  absl::flat_hash_set<const Value*> graph_outputs(graph.outputs().begin(), graph.outputs().end());
  for (const Node* m : members) {
    std::vector<Value*> ins;
    for (Value* v : m->inputs()) ins.push_back(v ? map.at(v) : nullptr);
    Node* c = body->AddNode(m->op(), ins, m->num_outputs(), m->attrs(), kTempName);
    c->set_name(m->name());
    for (int i = 0; i < m->num_outputs(); ++i) {
      Value* o = m->output(i);
      RETURN_IF_ERROR(Mirror(*body, o, c->output(i)));
      map[o] = c->output(i);
      bool escapes = graph_outputs.contains(o);
      for (const Use& u : o->uses()) escapes |= !in_group.contains(u.user);
      if (!escapes) continue;
      body->AddOutput(c->output(i));
      outputs->push_back(o);
    }
  }
  // Re-infer once so the body records the constraints its ops assume (as parsing it would),
  // then check it infers the types it was built with.
  absl::Status s = InferShapes(*body);
  if (s.ok()) s = VerifyGraph(*body);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("the body fused from ", members.front()->Describe(),
                                            " does not verify: ", s.message()));
  }
  return body;
}

namespace {

// The name of a group's kernel: its reduction's, else its first elementwise member's.
std::string KernelName(const std::vector<Node*>& members) {
  const Node* named = nullptr;
  for (const Node* m : members) {
    FusionRole r = RoleOf(*m);
    if (r == FusionRole::kReduction) return absl::StrCat("fused_", m->name());
    if (named == nullptr && r == FusionRole::kElementwise) named = m;
  }
  return absl::StrCat("fused_", (named ? named : members.front())->name());
}

}  // namespace

absl::StatusOr<Node*> EmitFusedKernel(Graph& graph, const std::vector<Node*>& members) {
  std::vector<Value*> inputs, outputs;
  ASSIGN_OR_RETURN(std::unique_ptr<Graph> body, BuildFusedBody(graph, members, &inputs, &outputs));
  Node* kernel = graph.AddNode(OpKind::kFusedKernel, inputs, static_cast<int>(outputs.size()), {},
                               KernelName(members), members.back());
  kernel->set_body(std::move(body));
  ShapeEnv env;
  for (Value* in : graph.inputs()) env.AddSymbolsOf(in->type());
  // On failure the graph is left as it was (lower-device then retries smaller groups).
  absl::Status inferred = InferNode(*kernel, env);
  for (size_t i = 0; inferred.ok() && i < outputs.size(); ++i) {
    const TensorType& got = kernel->output(static_cast<int>(i))->type();
    if (got != outputs[i]->type()) {
      inferred = absl::InternalError(absl::StrCat(kernel->Describe(), ": output ", i, " has type ",
                                                  got.ToString(), ", the fused value ",
                                                  outputs[i]->type().ToString()));
    }
  }
  if (!inferred.ok()) {
    graph.RemoveNode(kernel);
    return inferred;
  }
  absl::flat_hash_set<const Node*> in_group(members.begin(), members.end());
  for (size_t i = 0; i < outputs.size(); ++i) {
    Value* old_value = outputs[i];
    Value* new_value = kernel->output(static_cast<int>(i));
    std::vector<Use> uses = old_value->uses();
    for (const Use& u : uses) {
      if (!in_group.contains(u.user)) u.user->SetInput(u.index, new_value);
    }
    for (int j = 0; j < static_cast<int>(graph.outputs().size()); ++j) {
      if (graph.outputs()[j] == old_value) graph.SetOutput(j, new_value);
    }
    std::string name = old_value->name();
    RETURN_IF_ERROR(graph.RenameValue(old_value, graph.UniqueValueName(name + "_unfused")));
    RETURN_IF_ERROR(graph.RenameValue(new_value, name));
  }
  std::vector<Value*> dead_constants;
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    for (Value* v : (*it)->inputs()) {
      if (ConstantOf(v) != nullptr) dead_constants.push_back(v);
    }
    graph.RemoveNode(*it);
  }
  EraseDeadProducers(graph, dead_constants);
  return kernel;
}

// Kahn's algorithm taking the earliest ready node first, so an already valid order is kept and
// otherwise nodes move as little as possible.
absl::Status StableTopologicalSort(Graph& graph) {
  std::vector<Node*> order = graph.NodeList();
  absl::flat_hash_map<const Node*, int> pos, pending;
  for (int i = 0; i < static_cast<int>(order.size()); ++i) pos[order[i]] = i;
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (Node* n : order) {
    int count = 0;
    for (const Value* v : n->inputs()) count += v != nullptr && v->producer() != nullptr;
    pending[n] = count;
    if (count == 0) ready.push(pos[n]);
  }
  std::vector<Node*> sorted;
  while (!ready.empty()) {
    Node* n = order[ready.top()];
    ready.pop();
    sorted.push_back(n);
    for (int i = 0; i < n->num_outputs(); ++i) {
      for (const Use& u : n->output(i)->uses()) {
        if (--pending[u.user] == 0) ready.push(pos[u.user]);
      }
    }
  }
  if (sorted.size() != order.size()) {
    return absl::InternalError("fusion created a cycle between kernels");
  }
  for (Node* n : sorted) graph.MoveBefore(n, nullptr);
  return absl::OkStatus();
}

absl::Status InlineFusedKernel(Graph& graph, Node* kernel) {
  const Graph* body = kernel->body();
  if (body == nullptr) return absl::InternalError(kernel->Describe() + " has no body");
  absl::flat_hash_map<const Value*, Value*> map;
  for (int k = 0; k < static_cast<int>(body->inputs().size()); ++k) {
    map[body->inputs()[k]] = kernel->input(k);
  }
  for (const Node* n : body->nodes()) {
    std::vector<Value*> ins;
    for (const Value* v : n->inputs()) ins.push_back(v ? map.at(v) : nullptr);
    Node* c = graph.AddNode(n->op(), ins, n->num_outputs(), n->attrs(), n->name(), kernel);
    for (int i = 0; i < n->num_outputs(); ++i) {
      c->output(i)->set_type(n->output(i)->type());
      c->output(i)->set_sym_value(n->output(i)->sym_value());
      map[n->output(i)] = c->output(i);
    }
  }
  for (int i = 0; i < kernel->num_outputs(); ++i) {
    RETURN_IF_ERROR(ReplaceValue(graph, kernel->output(i), map.at(body->outputs()[i])));
  }
  graph.RemoveNode(kernel);
  return absl::OkStatus();
}

}  // namespace kiln
