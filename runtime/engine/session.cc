// Session: device setup, per-shape launch state, eager runs, CUDA graph capture and replay.
#include "runtime/engine/session.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"
#include "runtime/cuda/attention_launcher.h"
#include "runtime/cuda/cuda_status.h"
#include "runtime/cuda/device.h"
#include "runtime/cuda/gemm_plan.h"

namespace kiln {
namespace {

constexpr int64_t kAlign = 256;

int64_t AlignUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

absl::StatusOr<int64_t> BytesOf(const Value* v, const SymbolBindings& bindings) {
  ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(v->type().dims, bindings));
  ASSIGN_OR_RETURN(int64_t count, ElementCount(dims));
  return count * static_cast<int64_t>(DTypeSize(v->type().dtype));
}

std::string ShapeKey(const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<std::string> parts;
  for (const auto& s : shapes) parts.push_back(absl::StrJoin(s, "x"));
  return absl::StrJoin(parts, ",");
}

}  // namespace

// Launch descriptions of every thunk at one set of input shapes, and its CUDA graph.
struct Session::ShapeState {
  SymbolBindings bindings;
  std::vector<std::vector<int64_t>> input_shapes;
  std::vector<cuda::GemmDesc> gemms;              // Per thunk (kGemm only).
  std::vector<cuda::AttentionLaunch> attentions;  // Per thunk (kAttention only).
  std::vector<int64_t> bytes;                     // Per thunk: its arguments' bytes.
  std::vector<double> flops;
  std::vector<std::vector<void*>> args;           // Per thunk: device pointers.
  int runs = 0;
  cudaGraphExec_t graph = nullptr;
};

Session::Session(std::shared_ptr<const Plan> plan, const SessionOptions& options)
    : plan_(std::move(plan)), options_(options) {}

Session::~Session() {
  for (auto& [key, state] : states_) {
    if (state->graph != nullptr) cudaGraphExecDestroy(state->graph);
  }
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
}

absl::StatusOr<std::unique_ptr<Session>> Session::Create(std::shared_ptr<const Plan> plan,
                                                         const SessionOptions& options) {
  ASSIGN_OR_RETURN(cuda::DeviceInfo device, cuda::QueryDevice());
  if (device.arch() != plan->arch) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the plan was compiled for ", plan->arch, ", this GPU (", device.name, ") is ",
        device.arch(), "; recompile it on this machine"));
  }
  std::unique_ptr<Session> s(new Session(std::move(plan), options));
  RETURN_IF_ERROR(s->Init());
  return s;
}

absl::Status Session::Init() {
  const Plan& plan = *plan_;
  ASSIGN_OR_RETURN(program_, BuildThunkProgram(plan));
  ASSIGN_OR_RETURN(module_, cuda::LoadedModule::Load(plan.cubin));
  ASSIGN_OR_RETURN(gemm_, cuda::GemmRunner::Create(cuda::GemmRunner::kDefaultWorkspaceBytes,
                                                   options_.autotune_gemms));
  KILN_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));

  // Weights: one allocation, each at an aligned offset.
  int64_t total = 0;
  for (const Value* w : program_.weights) {
    weight_offsets_.push_back(total);
    total += AlignUp(static_cast<int64_t>(ConstantOf(w)->nbytes()));
  }
  ASSIGN_OR_RETURN(weights_, cuda::DeviceBuffer::Allocate(total));
  for (size_t i = 0; i < program_.weights.size(); ++i) {
    const Tensor* t = ConstantOf(program_.weights[i]);
    RETURN_IF_ERROR(weights_.CopyFromHost(t->raw_data(), t->nbytes(), weight_offsets_[i]));
  }
  ASSIGN_OR_RETURN(arena_, cuda::DeviceBuffer::Allocate(plan.memory.arena_bytes));
  const Graph& g = *plan.graph;
  for (const Value* in : g.inputs()) {
    ASSIGN_OR_RETURN(int64_t bytes, BytesOf(in, plan.bounds));
    ASSIGN_OR_RETURN(cuda::DeviceBuffer b, cuda::DeviceBuffer::Allocate(bytes));
    input_buffers_.push_back(std::move(b));
  }
  for (const Value* out : g.outputs()) {
    ASSIGN_OR_RETURN(int64_t bytes, BytesOf(out, plan.bounds));
    ASSIGN_OR_RETURN(cuda::DeviceBuffer b, cuda::DeviceBuffer::Allocate(bytes));
    output_buffers_.push_back(std::move(b));
  }
  char* arena = static_cast<char*>(arena_.data());
  char* weights = static_cast<char*>(weights_.data());
  for (const auto& [v, s] : program_.storage) {
    void* p = nullptr;
    switch (s.kind) {
      case Storage::Kind::kWeight: p = weights + weight_offsets_[s.index]; break;
      case Storage::Kind::kInput: p = input_buffers_[s.index].data(); break;
      case Storage::Kind::kOutput: p = output_buffers_[s.index].data(); break;
      case Storage::Kind::kArena: p = arena + s.offset; break;
      case Storage::Kind::kHost: p = nullptr; break;
    }
    pointers_[v] = p;
  }
  return absl::OkStatus();
}

