#include "runtime/cuda/gemm.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/cuda/cuda_status.h"

namespace kiln::cuda {
namespace {

// Owners for cuBLASLt's descriptor handles (destroy results are ignored: they only fail on
// invalid handles, which these never hold).
struct MatmulDescDeleter {
  void operator()(cublasLtMatmulDescOpaque_t* d) const { cublasLtMatmulDescDestroy(d); }
};
struct LayoutDeleter {
  void operator()(cublasLtMatrixLayoutOpaque_t* l) const { cublasLtMatrixLayoutDestroy(l); }
};
struct PreferenceDeleter {
  void operator()(cublasLtMatmulPreferenceOpaque_t* p) const {
    cublasLtMatmulPreferenceDestroy(p);
  }
};
using MatmulDesc = std::unique_ptr<cublasLtMatmulDescOpaque_t, MatmulDescDeleter>;
using Layout = std::unique_ptr<cublasLtMatrixLayoutOpaque_t, LayoutDeleter>;
using Preference = std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, PreferenceDeleter>;

template <typename T>
absl::Status SetDesc(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t attr, T value) {
  KILN_CUDA_RETURN_IF_ERROR(cublasLtMatmulDescSetAttribute(d, attr, &value, sizeof(value)));
  return absl::OkStatus();
}

absl::StatusOr<Layout> MakeLayout(cudaDataType_t type, const LtMatrix& m, int32_t batch) {
  cublasLtMatrixLayout_t raw = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(cublasLtMatrixLayoutCreate(&raw, type, m.rows, m.cols, m.ld));
  Layout layout(raw);
  if (batch > 1) {
    KILN_CUDA_RETURN_IF_ERROR(cublasLtMatrixLayoutSetAttribute(
        raw, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof(batch)));
    const int64_t stride = m.batch_stride;
    KILN_CUDA_RETURN_IF_ERROR(cublasLtMatrixLayoutSetAttribute(
        raw, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
  }
  return layout;
}

absl::StatusOr<MatmulDesc> MakeMatmulDesc(const LtGemmPlan& plan, const void* bias) {
  cublasLtMatmulDesc_t raw = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(cublasLtMatmulDescCreate(&raw, plan.compute_type, CUDA_R_32F));
  MatmulDesc desc(raw);
  const cublasOperation_t ta = plan.layout.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t tb = plan.layout.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  RETURN_IF_ERROR(SetDesc(raw, CUBLASLT_MATMUL_DESC_TRANSA, ta));
  RETURN_IF_ERROR(SetDesc(raw, CUBLASLT_MATMUL_DESC_TRANSB, tb));
  RETURN_IF_ERROR(SetDesc(raw, CUBLASLT_MATMUL_DESC_EPILOGUE, plan.epilogue));
  if (bias != nullptr) {
    RETURN_IF_ERROR(SetDesc(raw, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias));
    RETURN_IF_ERROR(SetDesc(raw, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, plan.out_type));
    // One bias vector for every batch matrix.
    RETURN_IF_ERROR(SetDesc(raw, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, int64_t{0}));
  }
  return desc;
}

absl::Status CheckOperands(const GemmDesc& desc, const GemmOperands& ops) {
  if (ops.a == nullptr || ops.b == nullptr || ops.d == nullptr) {
    return absl::InvalidArgumentError("cuBLASLt GEMM: a, b and d must be device pointers");
  }
  if (desc.has_bias != (ops.bias != nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat("cuBLASLt GEMM: desc says bias ",
                                                   desc.has_bias ? "present" : "absent",
                                                   " but the bias pointer disagrees"));
  }
  if (desc.has_residual != (ops.residual != nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat("cuBLASLt GEMM: desc says residual ",
                                                   desc.has_residual ? "present" : "absent",
                                                   " but the residual pointer disagrees"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GemmRunner>> GemmRunner::Create(size_t workspace_bytes,
                                                               bool autotune) {
  ASSIGN_OR_RETURN(DeviceBuffer workspace, DeviceBuffer::Allocate(workspace_bytes));
  cublasLtHandle_t handle = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(cublasLtCreate(&handle));
  return std::unique_ptr<GemmRunner>(new GemmRunner(handle, std::move(workspace), autotune));
}

GemmRunner::~GemmRunner() {
  if (handle_ != nullptr) cublasLtDestroy(handle_);
}

GemmRunner::SharedAlgos& GemmRunner::TunedAlgos() {
  static SharedAlgos* shared = new SharedAlgos();
  return *shared;
}

absl::StatusOr<cublasLtMatmulAlgo_t> GemmRunner::FindAlgo(
    const std::string& key, cublasLtMatmulDesc_t op, cublasLtMatrixLayout_t a,
    cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c, const GemmAlignment& al,
    const AlgoTimer& timer) {
  if (auto it = algos_.find(key); it != algos_.end()) return it->second;
  if (timer) {
    // Autotuned choices are shared by every runner of the process, so two sessions (e.g. of
    // a plan and of the same plan saved and loaded) run the same algorithms: same bits.
    absl::MutexLock lock(&TunedAlgos().mu);
    if (auto it = TunedAlgos().algos.find(key); it != TunedAlgos().algos.end()) {
      algos_.emplace(key, it->second);
      return it->second;
    }
  }
  cublasLtMatmulPreference_t raw = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(cublasLtMatmulPreferenceCreate(&raw));
  Preference pref(raw);
  const uint64_t ws = workspace_.size();
  KILN_CUDA_RETURN_IF_ERROR(cublasLtMatmulPreferenceSetAttribute(
      raw, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof(ws)));
  const std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t> aligns[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, static_cast<uint32_t>(al.a)},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, static_cast<uint32_t>(al.b)},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, static_cast<uint32_t>(al.c)},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, static_cast<uint32_t>(al.d)}};
  for (const auto& [attr, bytes] : aligns) {
    KILN_CUDA_RETURN_IF_ERROR(
        cublasLtMatmulPreferenceSetAttribute(raw, attr, &bytes, sizeof(bytes)));
  }
  cublasLtMatmulHeuristicResult_t results[kAutotuneCandidates] = {};
  int found = 0;
  KILN_CUDA_RETURN_IF_ERROR(cublasLtMatmulAlgoGetHeuristic(
      handle_, op, a, b, c, c, raw, timer ? kAutotuneCandidates : 1, results, &found));
  if (found == 0) {
    return absl::UnimplementedError(
        absl::StrCat("cuBLASLt GEMM: no algorithm for problem ", key));
  }
  // The heuristic's first choice is often not the fastest for transformer shapes: time the
  // candidates once on the real operands and keep the fastest for this key.
  int best = 0;
  std::optional<float> best_ms;
  for (int i = 0; timer && found > 1 && i < found; ++i) {
    absl::StatusOr<float> ms = timer(results[i].algo);
    if (!ms.ok()) continue;  // A candidate that fails to launch is simply not chosen.
    if (!best_ms || *ms < *best_ms) {
      best = i;
      best_ms = *ms;
    }
  }
  algos_.emplace(key, results[best].algo);
  if (timer) {
    absl::MutexLock lock(&TunedAlgos().mu);
    TunedAlgos().algos.emplace(key, results[best].algo);
  }
  return results[best].algo;
}

absl::StatusOr<float> GemmRunner::TimeAlgo(const std::function<cublasStatus_t()>& launch,
                                           cudaStream_t stream) {
  cudaEvent_t start = nullptr, stop = nullptr;
  KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&start));
  KILN_CUDA_RETURN_IF_ERROR(cudaEventCreate(&stop));
  cublasStatus_t status = launch();  // Warm-up.
  cudaEventRecord(start, stream);
  for (int i = 0; i < 3 && status == CUBLAS_STATUS_SUCCESS; ++i) status = launch();
  cudaEventRecord(stop, stream);
  cudaError_t sync = cudaEventSynchronize(stop);
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  if (status != CUBLAS_STATUS_SUCCESS || sync != cudaSuccess) {
    cudaGetLastError();
    return absl::InternalError("candidate failed");
  }
  return ms;
}

absl::Status GemmRunner::Run(const GemmDesc& desc, const GemmOperands& ops,
                             cudaStream_t stream) {
  ASSIGN_OR_RETURN(const LtGemmPlan plan, PlanLtGemm(desc));
  RETURN_IF_ERROR(CheckOperands(desc, ops));
  const LtGemmLayout& l = plan.layout;
  // cuBLASLt's A is Kiln's b and its B Kiln's a (see gemm_plan.h).
  ASSIGN_OR_RETURN(Layout la, MakeLayout(plan.data_type, l.a, l.batch_count));
  ASSIGN_OR_RETURN(Layout lb, MakeLayout(plan.data_type, l.b, l.batch_count));
  ASSIGN_OR_RETURN(Layout ld, MakeLayout(plan.out_type, l.d, l.batch_count));  // C and D.
  ASSIGN_OR_RETURN(MatmulDesc op, MakeMatmulDesc(plan, ops.bias));
  const void* c = ops.residual != nullptr ? ops.residual : ops.d;
  GemmAlignment al;
  al.a = PointerAlignment(ops.b);
  al.b = PointerAlignment(ops.a);
  al.c = PointerAlignment(c);
  al.d = PointerAlignment(ops.d);
  if (ops.bias != nullptr) al.bias = PointerAlignment(ops.bias);
  const std::string key = AlgoCacheKey(plan, al);
  const float alpha = desc.alpha, beta = plan.beta;
  auto launch_with = [&](const cublasLtMatmulAlgo_t& candidate) {
    return cublasLtMatmul(handle_, op.get(), &alpha, ops.b, la.get(), ops.a, lb.get(), &beta, c,
                          ld.get(), ops.d, ld.get(), &candidate, workspace_.data(),
                          workspace_.size(), stream);
  };
  // Autotune only outside stream capture, and only when re-running is harmless (D is not C).
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  cudaStreamIsCapturing(stream, &capture);
  AlgoTimer timer;
  if (autotune_ && capture == cudaStreamCaptureStatusNone && (beta == 0 || c != ops.d)) {
    timer = [&](const cublasLtMatmulAlgo_t& candidate) {
      return TimeAlgo([&] { return launch_with(candidate); }, stream);
    };
  }
  ASSIGN_OR_RETURN(const cublasLtMatmulAlgo_t algo,
                   FindAlgo(key, op.get(), la.get(), lb.get(), ld.get(), al, timer));
  KILN_CUDA_RETURN_IF_ERROR(cublasLtMatmul(handle_, op.get(), &alpha, ops.b, la.get(), ops.a,
                                           lb.get(), &beta, c, ld.get(), ops.d, ld.get(), &algo,
                                           workspace_.data(), workspace_.size(), stream));
  return absl::OkStatus();
}

}  // namespace kiln::cuda
