#include "codegen/row_reduction_emitter.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "codegen/elementwise_emitter.h"
#include "codegen/expr_emitter.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"

namespace kiln {
namespace {

enum class RowOp { kSoftmax, kLayerNorm, kRmsNorm };

// A value of the row's prologue that vectorised mode loads 16 bytes at a time: `value` at
// `index` (whose last entry is the column, "c") is element c of one row of kernel input
// `pointer`. That row is the reduction's own (a kernel input read at the row's element, directly
// or through contiguous views), or, for an axis-0 Gather of a [rows, cols] kernel input (an
// embedding table), row `gather_indices` (at `index` without its column) of that table.
struct VectorOperand {
  const Value* value;
  Index index;
  std::string pointer;  // The kernel parameter holding the row's tensor.
  DType dtype;
  const Value* gather_indices = nullptr;
  DimExpr table_rows = DimExpr(0);
};

// Emitting state: the row loop's index and the pieces each pass needs.
struct RowContext {
  const Node& reduction;
  RowOp op;
  bool skip;  // SkipNormalization: the row is input 0 + input 1.
  Index leading;
  std::vector<DimExpr> dims;  // The row tensor's dims.
  // With a constant row length of at most kMaxCachedCols, each thread loads its `per_thread`
  // columns (c = threadIdx.x + i * block) once into registers (`xs`), and the statistics and
  // output passes read them from there: one read of the row from memory instead of three.
  int per_thread = 0;  // 0: not cached; the passes stride over p.cols with blockDim.x.
  int block = 0;
  // Vectorised cached mode (vec > 1): a thread owns `runs` runs of `vec` adjacent columns, run
  // k starting at column (threadIdx.x + k * block) * vec, so each operand in `loads` is read
  // and each row-shaped output written as one 16-byte vector per run.
  int vec = 1;
  int runs = 0;
  // The block size is chosen at launch (EmittedKernel::warp_rows): the code strides by
  // blockDim.x and reduces by shuffles alone when the block is one warp. `runs` is then sized
  // for a one-warp block.
  bool dynamic_block = false;
  std::vector<VectorOperand> loads = {};
  // The threads' columns (or runs) tile the constant row exactly, so no column needs a guard
  // at the row's end, and the loads of every column are unconditional (the compiler may then
  // share per-row work between them, such as a scalar prologue's Gather index chains). Relies
  // on the launcher running such kernels with exactly `block` threads (RowBlockSize).
  bool exact = false;
};

constexpr int64_t kMaxCachedCols = 8192;
constexpr int64_t kMaxWarpRuns = 4;

// Vectorised mode: opens the loop over this thread's runs (`vc`, the run's vector index in the
// row), guarded at the row's end. Returns the number of scopes to close.
int OpenRuns(const RowContext& ctx, SourceWriter& code) {
  code.Line("#pragma unroll");
  code.Open(absl::StrCat("for (int k = 0; k < ", ctx.runs, "; ++k)"));
  code.Line(absl::StrCat("const kiln_i64 vc = threadIdx.x + (kiln_i64)k * ",
                         ctx.dynamic_block ? "blockDim.x" : absl::StrCat(ctx.block), ";"));
  if (ctx.exact) return 1;
  code.Open(absl::StrCat("if (vc < p.cols / ", ctx.vec, ")"));
  return 2;
}

// Vectorised mode, inside a run: the loop over its lanes (`j`), with the column `c` and the
// register slot `i`.
int OpenLanes(const RowContext& ctx, SourceWriter& code) {
  code.Line("#pragma unroll");
  code.Open(absl::StrCat("for (int j = 0; j < ", ctx.vec, "; ++j)"));
  code.Line(absl::StrCat("const int i = k * ", ctx.vec, " + j;"));
  code.Line(absl::StrCat("const kiln_i64 c = vc * ", ctx.vec, " + j;"));
  return 1;
}

// Opens the loop over this thread's columns; in cached mode `c` may pass the row's end and the
// body is guarded. In vectorised mode `at_run` (when given) emits what each run needs before
// its lanes (vector loads, output vectors). Returns the number of scopes to close.
int OpenColumns(const RowContext& ctx, SourceWriter& code,
                const std::function<void()>& at_run = nullptr) {
  if (ctx.vec > 1) {
    int scopes = OpenRuns(ctx, code);
    if (at_run) at_run();
    return scopes + OpenLanes(ctx, code);
  }
  if (ctx.per_thread == 0) {
    code.Open("for (kiln_i64 c = threadIdx.x; c < p.cols; c += blockDim.x)");
    return 1;
  }
  code.Line("#pragma unroll");
  code.Open(absl::StrCat("for (int i = 0; i < ", ctx.per_thread, "; ++i)"));
  code.Line(absl::StrCat("const kiln_i64 c = threadIdx.x + (kiln_i64)i * ", ctx.block, ";"));
  if (ctx.exact) return 1;
  code.Open("if (c < p.cols)");
  return 2;
}

Index ColumnIndex(const RowContext& ctx) {
  Index idx = ctx.leading;
  idx.push_back("c");
  return idx;
}

// The row element at column `c` (fp32), inlining the prologue; for SkipNormalization the sum
// x + skip, rounded to its stored type as the graph's `sum` output is.
absl::StatusOr<std::string> RowValue(const RowContext& ctx, ExprEmitter& e) {
  Index idx = ColumnIndex(ctx);
  const Node& r = ctx.reduction;
  ASSIGN_OR_RETURN(std::string x, e.ValueAt(r.input(0), idx));
  if (!ctx.skip) return e.Let("float", "x", absl::StrCat("(float)", x));
  ASSIGN_OR_RETURN(std::string skip,
                   e.ValueAt(r.input(1), e.Broadcast(idx, ctx.dims, r.input(1)->type().dims)));
  std::string sum = absl::StrCat("((float)", x, " + (float)", skip, ")");
  DType t = r.output(0)->type().dtype;
  if (t == DType::kF16) sum = absl::StrCat("kiln_round_f16(", sum, ")");
  if (t == DType::kBF16) sum = absl::StrCat("kiln_round_bf16(", sum, ")");
  return e.Let("float", "x", sum);
}

// One pass over the row's columns: `body(x)` returns the statement accumulating element x.
absl::Status ColumnLoop(const RowContext& ctx, ExprEmitter& e,
                        const std::function<std::string(const std::string&)>& body) {
  SourceWriter& code = e.code();
  int scopes = OpenColumns(ctx, code);
  ExprEmitter::Memo saved = e.Save();
  std::string x = "xs[i]";
  if (ctx.per_thread == 0) {
    ASSIGN_OR_RETURN(x, RowValue(ctx, e));
  }
  code.Line(body(x));
  e.Restore(std::move(saved));
  for (int i = 0; i < scopes; ++i) code.Close();
  return absl::OkStatus();
}

// Vectorised mode, at the row's start: the element offset of each operand's row in its tensor
// (a Gather's table row is wrapped as EmitGather wraps it).
absl::StatusOr<std::vector<std::string>> RowOffsets(const RowContext& ctx, ExprEmitter& e) {
  std::vector<std::string> offsets;
  for (const VectorOperand& op : ctx.loads) {
    if (op.gather_indices == nullptr) {
      offsets.push_back("row * p.cols");
      continue;
    }
    Index at(op.index.begin(), op.index.end() - 1);
    ASSIGN_OR_RETURN(std::string raw, e.ValueAt(op.gather_indices, at));
    offsets.push_back(absl::StrCat(
        e.Let("kiln_i64", "table_row", e.WrapIndex(raw, op.table_rows)), " * p.cols"));
  }
  return offsets;
}

// Vectorised mode, at the start of a run: one 16-byte load per operand in `ctx.loads`, its
// row at `offsets`; returns the lane arrays, in that order.
std::vector<std::string> LoadVectors(const RowContext& ctx, const std::vector<std::string>& offsets,
                                     SourceWriter& code) {
  std::vector<std::string> lanes;
  for (size_t k = 0; k < ctx.loads.size(); ++k) {
    const VectorOperand& op = ctx.loads[k];
    std::string vec = code.FreshName(op.pointer + "_vec");
    code.Line(absl::StrCat("const kiln_vec16 ", vec, " = kiln_load16(", op.pointer, " + ",
                           offsets[k], " + vc * ", ctx.vec, ");"));
    std::string st = StorageType(op.dtype);
    lanes.push_back(code.FreshName(op.pointer + "_lanes"));
    code.Line(absl::StrCat("const ", st, "* const ", lanes.back(), " = reinterpret_cast<const ",
                           st, "*>(&", vec, ");"));
  }
  return lanes;
}

// Cached mode: loads this thread's columns of the row (prologue applied) into `xs`.
absl::Status LoadRow(const RowContext& ctx, ExprEmitter& e) {
  SourceWriter& code = e.code();
  code.Line(absl::StrCat("float xs[", ctx.per_thread, "];"));
  ASSIGN_OR_RETURN(std::vector<std::string> offsets, RowOffsets(ctx, e));
  std::vector<std::string> lanes;
  int scopes = OpenColumns(ctx, code, [&] { lanes = LoadVectors(ctx, offsets, code); });
  ExprEmitter::Memo saved = e.Save();
  for (size_t k = 0; k < lanes.size(); ++k) {
    const VectorOperand& op = ctx.loads[k];
    e.Bind(op.value, op.index,
           e.Let(ComputeType(op.dtype), op.value->name(),
                 LoadConvert(op.dtype, absl::StrCat(lanes[k], "[j]"))));
  }
  ASSIGN_OR_RETURN(std::string x, RowValue(ctx, e));
  code.Line(absl::StrCat("xs[i] = ", x, ";"));
  e.Restore(std::move(saved));
  for (int i = 0; i < scopes; ++i) code.Close();
  return absl::OkStatus();
}

// `v` itself or the value it is a view of (Reshape/Squeeze/Unsqueeze/Flatten/Identity, which
// keep the row-major order) when that has the row tensor's dims; else null.
const Value* PeelViews(const Value* v, const std::vector<DimExpr>& dims) {
  while (v != nullptr) {
    if (v->type().dims == dims) return v;
    const Node* n = v->producer();
    if (n == nullptr) return nullptr;
    if (!IsContiguousView(n->op()) ||
        n->input(0)->type().NumElements() != v->type().NumElements()) {
      return nullptr;
    }
    v = n->input(0);
  }
  return nullptr;
}

// An output that picks one position of a leading axis of a row-shaped value (a pooler's
// Gather of the first token): stored by the rows at that position.
struct RowSelect {
  const Value* source;
  int64_t axis;
  DimExpr index;
};

std::optional<RowSelect> AsRowSelect(const Value* out, const std::vector<DimExpr>& dims) {
  const Node* n = out->producer();
  if (n == nullptr || n->op() != OpKind::kGather) return std::nullopt;
  const Value* source = PeelViews(n->input(0), dims);
  if (source != n->input(0)) return std::nullopt;
  int64_t rank = static_cast<int64_t>(dims.size());
  int64_t axis = n->attr_int("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank - 1) return std::nullopt;
  const Value* index = n->input(1);
  if (index->type().rank() != 0) return std::nullopt;
  if (const Tensor* t = ConstantOf(index); t != nullptr && !IsFloat(t->dtype())) {
    return RowSelect{source, axis, DimExpr(t->GetAsInt(0))};
  }
  const std::optional<std::vector<DimExpr>>& k = index->sym_value();
  if (!k || k->size() != 1) return std::nullopt;
  return RowSelect{source, axis, (*k)[0]};
}

// The reduction across the row's threads of `what` ("sum" or "max") of `v`: shuffles alone when
// the block is one warp, else through shared memory (a uniform branch when chosen at launch).
std::string Reduce(const RowContext& ctx, absl::string_view what, absl::string_view v) {
  if (ctx.dynamic_block) {
    return absl::StrCat("(blockDim.x == 32 ? kiln_warp_", what, "(", v, ") : kiln_block_", what,
                        "(", v, "))");
  }
  return absl::StrCat(ctx.block == 32 ? "kiln_warp_" : "kiln_block_", what, "(", v, ")");
}

// The statistics passes; returns the variables the output pass uses (max and 1/sum for
// softmax, mean and 1/stddev for layer norm, 1/rms for RMS norm).
absl::StatusOr<std::pair<std::string, std::string>> EmitStatistics(const RowContext& ctx,
                                                                   ExprEmitter& e) {
  SourceWriter& code = e.code();
  std::string eps =
      ctx.op == RowOp::kSoftmax ? "" : Literal(DType::kF32, ctx.reduction.attr_float("epsilon"));
  if (ctx.op == RowOp::kSoftmax) {
    code.Line("float row_max = -__int_as_float(0x7f800000);");
    RETURN_IF_ERROR(ColumnLoop(ctx, e, [](const std::string& x) {
      return absl::StrCat("row_max = fmaxf(row_max, ", x, ");");
    }));
    code.Line(absl::StrCat("row_max = ", Reduce(ctx, "max", "row_max"), ";"));
    code.Line("float row_sum = 0.0f;");
    RETURN_IF_ERROR(ColumnLoop(ctx, e, [](const std::string& x) {
      return absl::StrCat("row_sum += expf(", x, " - row_max);");
    }));
    code.Line(absl::StrCat("const float inv_sum = 1.0f / ", Reduce(ctx, "sum", "row_sum"), ";"));
    return std::make_pair(std::string("row_max"), std::string("inv_sum"));
  }
  if (ctx.op == RowOp::kRmsNorm) {
    code.Line("float sum_sq = 0.0f;");
    RETURN_IF_ERROR(ColumnLoop(
        ctx, e, [](const std::string& x) { return absl::StrCat("sum_sq += ", x, " * ", x, ";"); }));
    code.Line(absl::StrCat("const float inv_rms = rsqrtf(", Reduce(ctx, "sum", "sum_sq"),
                           " / (float)p.cols + ", eps, ");"));
    return std::make_pair(std::string(""), std::string("inv_rms"));
  }
  // Two passes (mean, then squared deviations) rather than E[x^2] - E[x]^2, which cancels.
  code.Line("float sum = 0.0f;");
  RETURN_IF_ERROR(
      ColumnLoop(ctx, e, [](const std::string& x) { return absl::StrCat("sum += ", x, ";"); }));
  code.Line(absl::StrCat("const float mean = ", Reduce(ctx, "sum", "sum"), " / (float)p.cols;"));
  code.Line("float sum_sq = 0.0f;");
  RETURN_IF_ERROR(ColumnLoop(ctx, e, [](const std::string& x) {
    return absl::StrCat("sum_sq += (", x, " - mean) * (", x, " - mean);");
  }));
  code.Line(absl::StrCat("const float inv_std = rsqrtf(", Reduce(ctx, "sum", "sum_sq"),
                         " / (float)p.cols + ", eps, ");"));
  return std::make_pair(std::string("mean"), std::string("inv_std"));
}

// The output pass: the reduction's result per column, then every body output from it.
absl::Status EmitOutputPass(const RowContext& ctx, ExprEmitter& e, const Graph& body,
                            const std::pair<std::string, std::string>& stats,
                            const std::vector<std::string>& output_vars) {
  SourceWriter& code = e.code();
  const Node& r = ctx.reduction;
  Index idx = ColumnIndex(ctx);
  // Vectorised mode: row-shaped outputs whose run is one or two 16-byte vectors (an f32 output
  // of 16-bit rows: the last norm of a model with f32 outputs) gather their lanes in vectors
  // stored after the run (`out_lanes[i]` non-empty).
  std::vector<std::string> out_vecs(body.outputs().size()), out_lanes(body.outputs().size());
  std::vector<int> out_count(body.outputs().size());
  int scopes = OpenColumns(ctx, code, [&] {
    for (size_t i = 0; i < body.outputs().size(); ++i) {
      DType t = body.outputs()[i]->type().dtype;
      const size_t run_bytes = DTypeSize(t) * ctx.vec;
      if (PeelViews(body.outputs()[i], ctx.dims) == nullptr ||
          (run_bytes != 16 && run_bytes != 32)) {
        continue;
      }
      out_count[i] = static_cast<int>(run_bytes / 16);
      out_vecs[i] = code.FreshName(output_vars[i] + "_vec");
      code.Line(absl::StrCat("kiln_vec16 ", out_vecs[i], "[", out_count[i], "];"));
      out_lanes[i] = code.FreshName(output_vars[i] + "_lanes");
      std::string st = StorageType(t);
      code.Line(absl::StrCat(st, "* const ", out_lanes[i], " = reinterpret_cast<", st, "*>(",
                             out_vecs[i], ");"));
    }
  });
  ExprEmitter::Memo saved = e.Save();
  std::string x = "xs[i]";
  if (ctx.per_thread == 0) {
    ASSIGN_OR_RETURN(x, RowValue(ctx, e));
  }
  code.Comment(absl::StrCat(r.name(), " (", r.op_name(), ") -> ", r.output(0)->name(), ": ",
                            r.output(0)->type().ToString()));
  std::string y;
  if (ctx.op == RowOp::kSoftmax) {
    y = absl::StrCat("expf(", x, " - ", stats.first, ") * ", stats.second);
  } else {
    int scale_input = ctx.skip ? 2 : 1;
    const Value* scale = r.input(scale_input);
    ASSIGN_OR_RETURN(std::string s,
                     e.ValueAt(scale, e.Broadcast(idx, ctx.dims, scale->type().dims)));
    std::string centered =
        ctx.op == RowOp::kLayerNorm ? absl::StrCat("(", x, " - ", stats.first, ")") : x;
    y = absl::StrCat(centered, " * ", stats.second, " * (float)", s);
    const Value* bias = r.input(scale_input + 1);
    if (ctx.op == RowOp::kLayerNorm && bias != nullptr) {
      ASSIGN_OR_RETURN(std::string b,
                       e.ValueAt(bias, e.Broadcast(idx, ctx.dims, bias->type().dims)));
      y = absl::StrCat(y, " + (float)", b);
    }
  }
  e.Bind(r.output(0), idx, e.Let("float", r.output(0)->name(), y));
  if (ctx.skip && r.num_outputs() > 1) e.Bind(r.output(1), idx, x);
  for (size_t i = 0; i < body.outputs().size(); ++i) {
    const Value* out = body.outputs()[i];
    DType t = out->type().dtype;
    if (const Value* src = PeelViews(out, ctx.dims)) {
      ASSIGN_OR_RETURN(std::string value, e.ValueAt(src, idx));
      std::string dest = out_lanes[i].empty() ? absl::StrCat(output_vars[i], "[row * p.cols + c]")
                                              : absl::StrCat(out_lanes[i], "[j]");
      code.Line(absl::StrCat(dest, " = ", StoreConvert(t, value), ";"));
      continue;
    }
    std::optional<RowSelect> select = AsRowSelect(out, ctx.dims);
    if (!select) {
      return absl::UnimplementedError(absl::StrCat("codegen: ", r.Describe(), ": kernel output ",
                                                   out->name(), " (", out->type().ToString(),
                                                   ") is neither row-shaped nor a row selection"));
    }
    ASSIGN_OR_RETURN(std::string value, e.ValueAt(select->source, idx));
    Index out_idx = idx;
    out_idx.erase(out_idx.begin() + select->axis);
    // The selected position is a data value: compared in 64 bits, so an index past the axis
    // selects no row even where the index type is 32-bit.
    std::string k = e.dims().Ref64(select->index);
    code.Open(absl::StrCat("if ((kiln_i64)", idx[select->axis], " == (", k, " < 0 ? ", k, " + ",
                           e.dims().Ref64(ctx.dims[select->axis]), " : ", k, "))"));
    code.Line(absl::StrCat(output_vars[i], "[", e.Linearize(out_idx, out->type().dims),
                           "] = ", StoreConvert(t, value), ";"));
    code.Close();
  }
  e.Restore(std::move(saved));
  if (ctx.vec > 1) {
    code.Close();  // The lanes.
    --scopes;
    for (size_t i = 0; i < out_vecs.size(); ++i) {
      const int per_vector = ctx.vec / std::max(out_count[i], 1);
      for (int v = 0; v < out_count[i]; ++v) {
        code.Line(absl::StrCat("kiln_store16(", output_vars[i], " + row * p.cols + vc * ",
                               ctx.vec, v > 0 ? absl::StrCat(" + ", v * per_vector) : "", ", ",
                               out_vecs[i], "[", v, "]);"));
      }
    }
  }
  for (int i = 0; i < scopes; ++i) code.Close();
  return absl::OkStatus();
}

// Walks the prologue of `v` at `idx` (as ValueAt will) through elementwise ops to the values
// vectorised mode can load: a kernel input at the row's own element, or an axis-0 Gather of a
// [rows, cols] kernel input. Returns false when some value the column varies reaches neither
// (it would be loaded a lane at a time).
bool CollectVectorOperands(const RowContext& ctx, const ExprEmitter& e, const Graph& body,
                           const std::vector<std::string>& input_vars, const Value* v,
                           const Index& idx, std::vector<VectorOperand>& out) {
  if (idx.empty() || idx.back() != "c") return true;  // The same for every column of the row.
  auto input_var = [&](const Value* x) -> const std::string* {
    auto it = std::find(body.inputs().begin(), body.inputs().end(), x);
    if (it == body.inputs().end() || x->sym_value().has_value()) return nullptr;
    return &input_vars[it - body.inputs().begin()];
  };
  if (v->type().dims == ctx.dims && idx == ColumnIndex(ctx)) {
    const Value* source = v;
    while (source->producer() != nullptr && IsContiguousView(source->producer()->op())) {
      source = source->producer()->input(0);
    }
    if (const std::string* var = input_var(source);
        var != nullptr && source->type().NumElements() == v->type().NumElements()) {
      out.push_back({v, idx, *var, source->type().dtype});
      return true;
    }
  }
  const Node* n = v->producer();
  if (n == nullptr || v->sym_value().has_value()) return false;
  if (n->op() == OpKind::kGather) {
    const Value* table = n->input(0);
    const std::vector<DimExpr>& t = table->type().dims;
    const std::string* var = input_var(table);
    if (var != nullptr && t.size() == 2 && t[1] == ctx.dims.back() &&
        (n->attr_int("axis") == 0 || n->attr_int("axis") == -2)) {
      out.push_back({v, idx, *var, table->type().dtype, n->input(1), t[0]});
      return true;
    }
    return false;
  }
  const FusionKind kind = GetOpInfo(n->op()).fusion;
  if (n->num_outputs() != 1 || IsContiguousView(n->op()) || n->op() == OpKind::kExpand ||
      (kind != FusionKind::kElementwise && kind != FusionKind::kBroadcast)) {
    return false;
  }
  bool complete = true;
  for (int i = 0; i < n->num_inputs(); ++i) {
    const Value* in = n->input(i);
    if (in == nullptr) continue;
    complete &= CollectVectorOperands(ctx, e, body, input_vars, in,
                                      e.Broadcast(idx, v->type().dims, in->type().dims), out);
  }
  return complete;
}

// The vectorised mode's operands (see CollectVectorOperands), all of one element size, 2 or 4
// bytes: those of the reduction's input 0 (every value its columns vary must be one) and of the
// skip input (those found). Empty when input 0's are incomplete: the kernel stays scalar.
std::vector<VectorOperand> VectorOperands(const RowContext& ctx, const ExprEmitter& e,
                                          const Graph& body,
                                          const std::vector<std::string>& input_vars) {
  const Node& r = ctx.reduction;
  std::vector<VectorOperand> found;
  if (!CollectVectorOperands(ctx, e, body, input_vars, r.input(0), ColumnIndex(ctx), found) ||
      found.empty()) {
    return {};
  }
  const size_t size = DTypeSize(found[0].dtype);
  if (size != 2 && size != 4) return {};
  for (const VectorOperand& op : found) {
    if (DTypeSize(op.dtype) != size) return {};
  }
  if (ctx.skip) {
    std::vector<VectorOperand> skip;
    const Value* s = r.input(1);
    CollectVectorOperands(ctx, e, body, input_vars, s,
                          e.Broadcast(ColumnIndex(ctx), ctx.dims, s->type().dims), skip);
    for (VectorOperand& op : skip) {
      if (DTypeSize(op.dtype) == size) found.push_back(std::move(op));
    }
  }
  // One load per distinct value and index (a prologue may reach one Gather twice).
  std::vector<VectorOperand> loads;
  for (VectorOperand& op : found) {
    auto same = [&](const VectorOperand& o) { return o.value == op.value && o.index == op.index; };
    if (std::none_of(loads.begin(), loads.end(), same)) loads.push_back(std::move(op));
  }
  return loads;
}

}  // namespace

bool IsRowReduction(const Node& n) {
  return n.op() == OpKind::kSoftmax || n.op() == OpKind::kLayerNormalization ||
         n.op() == OpKind::kRMSNormalization || n.op() == OpKind::kSkipNormalization;
}

absl::StatusOr<EmittedKernel> EmitRowReductionKernel(const Node& node, const Node& reduction,
                                                     const std::string& name) {
  const Graph& body = *node.body();
  const std::vector<DimExpr>& dims = reduction.input(0)->type().dims;
  int64_t rank = static_cast<int64_t>(dims.size());
  auto unsupported = [&](absl::string_view why) {
    return absl::UnimplementedError(
        absl::StrCat("codegen: ", node.Describe(), ": ", reduction.Describe(), ": ", why));
  };
  if (rank == 0) return unsupported("a scalar has no rows");
  RowContext ctx{reduction, RowOp::kSoftmax, false, {}, dims};
  if (reduction.op() == OpKind::kSkipNormalization) {
    ctx.skip = true;
    ctx.op = reduction.attr_string("norm") == "rms" ? RowOp::kRmsNorm : RowOp::kLayerNorm;
  } else {
    int64_t axis = reduction.attr_int("axis");
    if (axis != -1 && axis != rank - 1) return unsupported("only the last axis is reduced here");
    if (reduction.op() == OpKind::kLayerNormalization) ctx.op = RowOp::kLayerNorm;
    if (reduction.op() == OpKind::kRMSNormalization) ctx.op = RowOp::kRmsNorm;
    for (int i = 1; i < reduction.num_outputs(); ++i) {
      if (!reduction.output(i)->uses().empty()) return unsupported("mean/inv_std outputs are used");
      for (const Value* o : body.outputs()) {
        if (o == reduction.output(i)) return unsupported("mean/inv_std outputs are returned");
      }
    }
  }
  EmittedKernel kernel;
  kernel.kind = EmittedKernel::Kind::kRowReduction;
  kernel.name = name;
  SourceWriter globals, code;
  for (const char* reserved : {"p", "row", "c", "i", "j", "k", "vc", "xs", "row_max", "row_sum",
                               "inv_sum", "sum", "sum_sq", "mean", "inv_std", "inv_rms"}) {
    code.FreshName(reserved);
  }
  std::vector<std::string> params, input_vars, output_vars;
  kernel.buffers = KernelBuffers(node, code, &params, &input_vars, &output_vars);
  DimTable dim_table;
  ExprEmitter e(body, input_vars, code, globals, dim_table, name);
  std::vector<DimExpr> leading(dims.begin(), dims.end() - 1);
  kernel.rows = DimExpr(1);
  for (const DimExpr& d : leading) kernel.rows = kernel.rows * d;
  kernel.cols = dims.back();
  code.Indent();
  code.Open("for (kiln_i64 row = blockIdx.x; row < p.rows; row += gridDim.x)");
  ctx.leading = e.Delinearize("row", leading);
  if (std::optional<int64_t> c = kernel.cols.as_const()) {
    kernel.block_size = static_cast<int>(std::clamp<int64_t>((*c + 31) / 32 * 32, 32, 256));
    std::vector<VectorOperand> loads = VectorOperands(ctx, e, body, input_vars);
    int vec = loads.empty() ? 1 : static_cast<int>(16 / DTypeSize(loads[0].dtype));
    if (*c > 0 && *c <= kMaxCachedCols && vec > 1 && *c % vec == 0) {
      // One vector per thread and run, at most 256 threads. Rows of up to kMaxWarpRuns
      // vectors per lane may also run one per warp, which the launcher picks when the blocks
      // would not all be resident at once (on the H100, BERT-base's 96-vector LayerNorm took
      // 11.0 instead of 11.9 us at batch 32 that way, but 5.9 instead of 4.6 at batch 1).
      int64_t vectors = *c / vec;
      kernel.block_size = static_cast<int>(std::clamp<int64_t>((vectors + 31) / 32 * 32, 32, 256));
      kernel.vector_width = vec;
      kernel.warp_rows = kernel.block_size > 32 && vectors <= 32 * kMaxWarpRuns;
      ctx.block = kernel.block_size;
      ctx.dynamic_block = kernel.warp_rows;
      ctx.vec = vec;
      ctx.runs = static_cast<int>((vectors + (kernel.warp_rows ? 32 : ctx.block) - 1) /
                                  (kernel.warp_rows ? 32 : ctx.block));
      ctx.per_thread = ctx.runs * vec;
      ctx.loads = std::move(loads);
      ctx.exact = !ctx.dynamic_block && vectors == int64_t{ctx.runs} * ctx.block;
    } else if (*c > 0 && *c <= kMaxCachedCols) {
      // About four columns per thread (fewer threads idle at the row's end), at most 256.
      kernel.block_size = static_cast<int>(std::clamp<int64_t>((*c / 4 + 31) / 32 * 32, 32, 256));
      ctx.block = kernel.block_size;
      ctx.per_thread = static_cast<int>((*c + ctx.block - 1) / ctx.block);
      ctx.exact = *c == int64_t{ctx.per_thread} * ctx.block;
    }
  }

  if (ctx.per_thread > 0) RETURN_IF_ERROR(LoadRow(ctx, e));
  ASSIGN_OR_RETURN(auto stats, EmitStatistics(ctx, e));
  RETURN_IF_ERROR(EmitOutputPass(ctx, e, body, stats, output_vars));
  code.Close();
  code.Dedent();

  kernel.dims = dim_table.dims();
  int d = std::max<int>(1, static_cast<int>(kernel.dims.size()));
  params.push_back(absl::StrCat("const KilnRowParams<", d, "> p"));
  SourceWriter out;
  out.Append(globals);
  out.Kernel(absl::StrCat(node.name(), " (FusedKernel): rows of ", reduction.name(), " (",
                          reduction.op_name(), ") over ", reduction.input(0)->type().ToString()),
             name, params, code);
  kernel.source = out.str();
  return kernel;
}

}  // namespace kiln
