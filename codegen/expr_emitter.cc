#include "codegen/expr_emitter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/status_macros.h"
#include "passes/pattern.h"

namespace kiln {

size_t DimTable::Slot(const DimExpr& d) {
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (dims_[i] == d) return i;
  }
  dims_.push_back(d);
  return dims_.size() - 1;
}

std::string DimTable::Ref(const DimExpr& d) {
  if (std::optional<int64_t> c = d.as_const()) return absl::StrCat("(kiln_idx)", *c);
  return absl::StrCat("((kiln_idx)p.dims[", Slot(d), "])");
}

std::string DimTable::Ref64(const DimExpr& d) {
  if (std::optional<int64_t> c = d.as_const()) return absl::StrCat("(kiln_i64)", *c);
  return absl::StrCat("p.dims[", Slot(d), "]");
}

std::vector<DimExpr> BroadcastStrides(const std::vector<DimExpr>& in,
                                      const std::vector<DimExpr>& domain) {
  std::vector<DimExpr> strides(std::max<size_t>(domain.size(), 1), DimExpr(0));
  if (in.size() > domain.size()) return strides;
  size_t shift = domain.size() - in.size();
  DimExpr stride(1);
  for (size_t d = in.size(); d-- > 0;) {
    if (in[d] != DimExpr(1)) strides[d + shift] = stride;
    stride = stride * in[d];
  }
  return strides;
}

std::string ComputeType(DType t) {
  switch (t) {
    case DType::kF16:
    case DType::kBF16:
    case DType::kF32:
      return "float";
    case DType::kF64:
      return "double";
    case DType::kBool:
      return "bool";
    case DType::kI8:
      return "signed char";
    case DType::kI16:
      return "short";
    case DType::kI32:
      return "int";
    case DType::kI64:
      return "kiln_i64";
    case DType::kU8:
      return "unsigned char";
    case DType::kU16:
      return "unsigned short";
    case DType::kU32:
      return "unsigned int";
    case DType::kU64:
      return "kiln_u64";
    default:
      return "";
  }
}

std::string StorageType(DType t) {
  if (t == DType::kF16) return "kiln_half";
  if (t == DType::kBF16) return "kiln_bf16";
  return ComputeType(t);
}

std::string Literal(DType t, double value) {
  if (!IsFloat(t)) {
    if (t == DType::kBool) return value != 0 ? "true" : "false";
    return absl::StrCat("(", ComputeType(t), ")", static_cast<int64_t>(value), "LL");
  }
  bool is_double = t == DType::kF64;
  // __builtin_bit_cast rather than __int_as_float: it is a constant expression, which the
  // initializers of file-scope constant tables need.
  if (std::isnan(value)) {
    return is_double ? "__builtin_bit_cast(double, 0x7ff8000000000000ull)"
                     : "__builtin_bit_cast(float, 0x7fc00000u)";
  }
  if (std::isinf(value)) {
    std::string inf = is_double ? "__builtin_bit_cast(double, 0x7ff0000000000000ull)"
                                : "__builtin_bit_cast(float, 0x7f800000u)";
    return value < 0 ? absl::StrCat("(-", inf, ")") : inf;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), is_double ? "%.17g" : "%.9g", value);
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return is_double ? s : absl::StrCat(s, "f");
}

std::string LoadConvert(DType t, const std::string& stored) {
  if (t == DType::kF16) return absl::StrCat("kiln_h2f(", stored, ")");
  if (t == DType::kBF16) return absl::StrCat("kiln_bf2f(", stored, ")");
  return stored;
}

std::string StoreConvert(DType t, const std::string& computed) {
  if (t == DType::kF16) return absl::StrCat("kiln_f2h(", computed, ")");
  if (t == DType::kBF16) return absl::StrCat("kiln_f2bf(", computed, ")");
  return computed;
}

ExprEmitter::ExprEmitter(const Graph& body, std::vector<std::string> inputs, SourceWriter& code,
                         SourceWriter& globals, DimTable& dims, std::string table_prefix)
    : body_(body),
      inputs_(std::move(inputs)),
      code_(code),
      globals_(globals),
      dims_(dims),
      table_prefix_(std::move(table_prefix)) {
  for (int k = 0; k < static_cast<int>(body.inputs().size()); ++k) {
    input_index_[body.inputs()[k]] = k;
  }
}

void ExprEmitter::SetDomain(Index domain, std::vector<DimExpr> domain_dims) {
  domain_ = std::move(domain);
  domain_dims_ = std::move(domain_dims);
}

std::string ExprEmitter::Key(const Value* v, const Index& idx) const {
  return absl::StrCat(reinterpret_cast<uintptr_t>(v), ":", absl::StrJoin(idx, ","));
}