void* Session::Pointer(const Value* v) const {
  if (v == nullptr) return nullptr;
  auto it = pointers_.find(v);
  return it == pointers_.end() ? nullptr : it->second;
}

int Session::captured_graphs() const {
  int n = 0;
  for (const auto& [key, state] : states_) n += state->graph != nullptr;
  return n;
}

absl::Status Session::CheckInputs(const std::vector<DType>& dtypes,
                                  const std::vector<std::vector<int64_t>>& shapes) {
  const Graph& g = *plan_->graph;
  if (dtypes.size() != g.inputs().size()) {
    return absl::InvalidArgumentError(absl::StrCat("the plan takes ", g.inputs().size(),
                                                   " inputs, got ", dtypes.size()));
  }
  for (size_t i = 0; i < dtypes.size(); ++i) {
    const Value* in = g.inputs()[i];
    if (dtypes[i] != in->type().dtype) {
      return absl::InvalidArgumentError(absl::StrCat("input '", in->name(), "' must be ",
                                                     DTypeName(in->type().dtype), ", got ",
                                                     DTypeName(dtypes[i])));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Session::ShapeState*> Session::StateFor(
    const std::vector<std::vector<int64_t>>& shapes) {
  std::string key = ShapeKey(shapes);
  if (auto it = states_.find(key); it != states_.end()) return it->second.get();
  const Plan& plan = *plan_;
  auto state = std::make_unique<ShapeState>();
  state->input_shapes = shapes;
  ASSIGN_OR_RETURN(state->bindings, BindSymbols(*plan.graph, shapes));
  for (const auto& [sym, value] : state->bindings) {
    auto b = plan.bounds.find(sym);
    if (b != plan.bounds.end() && value > b->second) {
      return absl::OutOfRangeError(absl::StrCat(
          sym, "=", value, " exceeds the plan's bound ", b->second,
          "; recompile with a larger --max-batch/--max-seq/--bound"));
    }
  }
  const size_t n = program_.thunks.size();
  state->gemms.resize(n);
  state->attentions.resize(n);
  state->bytes.resize(n);
  state->flops.resize(n);
  state->args.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Thunk& t = program_.thunks[i];
    std::vector<std::vector<int64_t>> arg_shapes;
    for (const Value* v : t.args) {
      state->args[i].push_back(Pointer(v));
      if (v == nullptr) {
        arg_shapes.emplace_back();
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(v->type().dims, state->bindings));
      if (!v->sym_value().has_value()) {
        ASSIGN_OR_RETURN(int64_t bytes, BytesOf(v, state->bindings));
        state->bytes[i] += bytes;
      }
      arg_shapes.push_back(std::move(dims));
    }
    if (t.kind == Thunk::Kind::kGemm) {
      const Node& node = *t.node;
      auto opt = [&](int k) -> std::optional<std::vector<int64_t>> {
        if (t.args[k] == nullptr) return std::nullopt;
        return arg_shapes[k];
      };
      absl::StatusOr<cuda::GemmDesc> desc = cuda::PlanFusedMatMul(
          t.args[0]->type().dtype, arg_shapes[0], arg_shapes[1], opt(2), opt(3),
          node.attr_int("trans_a") != 0, node.attr_int("trans_b") != 0, node.attr_float("alpha"),
          node.attr_string("activation"), /*allow_tf32=*/false, node.output(0)->type().dtype);
      if (!desc.ok()) {
        return absl::Status(desc.status().code(),
                            absl::StrCat(node.Describe(), ": ", desc.status().message()));
      }
      state->gemms[i] = *desc;
      const cuda::GemmDesc& d = state->gemms[i];
      state->flops[i] = 2.0 * d.m * d.n * d.k * d.batch_count;
    } else if (t.kind == Thunk::Kind::kAttention) {
      const Node& node = *t.node;
      std::vector<std::vector<int64_t>> ins(arg_shapes.begin(), arg_shapes.end() - 1);
      ASSIGN_OR_RETURN(state->attentions[i],
                       cuda::BuildAttentionLaunch(plan.attentions[t.kernel],
                                                  node.attr_int("num_heads"),
                                                  node.attr_int("kv_num_heads"), ins));
      const std::vector<int64_t>& w = state->attentions[i].words;  // b, hq, hkv, sq, skv
      const AttentionConfig& c = plan.attentions[t.kernel].config;
      double pairs = static_cast<double>(w[0]) * w[1] * w[3] * w[4];
      if (c.causal) pairs /= 2;
      state->flops[i] = 2.0 * pairs * (c.head_dim + c.v_head_dim);
    }
  }
  ShapeState* raw = state.get();
  states_[key] = std::move(state);
  return raw;
}

absl::Status Session::LaunchThunk(ShapeState& state, size_t i) {
  const Thunk& t = program_.thunks[i];
  std::vector<void*>& args = state.args[i];
  switch (t.kind) {
    case Thunk::Kind::kKernel:
      return cuda::LaunchEmittedKernel(module_, plan_->kernels[t.kernel], args, state.bindings,
                                       stream_);
    case Thunk::Kind::kAttention:
      return cuda::LaunchAttention(module_, plan_->attentions[t.kernel], state.attentions[i],
                                   args, stream_);
    case Thunk::Kind::kGemm: {
      const cuda::GemmDesc& d = state.gemms[i];
      if (d.m == 0 || d.n == 0 || d.batch_count == 0) return absl::OkStatus();
      return gemm_->Run(d, cuda::GemmOperands{args[0], args[1], args[2], args[3], args[4]},
                        stream_);
    }
    case Thunk::Kind::kCopy: {
      if (state.bytes[i] == 0) return absl::OkStatus();
      void* dst = output_buffers_[t.output_index].data();
      KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst, args[0], static_cast<size_t>(state.bytes[i]),
                                                cudaMemcpyDeviceToDevice, stream_));
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown thunk kind");
}

absl::Status Session::LaunchThunks(ShapeState& state, std::vector<cudaEvent_t>* timing_events) {
  for (size_t i = 0; i < program_.thunks.size(); ++i) {
    if (timing_events) KILN_CUDA_RETURN_IF_ERROR(cudaEventRecord((*timing_events)[i], stream_));
    absl::Status s = LaunchThunk(state, i);
    if (!s.ok()) {
      const Thunk& t = program_.thunks[i];
      return absl::Status(s.code(), absl::StrCat(t.name, ": ", s.message()));
    }
  }
  if (timing_events) {
    KILN_CUDA_RETURN_IF_ERROR(cudaEventRecord(timing_events->back(), stream_));
  }
  return absl::OkStatus();
}

absl::Status Session::Execute(ShapeState& state) {
  ++state.runs;
  if (state.graph != nullptr) {
    KILN_CUDA_RETURN_IF_ERROR(cudaGraphLaunch(state.graph, stream_));
    return absl::OkStatus();
  }
  if (!options_.use_cuda_graphs || state.runs == 1) return LaunchThunks(state, nullptr);
  // Second call at this shape: capture the launches (their algorithms and kernels are resolved
  // by now) into a graph and replay it from here on.
  KILN_CUDA_RETURN_IF_ERROR(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  absl::Status launched = LaunchThunks(state, nullptr);
  cudaGraph_t graph = nullptr;
  cudaError_t end = cudaStreamEndCapture(stream_, &graph);
  RETURN_IF_ERROR(launched);
  KILN_CUDA_RETURN_IF_ERROR(end);
  cudaError_t inst = cudaGraphInstantiate(&state.graph, graph, 0);
  cudaGraphDestroy(graph);
  KILN_CUDA_RETURN_IF_ERROR(inst);
  KILN_CUDA_RETURN_IF_ERROR(cudaGraphLaunch(state.graph, stream_));
  return absl::OkStatus();
}

absl::Status Session::StageHost(const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (t.nbytes() > input_buffers_[i].size()) {
      return absl::OutOfRangeError(absl::StrCat("input ", i, " is larger than the plan's bounds"));
    }
    KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(input_buffers_[i].data(), t.raw_data(), t.nbytes(),
                                              cudaMemcpyHostToDevice, stream_));
  }
  return absl::OkStatus();
}

absl::Status Session::WriteHostOutputs(const ShapeState& state) {
  for (int i : program_.host_outputs) {
    const Value* v = plan_->graph->outputs()[i];
    const std::vector<DimExpr>& contents = *v->sym_value();
    ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(v->type().dims, state.bindings));
    ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(v->type().dtype, dims));
    if (static_cast<int64_t>(contents.size()) != t.num_elements()) {
      return absl::InternalError(absl::StrCat("output '", v->name(), "' has ", contents.size(),
                                              " symbolic values for ", t.num_elements(),
                                              " elements"));
    }
    for (size_t k = 0; k < contents.size(); ++k) {
      ASSIGN_OR_RETURN(int64_t x, contents[k].Evaluate(state.bindings));
      VisitDType(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        if constexpr (std::is_integral_v<T>) {
          t.data<T>()[k] = static_cast<T>(x);
        } else {
          t.data<T>()[k] = static_cast<T>(static_cast<float>(x));
        }
        return 0;
      });
    }
    KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(output_buffers_[i].data(), t.raw_data(),
                                              t.nbytes(), cudaMemcpyHostToDevice, stream_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> Session::FetchOutputs(const ShapeState& state) {
  std::vector<Tensor> outs;
  const Graph& g = *plan_->graph;
  KILN_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    const Value* v = g.outputs()[i];
    ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(v->type().dims, state.bindings));
    ASSIGN_OR_RETURN(Tensor t, output_buffers_[i].ToTensor(v->type().dtype, std::move(dims)));
    outs.push_back(std::move(t));
  }
  return outs;
}

