// Thunk program construction: one pass over the lowered graph in order. Views alias their
// input's storage (copied when the view is itself a graph output), shape arithmetic stays on
// the host, and every other node must be a FusedKernel, FusedAttention or FusedMatMul.
#include "runtime/engine/thunks.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"
#include "passes/lower_device.h"

namespace kiln {
namespace {

bool IsHostValue(const Value* v) { return v->sym_value().has_value(); }

class ProgramBuilder {
 public:
  explicit ProgramBuilder(const Plan& plan) : plan_(plan) {}

  absl::StatusOr<ThunkProgram> Build() {
    const Graph& g = *plan_.graph;
    for (int i = 0; i < static_cast<int>(g.inputs().size()); ++i) {
      p_.storage[g.inputs()[i]] = Storage{Storage::Kind::kInput, i, 0};
    }
    for (int i = 0; i < static_cast<int>(g.outputs().size()); ++i) {
      output_index_.emplace(g.outputs()[i], i);  // The first occurrence wins.
    }
    for (const MemoryPlan::Entry& e : plan_.memory.entries) arena_offset_[e.value] = e.offset;
    for (const Node* n : g.nodes()) RETURN_IF_ERROR(Visit(*n));
    // Outputs no thunk wrote (a graph input, a weight, a repeated output): copy them.
    for (int i = 0; i < static_cast<int>(g.outputs().size()); ++i) {
      const Value* v = g.outputs()[i];
      if (output_index_.at(v) == i && written_.contains(v)) continue;
      if (IsHostValue(v)) {
        p_.host_outputs.push_back(i);
        continue;
      }
      Thunk t{Thunk::Kind::kCopy, nullptr, -1, {v}, absl::StrCat("copy to output ", i), i};
      p_.thunks.push_back(std::move(t));
    }
    return std::move(p_);
  }

 private:
  absl::Status Visit(const Node& n) {
    if (n.op() == OpKind::kConstant) {
      p_.storage[n.output(0)] = Storage{Storage::Kind::kWeight,
                                        static_cast<int>(p_.weights.size()), 0};
      p_.weights.push_back(n.output(0));
      return absl::OkStatus();
    }
    if (IsHostValueNode(n)) {
      for (int i = 0; i < n.num_outputs(); ++i) {
        p_.storage[n.output(i)] = Storage{Storage::Kind::kHost, -1, 0};
      }
      return absl::OkStatus();
    }
    if (IsViewNode(n) && n.num_outputs() == 1 && n.input(0) != nullptr) {
      const Value* in = n.input(0);
      const Value* out = n.output(0);
      ASSIGN_OR_RETURN(Storage s, StorageOf(in, n));
      if (output_index_.contains(out)) {
        p_.storage[out] = Storage{Storage::Kind::kOutput, output_index_.at(out), 0};
        p_.thunks.push_back(Thunk{Thunk::Kind::kCopy, &n, -1, {in}, n.name(), output_index_.at(out)});
        written_.insert(out);
      } else {
        p_.storage[out] = s;
      }
      return absl::OkStatus();
    }
    Thunk t;
    t.node = &n;
    switch (n.op()) {
      case OpKind::kFusedKernel: {
        t.kind = Thunk::Kind::kKernel;
        t.kernel = plan_.kernel_of.at(&n);
        const EmittedKernel& k = plan_.kernels[t.kernel];
        t.name = k.name;
        for (const KernelBuffer& b : k.buffers) {
          const Value* v = FindOperand(n, b.value);
          if (v == nullptr) {
            return absl::InternalError(absl::StrCat("kernel ", k.name, " names buffer '", b.value,
                                                    "', which ", n.Describe(), " lacks"));
          }
          t.args.push_back(v);
        }
        break;
      }
      case OpKind::kFusedAttention:
        t.kind = Thunk::Kind::kAttention;
        t.kernel = plan_.kernel_of.at(&n);
        t.name = plan_.attentions[t.kernel].name;
        for (const Value* v : n.inputs()) {
          if (v != nullptr) t.args.push_back(v);
        }
        t.args.push_back(n.output(0));
        break;
      case OpKind::kFusedMatMul:
        t.kind = Thunk::Kind::kGemm;
        t.name = absl::StrCat("gemm ", n.name());
        for (int i = 0; i < 4; ++i) t.args.push_back(i < n.num_inputs() ? n.input(i) : nullptr);
        t.args.push_back(n.output(0));
        break;
      default:
        return absl::UnimplementedError(absl::StrCat(
            "the GPU runtime cannot execute ", n.Describe(), " (op ", n.op_name(),
            "); the device lowering should have turned it into a fused kernel"));
    }
    for (const Value* v : t.args) {
      if (v == nullptr) continue;
      if (v->producer() == &n) {
        RETURN_IF_ERROR(AssignOutput(v, n));
      } else {
        ASSIGN_OR_RETURN(Storage s, StorageOf(v, n));
        (void)s;
      }
    }
    p_.thunks.push_back(std::move(t));
    return absl::OkStatus();
  }

  // Storage for output `v` of device node `n`.
  absl::Status AssignOutput(const Value* v, const Node& n) {
    if (auto it = output_index_.find(v); it != output_index_.end()) {
      p_.storage[v] = Storage{Storage::Kind::kOutput, it->second, 0};
      written_.insert(v);
      return absl::OkStatus();
    }
    auto it = arena_offset_.find(v);
    if (it == arena_offset_.end()) {
      return absl::InternalError(
          absl::StrCat("value '", v->name(), "' of ", n.Describe(), " has no memory plan entry"));
    }
    p_.storage[v] = Storage{Storage::Kind::kArena, -1, it->second};
    return absl::OkStatus();
  }

  absl::StatusOr<Storage> StorageOf(const Value* v, const Node& user) {
    auto it = p_.storage.find(v);
    if (it == p_.storage.end()) {
      return absl::InternalError(absl::StrCat(user.Describe(), " reads '", v->name(),
                                              "' before anything placed it"));
    }
    return it->second;
  }

  static const Value* FindOperand(const Node& n, const std::string& name) {
    for (const Value* v : n.inputs()) {
      if (v != nullptr && v->name() == name) return v;
    }
    for (int i = 0; i < n.num_outputs(); ++i) {
      if (n.output(i)->name() == name) return n.output(i);
    }
    return nullptr;
  }

  const Plan& plan_;
  ThunkProgram p_;
  absl::flat_hash_map<const Value*, int> output_index_;
  absl::flat_hash_map<const Value*, int64_t> arena_offset_;
  absl::flat_hash_set<const Value*> written_;
};

}  // namespace

absl::StatusOr<ThunkProgram> BuildThunkProgram(const Plan& plan) {
  return ProgramBuilder(plan).Build();
}

}  // namespace kiln