void ExprEmitter::Bind(const Value* v, const Index& idx, std::string var) {
  memo_[Key(v, idx)] = std::move(var);
}

std::string ExprEmitter::Let(absl::string_view type, absl::string_view base,
                             const std::string& expr) {
  std::string name = code_.FreshName(base);
  code_.Line(absl::StrCat("const ", type, " ", name, " = ", expr, ";"));
  return name;
}

std::string ExprEmitter::Linearize(const Index& idx, const std::vector<DimExpr>& dims) {
  // Zero components (stretched or unit dims) add nothing; a zero prefix scales to nothing.
  std::string expr = kZeroIndex;
  for (size_t d = 0; d < idx.size(); ++d) {
    if (expr == kZeroIndex) {
      expr = idx[d];
    } else if (dims[d] != DimExpr(1)) {
      expr = absl::StrCat("(", expr, ") * ", dims_.Ref(dims[d]));
      if (idx[d] != kZeroIndex) absl::StrAppend(&expr, " + ", idx[d]);
    }
  }
  return expr;
}

Index ExprEmitter::Delinearize(const std::string& flat, const std::vector<DimExpr>& dims) {
  Index idx(dims.size(), kZeroIndex);
  if (dims.empty()) return idx;
  std::string rest = Let("kiln_idx", "flat", flat);
  for (size_t d = dims.size() - 1; d > 0; --d) {
    if (dims[d] == DimExpr(1)) continue;  // Its index is 0 and `rest` is unchanged.
    std::string dim = dims_.Ref(dims[d]);
    idx[d] = Let("kiln_idx", absl::StrCat("j", d), absl::StrCat(rest, " % ", dim));
    rest = Let("kiln_idx", "rest", absl::StrCat(rest, " / ", dim));
  }
  if (dims[0] != DimExpr(1)) idx[0] = rest;
  return idx;
}

Index ExprEmitter::Reindex(const Index& idx, const std::vector<DimExpr>& out,
                           const std::vector<DimExpr>& in) {
  // Positions of the non-unit dims; a unit dim's index is 0 on either side.
  std::vector<size_t> o, i;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] != DimExpr(1)) o.push_back(d);
  }
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] != DimExpr(1)) i.push_back(d);
  }
  auto generic = [&] { return Delinearize(Linearize(idx, out), in); };
  // A constant 0 dim makes every prefix product equal; the tensor is empty anyway.
  for (const std::vector<DimExpr>* dims : {&out, &in}) {
    for (const DimExpr& d : *dims) {
      if (d == DimExpr(0)) return generic();
    }
  }
  Index result(in.size(), kZeroIndex);
  size_t a = 0, b = 0;  // Starts of the current group in `o` and `i`.
  while (a < o.size() || b < i.size()) {
    // The smallest group [a, ea) x [b, eb) whose dim products agree (as polynomials); the
    // row-major offsets within it then agree, as do those of the dims after it.
    DimExpr po(1);
    size_t ea = a, eb = b;
    bool found = false;
    while (ea < o.size() && !found) {
      po = po * out[o[ea++]];
      DimExpr pi(1);
      for (eb = b; eb < i.size() && !found;) {
        pi = pi * in[i[eb++]];
        found = pi == po && po.is_valid();
      }
    }
    if (!found) return generic();
    if (ea - a == 1 && eb - b == 1) {
      result[i[b]] = idx[o[a]];
    } else {
      Index group_idx;
      std::vector<DimExpr> group_out, group_in;
      for (size_t k = a; k < ea; ++k) {
        group_idx.push_back(idx[o[k]]);
        group_out.push_back(out[o[k]]);
      }
      for (size_t k = b; k < eb; ++k) group_in.push_back(in[i[k]]);
      std::string flat = Linearize(group_idx, group_out);
      Index parts = eb - b == 1 ? Index{flat} : Delinearize(flat, group_in);
      for (size_t k = b; k < eb; ++k) result[i[k]] = parts[k - b];
    }
    a = ea;
    b = eb;
  }
  return result;
}

std::string ExprEmitter::WrapIndex(const std::string& raw, const DimExpr& n) {
  return absl::StrCat("kiln_wrap_index((kiln_i64)", raw, ", ", dims_.Ref64(n), ")");
}

Index ExprEmitter::Broadcast(const Index& idx, const std::vector<DimExpr>& out,
                             const std::vector<DimExpr>& in) const {
  Index result(in.size());
  size_t shift = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d) {
    bool stretched = in[d] == DimExpr(1) && out[d + shift] != DimExpr(1);
    result[d] = stretched ? kZeroIndex : idx[d + shift];
  }
  return result;
}

