// Greedy grouping (as TVM's FuseOps, without its post-dominator search): every producer ->
// consumer edge between two fusible nodes merges their groups unless a rule refuses, repeated
// until nothing merges (a merge can make an earlier refused pair legal). Rules:
//   - a group holds at most one reduction; elementwise ops join it as prologue or epilogue;
//   - injective ops join only groups that do elementwise or reduction work, so a pure layout
//     chain (Reshape -> Transpose) stays as it is for the backend to treat as a view;
//   - the groups, contracted to single nodes, must stay acyclic: merging A and B is refused when
//     a path leaves A or B and re-enters the other through an outside node or group.
// lower-device's mode (FusionPlanOptions::lowering) drops the injective rule (data movement
// must become a kernel too), emits every group holding a non-view node, and keeps a group
// without a reduction to outputs of one element count (the elementwise emitter iterates one
// domain). The greedy order can refuse a merge a later one would have made legal; that costs
// a kernel, never correctness.
// Groups are kept in a union-find; the cycle check walks the contracted graph forward from the
// merged pair, pruning groups that start after the pair's last member (they cannot reach back).
#include "passes/fusion_planner.h"

#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "passes/lower_device.h"

namespace kiln {

bool IsHostShapeWork(const Node& n) {
  for (int i = 0; i < n.num_outputs(); ++i) {
    if (n.output(i)->sym_value().has_value()) return true;
  }
  return false;
}

FusionRole RoleOf(const Node& n) {
  if (n.op() == OpKind::kConstant || n.op() == OpKind::kFusedKernel) return FusionRole::kNone;
  FusionRole role = FusionRole::kNone;
  switch (n.info().fusion) {
    case FusionKind::kElementwise:
    case FusionKind::kBroadcast: role = FusionRole::kElementwise; break;
    case FusionKind::kInjective: role = FusionRole::kInjective; break;
    case FusionKind::kReduction: role = FusionRole::kReduction; break;
    default: return FusionRole::kNone;
  }
  return IsHostShapeWork(n) ? FusionRole::kNone : role;
}

FusionRole RoleOf(const Node& n, const FusionPlanOptions& options) {
  if (options.lowering && n.op() == OpKind::kRange && !IsHostShapeWork(n)) {
    return FusionRole::kInjective;
  }
  return RoleOf(n);
}

namespace {

struct Group {
  std::vector<int> members;  // Node indices.
  int reductions = 0;
  int non_injective = 0;  // Elementwise and reduction members.
  int non_view = 0;       // Members that are not views.
  int min_pos = 0, max_pos = 0;
  std::string reduction;  // The name of its reduction, if any.
};

class Planner {
 public:
  Planner(const Graph& graph, const FusionPlanOptions& options)
      : options_(options),
        nodes_(graph.NodeList()),
        graph_outputs_(graph.outputs().begin(), graph.outputs().end()) {
    const int n = static_cast<int>(nodes_.size());
    absl::flat_hash_map<const Node*, int>& index = index_;
    for (int i = 0; i < n; ++i) index[nodes_[i]] = i;
    succ_.resize(n);
    parent_.resize(n);
    groups_.resize(n);
    for (int i = 0; i < n; ++i) {
      parent_[i] = i;
      roles_.push_back(RoleOf(*nodes_[i], options_));
      Group& g = groups_[i];
      g.members = {i};
      g.min_pos = g.max_pos = i;
      g.reductions = roles_[i] == FusionRole::kReduction;
      g.non_injective = roles_[i] == FusionRole::kElementwise || g.reductions;
      g.non_view = !IsViewNode(*nodes_[i]);
      if (g.reductions) g.reduction = nodes_[i]->name();
    }
    absl::flat_hash_set<std::pair<int, int>> seen;
    for (int j = 0; j < n; ++j) {
      for (const Value* v : nodes_[j]->inputs()) {
        if (v == nullptr || v->producer() == nullptr) continue;
        const int i = index.at(v->producer());
        if (!seen.insert({i, j}).second) continue;
        edges_.push_back({i, j});
        succ_[i].push_back(j);
      }
    }
  }

  void Run() {
    for (bool changed = true; changed;) {
      changed = false;
      for (auto [p, c] : edges_) {
        if (!Candidate(p) || !Candidate(c) || Find(p) == Find(c)) continue;
        if (Refusal(p, c)) continue;
        Merge(Find(p), Find(c));
        changed = true;
      }
    }
  }

  // Notes why each pair of neighbours in different groups did not fuse.
  void NoteRefusals(PassContext& ctx) {
    for (auto [p, c] : edges_) {
      if (Find(p) == Find(c)) continue;
      std::optional<std::string> why;
      if (Candidate(p) && Candidate(c)) {
        why = Refusal(p, c);
      } else if (options_.lowering) {
        // Opaque neighbours are what lowering leaves in place: nothing to explain.
      } else if (Candidate(p) && Emitted(p) && nodes_[c]->op() != OpKind::kConstant) {
        why = Excluded(*nodes_[c]);
      } else if (Candidate(c) && Emitted(c) && nodes_[p]->op() != OpKind::kConstant) {
        why = Excluded(*nodes_[p]);
      }
      if (why) {
        ctx.Note(absl::StrCat(options_.pass_name, ": ", nodes_[p]->name(), " + ",
                              nodes_[c]->name(), ": ", *why));
      }
    }
  }

