// The steps a Session runs for a Plan, and where each value of the plan's graph lives. Built
// once per plan, device-free (so it is unit-tested without a GPU); the Session resolves the
// storage to pointers and the steps' shapes under each call's symbol bindings.
#ifndef KILN_RUNTIME_ENGINE_THUNKS_H_
#define KILN_RUNTIME_ENGINE_THUNKS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "runtime/engine/plan.h"

namespace kiln {

// One device operation, in graph order.
struct Thunk {
  enum class Kind {
    kKernel,     // A generated FusedKernel: args are its EmittedKernel::buffers' values.
    kAttention,  // The generated FusedAttention kernel: args q, k, v, [key_mask], [bias], y.
    kGemm,       // FusedMatMul through cuBLASLt: args a, b, bias (or null), residual (or null), d.
    kCopy,       // Device-to-device copy of value args[0] into graph output `output_index`.
  };
  Kind kind = Kind::kKernel;
  const Node* node = nullptr;
  int kernel = -1;  // Index into the plan's kernels or attentions.
  std::vector<const Value*> args;
  std::string name;  // For profiles: the kernel's symbol, or the node's name.
  int output_index = -1;  // kCopy's destination.
};

// Where a value's bytes are.
struct Storage {
  enum class Kind {
    kWeight,  // A Constant, uploaded once.
    kInput,   // The index-th graph input's staging buffer.
    kOutput,  // The index-th graph output's staging buffer.
    kArena,   // offset bytes into the arena.
    kHost,    // Symbolic contents only (shape arithmetic): never read on the device.
  };
  Kind kind = Kind::kArena;
  int index = -1;
  int64_t offset = 0;
};

struct ThunkProgram {
  std::vector<Thunk> thunks;
  // Every value a thunk reads or writes, after resolving views to the buffer they alias.
  absl::flat_hash_map<const Value*, Storage> storage;
  std::vector<const Value*> weights;  // Constant outputs, in graph order.
  // Graph outputs that are shape arithmetic (e.g. a Shape node's): their contents are
  // evaluated on the host after the thunks run.
  std::vector<int> host_outputs;
};

// Builds the program of `plan` (after EmitPlanKernels). A node the GPU runtime cannot execute
// is Unimplemented, naming it.
absl::StatusOr<ThunkProgram> BuildThunkProgram(const Plan& plan);

}  // namespace kiln

#endif  // KILN_RUNTIME_ENGINE_THUNKS_H_
