#include "runtime/cuda/kernel_launcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/cuda/cuda_status.h"
#include "runtime/cuda/device.h"

namespace kiln::cuda {
namespace {

// Grid-stride kernels need no more blocks than keep every SM busy; this caps the grid well
// above that on any current GPU while staying far below the 2^31-1 limit.
constexpr int64_t kMaxBlocks = 65535;

// Threads all of the current device's SMs hold at once (2048 per SM on Hopper); 0 when the
// device cannot be queried (RowBlockSize then picks a warp per row, also correct).
int64_t ResidentThreads() {
  const DeviceLimits& d = CurrentDeviceLimits();
  return d.sm_count * d.threads_per_sm;
}

// Appends `exprs` evaluated, padded with `pad` to `count` words (the struct's arrays have at
// least one entry even where the kernel uses none).
absl::Status AppendEvaluated(const EmittedKernel& kernel, const char* what,
                             const std::vector<DimExpr>& exprs, size_t count, int64_t pad,
                             const SymbolBindings& bindings, std::vector<int64_t>& words) {
  for (size_t i = 0; i < count; ++i) {
    if (i >= exprs.size()) {
      words.push_back(pad);
      continue;
    }
    absl::StatusOr<int64_t> v = exprs[i].Evaluate(bindings);
    if (!v.ok()) {
      return absl::Status(v.status().code(),
                          absl::StrCat("kernel ", kernel.name, ": ", what, "[", i,
                                       "] = ", exprs[i].ToString(), ": ", v.status().message()));
    }
    words.push_back(*v);
  }
  return absl::OkStatus();
}

absl::StatusOr<KernelParams> ElementwiseParams(const EmittedKernel& kernel,
                                               const SymbolBindings& bindings) {
  const size_t rank = std::max<size_t>(1, kernel.domain.size());
  const size_t inputs = std::max<size_t>(1, kernel.input_strides.size());
  const size_t dims = std::max<size_t>(1, kernel.dims.size());
  KernelParams p;
  p.words.push_back(0);  // n, filled below.
  RETURN_IF_ERROR(AppendEvaluated(kernel, "out_dims", kernel.domain, rank, 1, bindings, p.words));
  int64_t n = 1;
  for (size_t d = 0; d < kernel.domain.size(); ++d) n *= p.words[1 + d];
  p.words[0] = n;
  for (size_t k = 0; k < inputs; ++k) {
    static const std::vector<DimExpr> kNone;
    const std::vector<DimExpr>& s =
        k < kernel.input_strides.size() ? kernel.input_strides[k] : kNone;
    if (s.size() > rank) {
      return absl::InternalError(absl::StrCat("kernel ", kernel.name, ": input ", k, " has ",
                                              s.size(), " strides for rank ", rank));
    }
    RETURN_IF_ERROR(AppendEvaluated(kernel, "in_strides", s, rank, 0, bindings, p.words));
  }
  RETURN_IF_ERROR(AppendEvaluated(kernel, "dims", kernel.dims, dims, 0, bindings, p.words));
  p.work_items = kernel.vector_width > 1 ? n / kernel.vector_width : n;
  return p;
}

absl::StatusOr<KernelParams> RowParams(const EmittedKernel& kernel,
                                       const SymbolBindings& bindings) {
  KernelParams p;
  RETURN_IF_ERROR(AppendEvaluated(kernel, "rows", {kernel.rows}, 1, 0, bindings, p.words));
  RETURN_IF_ERROR(AppendEvaluated(kernel, "cols", {kernel.cols}, 1, 0, bindings, p.words));
  const size_t dims = std::max<size_t>(1, kernel.dims.size());
  RETURN_IF_ERROR(AppendEvaluated(kernel, "dims", kernel.dims, dims, 0, bindings, p.words));
  p.work_items = p.words[0];
  return p;
}

}  // namespace

const DeviceLimits& CurrentDeviceLimits() {
  static const DeviceLimits limits = [] {
    int ordinal = 0;
    if (cudaGetDevice(&ordinal) != cudaSuccess) {
      cudaGetLastError();
      return DeviceLimits{};
    }
    absl::StatusOr<DeviceInfo> d = QueryDevice(ordinal);
    return d.ok() ? DeviceLimits{d->sm_count, d->threads_per_sm} : DeviceLimits{};
  }();
  return limits;
}

absl::StatusOr<KernelParams> BuildKernelParams(const EmittedKernel& kernel,
                                               const SymbolBindings& bindings) {
  if (kernel.block_size < 32 || kernel.block_size > 256 || kernel.block_size % 32 != 0) {
    // The emitted kernels declare __launch_bounds__(256) and reduce across whole warps.
    return absl::InternalError(
        absl::StrCat("kernel ", kernel.name, ": block size ", kernel.block_size));
  }
  if (kernel.vector_width < 1) {
    return absl::InternalError(
        absl::StrCat("kernel ", kernel.name, ": vector width ", kernel.vector_width));
  }
  if (kernel.kind == EmittedKernel::Kind::kElementwise) return ElementwiseParams(kernel, bindings);
  return RowParams(kernel, bindings);
}

int RowBlockSize(const EmittedKernel& kernel, int64_t rows, int64_t resident_threads) {
  // Any kernel without warp_rows must run with exactly its block_size threads: row kernels
  // whose threads tile the row exactly drop the guard at the row's end.
  if (kernel.kind != EmittedKernel::Kind::kRowReduction || !kernel.warp_rows) {
    return kernel.block_size;
  }
  // A warp per row pays off once the rows' blocks would not all be resident: then the latency
  // of each short row's loads and reductions is paid wave after wave.
  return rows * kernel.block_size > resident_threads ? 32 : kernel.block_size;
}

int64_t GridBlocks(const EmittedKernel& kernel, int64_t work_items) {
  int64_t per_block = kernel.kind == EmittedKernel::Kind::kRowReduction ? 1 : kernel.block_size;
  int64_t blocks = (std::max<int64_t>(work_items, 0) + per_block - 1) / per_block;
  return std::clamp<int64_t>(blocks, 1, kMaxBlocks);
}

LoadedModule::~LoadedModule() {
  if (library_ != nullptr) cudaLibraryUnload(library_);  // Nothing to report to in a destructor.
}

LoadedModule::LoadedModule(LoadedModule&& other) noexcept
    : library_(std::exchange(other.library_, nullptr)) {}

LoadedModule& LoadedModule::operator=(LoadedModule&& other) noexcept {
  if (this != &other) {
    if (library_ != nullptr) cudaLibraryUnload(library_);
    library_ = std::exchange(other.library_, nullptr);
  }
  return *this;
}

absl::StatusOr<LoadedModule> LoadedModule::Load(const std::string& cubin) {
  if (cubin.empty()) return absl::InvalidArgumentError("LoadedModule::Load: empty cubin");
  cudaLibrary_t library = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(
      cudaLibraryLoadData(&library, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  return LoadedModule(library);
}

absl::StatusOr<cudaKernel_t> LoadedModule::GetKernel(const std::string& name) const {
  if (library_ == nullptr) return absl::FailedPreconditionError("no module loaded");
  cudaKernel_t kernel = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(cudaLibraryGetKernel(&kernel, library_, name.c_str()));
  return kernel;
}

absl::Status LaunchEmittedKernel(const LoadedModule& module, const EmittedKernel& kernel,
                                 absl::Span<void* const> buffers, const SymbolBindings& bindings,
                                 cudaStream_t stream) {
  if (buffers.size() != kernel.buffers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("kernel ", kernel.name, " takes ",
                                                   kernel.buffers.size(), " buffers, got ",
                                                   buffers.size()));
  }
  if (kernel.vector_width > 1) {
    for (size_t i = 0; i < buffers.size(); ++i) {
      if (reinterpret_cast<uintptr_t>(buffers[i]) % 16 != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("kernel ", kernel.name, ": buffer ", i, " (", kernel.buffers[i].value,
                         ") is not 16-byte aligned, which its vectorised loop needs"));
      }
    }
  }
  ASSIGN_OR_RETURN(KernelParams params, BuildKernelParams(kernel, bindings));
  ASSIGN_OR_RETURN(cudaKernel_t fn, module.GetKernel(kernel.name));
  std::vector<void*> pointers(buffers.begin(), buffers.end());
  std::vector<void*> args;
  for (void*& p : pointers) args.push_back(&p);
  args.push_back(params.words.data());
  dim3 grid(static_cast<unsigned>(GridBlocks(kernel, params.work_items)));
  dim3 block(static_cast<unsigned>(RowBlockSize(kernel, params.work_items, ResidentThreads())));
  KILN_CUDA_RETURN_IF_ERROR(
      cudaLaunchKernel(reinterpret_cast<const void*>(fn), grid, block, args.data(), 0, stream));
  KILN_CUDA_RETURN_IF_ERROR(cudaGetLastError());
  return absl::OkStatus();
}

}  // namespace kiln::cuda