std::optional<std::vector<DimExpr>> ExprEmitter::IntsOf(const Value* v) const {
  if (v == nullptr) return std::nullopt;
  if (const Tensor* t = ConstantOf(v); t != nullptr && !IsFloat(t->dtype())) {
    std::vector<DimExpr> out;
    for (int64_t i = 0; i < t->num_elements(); ++i) out.push_back(DimExpr(t->GetAsInt(i)));
    return out;
  }
  return v->sym_value();
}

absl::StatusOr<std::string> ExprEmitter::ValueAt(const Value* v, const Index& idx) {
  std::string key = Key(v, idx);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  std::string result;
  if (std::optional<std::vector<DimExpr>> sym = v->sym_value();
      sym && !IsFloat(v->type().dtype) &&
      static_cast<int64_t>(sym->size()) == v->type().NumElements().as_const().value_or(-1)) {
    result = EmitSymbolic(v, *sym, idx);
  } else if (auto it = input_index_.find(v); it != input_index_.end()) {
    ASSIGN_OR_RETURN(result, LoadInput(it->second, v, idx));
  } else {
    const Node* n = v->producer();
    if (n == nullptr)
      return absl::InternalError(absl::StrCat("value ", v->name(), " has no producer"));
    if (n->op() == OpKind::kSplit) {
      ASSIGN_OR_RETURN(result, EmitSplit(*n, v, idx));
      memo_[key] = result;
      return result;
    }
    if (n->num_outputs() != 1) {
      return absl::UnimplementedError(
          absl::StrCat("codegen: ", n->Describe(),
                       " has several outputs; only a reduction kernel's own "
                       "reduction may"));
    }
    code_.Comment(absl::StrCat(n->name(), " (", n->op_name(), ") -> ", v->name(), ": ",
                               v->type().ToString()));
    FusionKind kind = GetOpInfo(n->op()).fusion;
    absl::StatusOr<std::string> emitted;
    if (n->op() == OpKind::kExpand || kind == FusionKind::kInjective) {
      emitted = EmitInjective(*n, idx);
    } else if (kind == FusionKind::kElementwise || kind == FusionKind::kBroadcast) {
      emitted = EmitElementwise(*n, idx);
    } else if (n->op() == OpKind::kConstant) {
      emitted = EmitConstant(*n, idx);
    } else if (n->op() == OpKind::kRange) {
      emitted = EmitRange(*n, idx);
    } else {
      return absl::UnimplementedError(absl::StrCat("codegen: op ", n->op_name(), " (",
                                                   n->Describe(),
                                                   ") is not supported in a fused kernel here"));
    }
    if (!emitted.ok()) return emitted.status();
    result = *std::move(emitted);
  }
  memo_[key] = result;
  return result;
}

absl::StatusOr<std::string> ExprEmitter::LoadInput(int k, const Value* v, const Index& idx) {
  const std::vector<DimExpr>& dims = v->type().dims;
  std::string offset;
  bool direct = !domain_.empty() && dims.size() <= domain_.size();
  size_t shift = direct ? domain_.size() - dims.size() : 0;
  for (size_t d = 0; direct && d < dims.size(); ++d) {
    direct = idx[d] == domain_[d + shift] || (idx[d] == kZeroIndex && dims[d] == DimExpr(1));
  }
  if (direct) {
    // The host passes these strides as p.in_strides[k]; constant ones are literals here.
    std::vector<DimExpr> strides = BroadcastStrides(dims, domain_dims_);
    std::vector<std::string> terms;
    for (size_t j = 0; j < domain_.size(); ++j) {
      std::optional<int64_t> c = strides[j].as_const();
      if (c == 0 || domain_[j] == kZeroIndex) continue;
      if (c == 1) {
        terms.push_back(domain_[j]);
      } else if (c) {
        terms.push_back(absl::StrCat(domain_[j], " * (kiln_idx)", *c));
      } else {
        terms.push_back(absl::StrCat(domain_[j], " * (kiln_idx)p.in_strides[", k, "][", j, "]"));
      }
    }
    offset = terms.empty() ? kZeroIndex : absl::StrJoin(terms, " + ");
  } else {
    offset = Linearize(idx, dims);
  }
  DType t = v->type().dtype;
  return Let(ComputeType(t), v->name(), LoadConvert(t, absl::StrCat(inputs_[k], "[", offset, "]")));
}