absl::StatusOr<std::vector<Tensor>> Session::Run(const std::vector<Tensor>& inputs) {
  std::vector<DType> dtypes;
  std::vector<std::vector<int64_t>> shapes;
  for (const Tensor& t : inputs) {
    dtypes.push_back(t.dtype());
    shapes.push_back(t.shape());
  }
  RETURN_IF_ERROR(CheckInputs(dtypes, shapes));
  ASSIGN_OR_RETURN(ShapeState * state, StateFor(shapes));
  RETURN_IF_ERROR(StageHost(inputs));
  RETURN_IF_ERROR(Execute(*state));
  RETURN_IF_ERROR(WriteHostOutputs(*state));
  return FetchOutputs(*state);
}

absl::StatusOr<absl::flat_hash_map<std::string, Tensor>> Session::Run(
    const absl::flat_hash_map<std::string, Tensor>& inputs) {
  const Graph& g = *plan_->graph;
  std::vector<Tensor> ordered;
  for (const Value* in : g.inputs()) {
    auto it = inputs.find(in->name());
    if (it == inputs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("missing input '", in->name(), "'"));
    }
    ordered.push_back(it->second);
  }
  if (inputs.size() != ordered.size()) {  // Every input was found, so some name is extra.
    absl::flat_hash_set<std::string> known;
    for (const Value* in : g.inputs()) known.insert(in->name());
    for (const auto& [name, t] : inputs) {
      if (!known.contains(name)) {
        return absl::InvalidArgumentError(absl::StrCat("the plan has no input named '", name, "'"));
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<Tensor> outs, Run(ordered));
  absl::flat_hash_map<std::string, Tensor> named;
  for (size_t i = 0; i < outs.size(); ++i) named[g.outputs()[i]->name()] = std::move(outs[i]);
  return named;
}

absl::StatusOr<std::vector<DeviceTensor>> Session::RunOnDevice(
    const std::vector<DeviceTensor>& inputs) {
  std::vector<DType> dtypes;
  std::vector<std::vector<int64_t>> shapes;
  for (const DeviceTensor& t : inputs) {
    dtypes.push_back(t.dtype);
    shapes.push_back(t.shape);
  }
  RETURN_IF_ERROR(CheckInputs(dtypes, shapes));
  ASSIGN_OR_RETURN(ShapeState * state, StateFor(shapes));
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSIGN_OR_RETURN(int64_t count, ElementCount(inputs[i].shape));
    size_t bytes = static_cast<size_t>(count) * DTypeSize(inputs[i].dtype);
    KILN_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(input_buffers_[i].data(), inputs[i].data, bytes,
                                              cudaMemcpyDeviceToDevice, stream_));
  }
  RETURN_IF_ERROR(Execute(*state));
  RETURN_IF_ERROR(WriteHostOutputs(*state));
  KILN_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_));
  std::vector<DeviceTensor> outs;
  const Graph& g = *plan_->graph;
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    const Value* v = g.outputs()[i];
    ASSIGN_OR_RETURN(std::vector<int64_t> dims, EvaluateDims(v->type().dims, state->bindings));
    outs.push_back(DeviceTensor{output_buffers_[i].data(), v->type().dtype, std::move(dims)});
  }
  return outs;
}