  std::vector<std::vector<Node*>> EmittedGroups() {
    std::vector<std::pair<int, std::vector<Node*>>> by_pos;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
      if (Find(i) != i || !Candidate(i) || !Emitted(i)) continue;
      std::vector<int> members = groups_[i].members;
      std::sort(members.begin(), members.end());
      std::vector<Node*> nodes;
      for (int m : members) nodes.push_back(nodes_[m]);
      by_pos.emplace_back(members.front(), std::move(nodes));
    }
    std::sort(by_pos.begin(), by_pos.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::vector<Node*>> out;
    for (auto& [pos, nodes] : by_pos) out.push_back(std::move(nodes));
    return out;
  }

 private:
  bool Candidate(int i) const { return roles_[i] != FusionRole::kNone; }
  bool Emitted(int i) {
    const Group& g = groups_[Find(i)];
    return options_.lowering ? g.non_view > 0 : g.non_injective > 0;
  }

  int Find(int i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }

  void Merge(int a, int b) {
    if (groups_[a].members.size() < groups_[b].members.size()) std::swap(a, b);
    Group& ga = groups_[a];
    Group& gb = groups_[b];
    ga.members.insert(ga.members.end(), gb.members.begin(), gb.members.end());
    ga.reductions += gb.reductions;
    ga.non_injective += gb.non_injective;
    ga.non_view += gb.non_view;
    ga.min_pos = std::min(ga.min_pos, gb.min_pos);
    ga.max_pos = std::max(ga.max_pos, gb.max_pos);
    if (ga.reduction.empty()) ga.reduction = gb.reduction;
    gb = Group();
    parent_[b] = a;
  }

  static std::string Excluded(const Node& n) {
    if (IsHostShapeWork(n)) return absl::StrCat(n.name(), " is host shape work");
    return absl::StrCat(n.name(), " (", n.op_name(), ") is opaque");
  }

  // Why the groups of neighbours p -> c may not merge, or nullopt when they may.
  std::optional<std::string> Refusal(int p, int c) {
    const int a = Find(p), b = Find(c);
    const Group& ga = groups_[a];
    const Group& gb = groups_[b];
    if (ga.reductions + gb.reductions > 1) {
      return absl::StrCat("a kernel holds at most one reduction (", ga.reduction, ", ",
                          gb.reduction, ")");
    }
    if (!options_.lowering && ga.non_injective + gb.non_injective == 0) {
      return std::string(
          "injective ops fuse only into a kernel with elementwise or reduction work");
    }
    // The elementwise emitter iterates one domain; a row-reduction kernel has its own
    // output rules (e.g. a pooler's first-token select), so only reduction-free groups.
    if (options_.lowering && ga.reductions + gb.reductions == 0) {
      if (std::optional<std::string> why = MixedOutputSizes(a, b)) return why;
    }
    if (const Node* via = CycleVia(a, b)) {
      return absl::StrCat("fusing would form a cycle through ", via->name(), " (", via->op_name(),
                          ")");
    }
    return std::nullopt;
  }

  // Why the merged groups a and b would have outputs (values used outside it or returned)
  // of different element counts, or nullopt.
  std::optional<std::string> MixedOutputSizes(int a, int b) {
    const Value* first = nullptr;
    for (int g : {a, b}) {
      for (int m : groups_[g].members) {
        const Node* n = nodes_[m];
        for (int o = 0; o < n->num_outputs(); ++o) {
          const Value* v = n->output(o);
          bool escapes = graph_outputs_.contains(v);
          for (const Use& u : v->uses()) {
            const int gu = Find(index_.at(u.user));
            escapes |= gu != a && gu != b;
          }
          if (!escapes) continue;
          if (first == nullptr) {
            first = v;
          } else if (v->type().NumElements() != first->type().NumElements()) {
            return absl::StrCat("one kernel cannot write ", first->name(), " (",
                                first->type().ToString(), ") and ", v->name(), " (",
                                v->type().ToString(), ")");
          }
        }
      }
    }
    return std::nullopt;
  }

  // A node outside groups a and b on a path from one to the other, or null.
  const Node* CycleVia(int a, int b) {
    const int last = std::max(groups_[a].max_pos, groups_[b].max_pos);
    absl::flat_hash_set<int> visited;
    std::vector<int> stack;
    for (int g : {a, b}) {
      for (int m : groups_[g].members) {
        for (int s : succ_[m]) {
          const int gs = Find(s);
          if (gs != a && gs != b && groups_[gs].min_pos <= last && visited.insert(gs).second) {
            stack.push_back(gs);
          }
        }
      }
    }
    while (!stack.empty()) {
      const int g = stack.back();
      stack.pop_back();
      for (int m : groups_[g].members) {
        for (int s : succ_[m]) {
          const int gs = Find(s);
          if (gs == a || gs == b) return nodes_[m];
          if (groups_[gs].min_pos <= last && visited.insert(gs).second) stack.push_back(gs);
        }
      }
    }
    return nullptr;
  }

  const FusionPlanOptions& options_;
  std::vector<Node*> nodes_;
  absl::flat_hash_set<const Value*> graph_outputs_;
  absl::flat_hash_map<const Node*, int> index_;
  std::vector<FusionRole> roles_;
  std::vector<std::vector<int>> succ_;
  std::vector<std::pair<int, int>> edges_;
  std::vector<int> parent_;
  std::vector<Group> groups_;
};

}  // namespace

std::vector<std::vector<Node*>> PlanFusionGroups(const Graph& graph, PassContext& ctx,
                                                 const FusionPlanOptions& options) {
  Planner planner(graph, options);
  planner.Run();
  planner.NoteRefusals(ctx);
  return planner.EmittedGroups();
}

}  // namespace kiln