std::string ExprEmitter::EmitSymbolic(const Value* v, const std::vector<DimExpr>& contents,
                                      const Index& idx) {
  // The contents are data (64-bit values); only the offset is an index.
  std::string element = contents.empty() ? "(kiln_i64)0" : dims_.Ref64(contents.back());
  if (contents.size() > 1) {
    std::string offset = Let("kiln_idx", "offset", Linearize(idx, v->type().dims));
    for (size_t i = contents.size() - 1; i-- > 0;) {
      element = absl::StrCat("(", offset, " == ", i, " ? ", dims_.Ref64(contents[i]), " : ",
                             element, ")");
    }
  }
  DType t = v->type().dtype;
  std::string expr = t == DType::kBool ? absl::StrCat("(", element, " != 0)")
                                       : absl::StrCat("((", ComputeType(t), ")", element, ")");
  return Let(ComputeType(t), v->name(), expr);
}

absl::StatusOr<std::string> ExprEmitter::EmitSplit(const Node& n, const Value* v,
                                                   const Index& idx) {
  const int64_t rank = v->type().rank();
  int64_t axis = n.attr_int("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    return absl::InvalidArgumentError(absl::StrCat(n.Describe(), ": axis out of range"));
  }
  DimExpr offset(0);
  for (int i = 0; i < n.num_outputs() && n.output(i) != v; ++i) {
    offset = offset + n.output(i)->type().dims[axis];
  }
  Index in_idx = idx;
  if (offset != DimExpr(0)) {
    in_idx[axis] = absl::StrCat("(", idx[axis], " + ", dims_.Ref(offset), ")");
  }
  return ValueAt(n.input(0), in_idx);
}

absl::StatusOr<std::string> ExprEmitter::EmitRange(const Node& n, const Index& idx) {
  const Value* out = n.output(0);
  DType t = out->type().dtype;
  std::string ct = ComputeType(t);
  std::string i = idx.empty() ? kZeroIndex : idx[0];
  std::optional<std::vector<DimExpr>> start = IntsOf(n.input(0));
  std::optional<std::vector<DimExpr>> delta = IntsOf(n.input(2));
  if (!IsFloat(t) && start && delta && start->size() == 1 && delta->size() == 1) {
    // The elements are data: computed in 64 bits from the index.
    return Let(ct, out->name(),
               absl::StrCat("((", ct, ")(", dims_.Ref64((*start)[0]), " + (kiln_i64)", i, " * ",
                            dims_.Ref64((*delta)[0]), "))"));
  }
  std::optional<double> fstart = ConstantScalar(n.input(0));
  std::optional<double> fdelta = ConstantScalar(n.input(2));
  if (IsFloat(t) && fstart && fdelta) {
    return Let(ct, out->name(),
               absl::StrCat("(", Literal(t, *fstart), " + (", ct, ")", i, " * ",
                            Literal(t, *fdelta), ")"));
  }
  return absl::UnimplementedError(absl::StrCat(
      "codegen: ", n.Describe(), ": Range start and delta must be constants or host values"));
}

absl::StatusOr<std::string> ExprEmitter::EmitConstant(const Node& n, const Index& idx) {
  const Value* v = n.output(0);
  const Tensor* t = ConstantOf(v);
  DType dt = v->type().dtype;
  if (t == nullptr || ComputeType(dt).empty()) {
    return absl::UnimplementedError(absl::StrCat("codegen: ", n.Describe(), ": constant of ",
                                                 v->type().ToString(), " is not supported"));
  }
  auto element = [&](int64_t i) {
    return IsFloat(dt) ? Literal(dt, t->GetAsDouble(i)) : Literal(dt, t->GetAsInt(i));
  };
  if (t->num_elements() == 1) return element(0);
  if (t->num_elements() == 0) return Literal(dt, 0);  // Never loaded: the value is empty.
  auto [it, inserted] = tables_.try_emplace(&n, "");
  if (inserted) {
    // Tables of all kernels share the module's scope; reserve the name among locals too.
    it->second = code_.FreshName(globals_.FreshName(absl::StrCat(table_prefix_, "_", v->name())));
    globals_.Comment(
        absl::StrCat(n.name(), " (Constant) -> ", v->name(), ": ", v->type().ToString()));
    std::vector<std::string> elems;
    for (int64_t i = 0; i < t->num_elements(); ++i) elems.push_back(element(i));
    // Aligned so that a thread reading adjacent entries may load them as one vector.
    globals_.Line(absl::StrCat("__device__ __align__(16) const ", ComputeType(dt), " ", it->second, "[",
                               t->num_elements(), "] = {", absl::StrJoin(elems, ", "), "};"));
  }
  return Let(ComputeType(dt), v->name(),
             absl::StrCat(it->second, "[", Linearize(idx, v->type().dims), "]"));
}

}  // namespace kiln