absl::StatusOr<std::vector<double>> Session::TimeRuns(const std::vector<Tensor>& inputs,
                                                      int warmup, int iterations) {
  RETURN_IF_ERROR(Run(inputs).status());  // Validates, stages, and makes the shape's state.
  std::vector<std::vector<int64_t>> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  ASSIGN_OR_RETURN(ShapeState * state, StateFor(shapes));
  for (int i = 0; i < warmup; ++i) RETURN_IF_ERROR(Execute(*state));
  std::vector<cudaEvent_t> events(2 * iterations);
  for (cudaEvent_t& e : events) KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&e));
  // Latency as a caller sees it: the GPU is idle at the start of each run, so the host's cost
  // of launching the run (a graph launch, or every launch when not captured) is inside it.
  absl::Status status;
  std::vector<double> ms;
  for (int i = 0; i < iterations && status.ok(); ++i) {
    cudaError_t e = cudaStreamSynchronize(stream_);
    if (e == cudaSuccess) e = cudaEventRecord(events[2 * i], stream_);
    if (e != cudaSuccess) {
      status = absl::InternalError(cudaGetErrorString(e));
      break;
    }
    status = Execute(*state);
    cudaEventRecord(events[2 * i + 1], stream_);
  }
  if (status.ok()) {
    cudaError_t sync = cudaStreamSynchronize(stream_);
    for (int i = 0; i < iterations && sync == cudaSuccess; ++i) {
      float t = 0;
      cudaEventElapsedTime(&t, events[2 * i], events[2 * i + 1]);
      ms.push_back(t);
    }
    if (sync != cudaSuccess) status = absl::InternalError(cudaGetErrorString(sync));
  }
  for (cudaEvent_t e : events) cudaEventDestroy(e);
  RETURN_IF_ERROR(status);
  return ms;
}

