#include "frontend/import_context.h"

#include "absl/strings/str_cat.h"
#include "frontend/tensor_proto.h"

namespace kiln::frontend {
namespace {

std::string NodeLabel(const onnx::NodeProto& p) {
  std::string name = p.name().empty() && p.output_size() > 0 ? p.output(0) : p.name();
  return absl::StrCat("node '", name, "' (", p.op_type(), ")");
}

absl::StatusOr<AttrValue> ConvertAttr(const onnx::AttributeProto& a, AttrKind want,
                                      absl::string_view where, const std::string& base_dir) {
  using A = onnx::AttributeProto;
  auto mismatch = [&] {
    return absl::InvalidArgumentError(absl::StrCat(where, ": attribute '", a.name(),
                                                   "' has the wrong type, expected ",
                                                   AttrKindName(want)));
  };
  switch (want) {
    case AttrKind::kInt:
      if (a.type() != A::INT) return mismatch();
      return AttrValue(static_cast<int64_t>(a.i()));
    case AttrKind::kFloat:
      if (a.type() != A::FLOAT) return mismatch();
      return AttrValue(a.f());
    case AttrKind::kString:
      if (a.type() != A::STRING) return mismatch();
      return AttrValue(a.s());
    case AttrKind::kInts:
      if (a.type() != A::INTS) return mismatch();
      return AttrValue(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case AttrKind::kFloats:
      if (a.type() != A::FLOATS) return mismatch();
      return AttrValue(std::vector<float>(a.floats().begin(), a.floats().end()));
    case AttrKind::kStrings:
      if (a.type() != A::STRINGS) return mismatch();
      return AttrValue(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case AttrKind::kTensor: {
      if (a.type() != A::TENSOR) return mismatch();
      auto t = TensorFromProto(a.t(), base_dir);
      if (!t.ok()) {
        return absl::Status(t.status().code(),
                            absl::StrCat(where, ": attribute '", a.name(), "': ",
                                         t.status().message()));
      }
      return AttrValue(*std::move(t));
    }
    case AttrKind::kDims:
      return mismatch();
  }
  return mismatch();
}

}  // namespace

const onnx::AttributeProto* ImportContext::FindAttr(absl::string_view name) const {
  for (const auto& a : proto_.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

absl::StatusOr<Attributes> ImportContext::ConvertAttributes(
    OpKind op, const absl::flat_hash_set<std::string>& skip) const {
  const OpInfo& info = GetOpInfo(op);
  Attributes attrs;
  for (const auto& a : proto_.attribute()) {
    if (skip.contains(a.name())) continue;
    if (!a.ref_attr_name().empty()) return Unsupported("attribute references (functions)");
    const AttrSpec* spec = info.FindAttr(a.name());
    if (spec == nullptr) {
      return Unsupported(absl::StrCat("attribute '", a.name(), "' is not supported"));
    }
    auto v = ConvertAttr(a, spec->kind, NodeLabel(proto_), base_dir_);
    if (!v.ok()) return v.status();
    attrs.Set(a.name(), *std::move(v));
  }
  return attrs;
}

Node* ImportContext::AddNode(OpKind op, std::vector<Value*> inputs, Attributes attrs,
                             int num_outputs) {
  std::string base = proto_.name().empty() && proto_.output_size() > 0 ? proto_.output(0)
                                                                        : proto_.name();
  if (base.empty()) base = proto_.op_type();
  std::string name = added_++ == 0 ? base : absl::StrCat(base, "/", added_ - 1);
  while (!inputs.empty() && inputs.back() == nullptr) inputs.pop_back();
  return graph_.AddNode(op, inputs, num_outputs, std::move(attrs), name);
}

Value* ImportContext::AddInt64s(const std::vector<int64_t>& values, bool scalar) {
  std::vector<int64_t> shape;
  if (!scalar) shape.push_back(static_cast<int64_t>(values.size()));
  Tensor t = Tensor::FromVector<int64_t>(values, shape);
  Attributes attrs;
  attrs.Set("value", std::move(t));
  return AddNode(OpKind::kConstant, {}, std::move(attrs), 1)->output(0);
}

absl::Status ImportContext::Error(absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(NodeLabel(proto_), ": ", what));
}

absl::Status ImportContext::Unsupported(absl::string_view what) const {
  return absl::UnimplementedError(absl::StrCat(NodeLabel(proto_), ": ", what));
}

void ImporterTable::Add(absl::string_view op_type, int min_opset, int max_opset, ImportFn fn) {
  entries_[std::string(op_type)].push_back(Entry{min_opset, max_opset, fn});
}

ImportFn ImporterTable::Find(absl::string_view op_type, int64_t opset) const {
  auto it = entries_.find(op_type);
  if (it == entries_.end()) return nullptr;
  for (const Entry& e : it->second) {
    if (opset >= e.min_opset && opset <= e.max_opset) return e.fn;
  }
  return nullptr;
}

absl::StatusOr<std::vector<Value*>> ImportAs(ImportContext& ctx, OpKind op) {
  auto attrs = ctx.ConvertAttributes(op);
  if (!attrs.ok()) return attrs.status();
  Node* n = ctx.AddNode(op, ctx.inputs(), *std::move(attrs), ctx.num_outputs());
  std::vector<Value*> outs;
  for (int i = 0; i < n->num_outputs(); ++i) outs.push_back(n->output(i));
  return outs;
}

absl::StatusOr<std::vector<Value*>> ImportGeneric(ImportContext& ctx) {
  std::optional<OpKind> op = LookupOp(ctx.proto().op_type());
  if (!op) return ctx.Unsupported(absl::StrCat("unsupported op ", ctx.proto().op_type()));
  return ImportAs(ctx, *op);
}

const ImporterTable& GetImporterTable() {
  static const ImporterTable* table = [] {
    auto* t = new ImporterTable();
    AddElementwiseImporters(*t);
    AddReductionImporters(*t);
    AddShapeOpImporters(*t);
    AddContractionImporters(*t);
    return t;
  }();
  return *table;
}

}  // namespace kiln::frontend