absl::StatusOr<std::vector<ThunkTiming>> Session::ProfileThunks(const std::vector<Tensor>& inputs,
                                                                int iterations) {
  RETURN_IF_ERROR(Run(inputs).status());
  std::vector<std::vector<int64_t>> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  ASSIGN_OR_RETURN(ShapeState * state, StateFor(shapes));
  const size_t n = program_.thunks.size();
  std::vector<cudaEvent_t> events(n + 1);
  for (cudaEvent_t& e : events) KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&e));
  std::vector<std::vector<double>> samples(n);
  absl::Status status;
  for (int it = 0; it < iterations && status.ok(); ++it) {
    status = LaunchThunks(*state, &events);
    if (!status.ok()) break;
    cudaError_t sync = cudaStreamSynchronize(stream_);
    if (sync != cudaSuccess) {
      status = absl::InternalError(cudaGetErrorString(sync));
      break;
    }
    for (size_t i = 0; i < n; ++i) {
      float t = 0;
      cudaEventElapsedTime(&t, events[i], events[i + 1]);
      samples[i].push_back(t);
    }
  }
  for (cudaEvent_t e : events) cudaEventDestroy(e);
  RETURN_IF_ERROR(status);
  static const char* kKinds[] = {"kernel", "attention", "gemm", "copy"};
  std::vector<ThunkTiming> out;
  for (size_t i = 0; i < n; ++i) {
    std::vector<double>& s = samples[i];
    std::sort(s.begin(), s.end());
    const Thunk& t = program_.thunks[i];
    out.push_back(ThunkTiming{t.name, kKinds[static_cast<int>(t.kind)], s.empty() ? 0 : s[s.size() / 2],
                              state->bytes[i], state->flops[i]});
  }
  return out;
}

}  // namespace kiln
