// ONNX model -> Kiln graph. The model is untrusted: every lookup, size and name is checked
// and reported with the file and node it concerns. Nodes are imported in a topological order
// computed here (so a cycle or a dangling input is a clear error), then shapes are inferred.
#include "frontend/onnx_import.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/import_context.h"
#include "frontend/tensor_proto.h"
#include "ir/shape_inference.h"
#include "ir/status_macros.h"
#include "onnx/onnx.pb.h"

namespace kiln {
namespace {

using frontend::ImportContext;

constexpr int64_t kMinOpset = 13;
// Opsets past 23 changed the ops Kiln imports only by adding dtypes Kiln lacks (which are
// rejected per tensor) or inputs that the per-op importers reject, so they import too.
constexpr int64_t kMaxOpset = 28;

absl::Status Prefix(absl::string_view file, const absl::Status& s) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(file, ": ", s.message()));
}

bool IsDefaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// dim_param strings become identifiers: other characters turn into '_', and names the dim
// expression syntax reserves get a suffix.
class SymbolNamer {
 public:
  std::string Name(const std::string& param) {
    auto it = names_.find(param);
    if (it != names_.end()) return it->second;
    std::string unique = Fresh(param);
    names_[param] = unique;
    return unique;
  }
  // A symbol used by no other dim (for dims without a dim_param), named after `hint`.
  std::string Fresh(const std::string& hint) {
    std::string s;
    for (char c : hint) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "d_" + s;
    if (s == "div" || s == "mod" || s == "min" || s == "max") s += "_";
    std::string unique = s;
    // Suffixes resume where the last search for `s` stopped, so hostile files with many
    // names that sanitize alike cost linear, not quadratic, time.
    int& k = next_suffix_.try_emplace(s, 2).first->second;
    while (used_.contains(unique)) unique = absl::StrCat(s, "_", k++);
    used_.insert(unique);
    return unique;
  }

 private:
  absl::flat_hash_map<std::string, std::string> names_;
  absl::flat_hash_set<std::string> used_;
  absl::flat_hash_map<std::string, int> next_suffix_;
};

class ModelImporter {
 public:
  ModelImporter(const onnx::ModelProto& model, std::string base_dir)
      : model_(model), base_dir_(std::move(base_dir)) {}

  absl::StatusOr<std::unique_ptr<Graph>> Import() {
    RETURN_IF_ERROR(ReadOpset());
    const onnx::GraphProto& g = model_.graph();
    graph_ = std::make_unique<Graph>(g.name().empty() ? "main" : g.name());
    RETURN_IF_ERROR(ImportInitializers(g));
    RETURN_IF_ERROR(ImportInputs(g));
    ASSIGN_OR_RETURN(std::vector<int> order, TopologicalOrder(g));
    for (int i : order) RETURN_IF_ERROR(ImportNode(g.node(i)));
    RETURN_IF_ERROR(ImportOutputs(g));
    RETURN_IF_ERROR(InferShapes(*graph_));
    RETURN_IF_ERROR(CheckDeclaredOutputs(g));
    return std::move(graph_);
  }

 private:
  // The default domain's opset decides op semantics. Other domains' ops are rejected per
  // node, so a model that imports only other domains is Unimplemented, naming them.
  absl::Status ReadOpset() {
    if (!model_.has_graph()) return absl::InvalidArgumentError("model has no graph");
    std::optional<int64_t> version;
    std::vector<std::string> others;
    for (const auto& o : model_.opset_import()) {
      if (!IsDefaultDomain(o.domain())) {
        others.push_back(absl::StrCat(o.domain(), " v", o.version()));
      } else if (version && *version != o.version()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "model imports the default domain twice, as opsets ", *version, " and ", o.version()));
      } else {
        version = o.version();
      }
    }
    if (!version && !others.empty()) {
      return absl::UnimplementedError(
          absl::StrCat("model imports no opset of the default ONNX domain, only ",
                       absl::StrJoin(others, ", "), ", which Kiln does not support"));
    }
    if (!version) {
      return absl::InvalidArgumentError("model imports no opset (opset_import is empty)");
    }
    opset_ = *version;
    if (opset_ < kMinOpset || opset_ > kMaxOpset) {
      return absl::UnimplementedError(absl::StrCat("opset ", opset_,
                                                   " of the default domain is not supported "
                                                   "(Kiln imports opsets ", kMinOpset, " to ",
                                                   kMaxOpset, ")"));
    }
    return absl::OkStatus();
  }

  absl::Status Define(const std::string& name, Value* v) {
    if (name.empty()) return absl::OkStatus();
    if (values_.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("value '", name, "' is defined twice"));
    }
    // A Kiln-internal value may hold the name by chance; move it aside.
    if (Value* holder = graph_->FindValue(name); holder && holder != v) {
      RETURN_IF_ERROR(graph_->RenameValue(holder, graph_->UniqueValueName(name + "_k")));
    }
    RETURN_IF_ERROR(graph_->RenameValue(v, name));
    values_[name] = v;
    return absl::OkStatus();
  }

  absl::Status ImportInitializers(const onnx::GraphProto& g) {
    if (g.sparse_initializer_size() > 0) {
      return absl::UnimplementedError("sparse initializers are not supported");
    }
    for (const onnx::TensorProto& t : g.initializer()) {
      if (t.name().empty()) return absl::InvalidArgumentError("an initializer has no name");
      ASSIGN_OR_RETURN(Tensor tensor, frontend::TensorFromProto(t, base_dir_));
      Value* v = graph_->AddConstant(std::move(tensor), t.name());
      RETURN_IF_ERROR(Define(t.name(), v));
      initializers_.insert(t.name());
    }
    return absl::OkStatus();
  }

  absl::Status ImportInputs(const onnx::GraphProto& g) {
    for (const onnx::ValueInfoProto& in : g.input()) {
      if (initializers_.contains(in.name())) continue;  // Listed as an input (IR < 4).
      const std::string where = absl::StrCat("graph input '", in.name(), "'");
      if (in.name().empty()) return absl::InvalidArgumentError("a graph input has no name");
      if (!in.type().has_tensor_type()) {
        return absl::UnimplementedError(absl::StrCat(where, " is not a tensor"));
      }
      const auto& tt = in.type().tensor_type();
      auto dtype = frontend::DTypeFromOnnx(tt.elem_type());
      if (!dtype.ok()) return Prefix(where, dtype.status());
      if (!tt.has_shape()) {
        return absl::InvalidArgumentError(absl::StrCat(where, " has no shape (unknown rank)"));
      }
      ASSIGN_OR_RETURN(TensorType type, InputType(in.name(), *dtype, tt.shape()));
      Value* v = graph_->AddInput(in.name(), std::move(type));
      RETURN_IF_ERROR(Define(in.name(), v));
    }
    return absl::OkStatus();
  }

  // Symbolic dims stay symbols; the static ones must make a tensor Kiln could hold (even
  // when every symbol is 1), so absurd or overflowing sizes fail here, not at run time.
  absl::StatusOr<TensorType> InputType(const std::string& name, DType dtype,
                                       const onnx::TensorShapeProto& shape) {
    const std::string where = absl::StrCat("graph input '", name, "'");
    TensorType type{dtype, {}};
    std::vector<int64_t> static_dims;
    for (int d = 0; d < shape.dim_size(); ++d) {
      const auto& dim = shape.dim(d);
      if (dim.has_dim_value()) {
        if (dim.dim_value() < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, " has negative dimension ", dim.dim_value()));
        }
        type.dims.push_back(DimExpr(dim.dim_value()));
        static_dims.push_back(dim.dim_value());
      } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
        type.dims.push_back(DimExpr::Symbol(namer_.Name(dim.dim_param())));
      } else {
        type.dims.push_back(DimExpr::Symbol(namer_.Fresh(absl::StrCat(name, "_d", d))));
      }
    }
    auto bytes = frontend::DenseByteSize(dtype, static_dims);
    if (!bytes.ok()) return Prefix(where, bytes.status());
    if (*bytes > kMaxTensorBytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, " ", type.ToString(), " needs ",
                                                     *bytes, " bytes or more; Kiln's limit is ",
                                                     kMaxTensorBytes));
    }
    return type;
  }

  // Kahn's algorithm over ONNX names, stable with respect to the file's order.
  absl::StatusOr<std::vector<int>> TopologicalOrder(const onnx::GraphProto& g) {
    absl::flat_hash_map<std::string, int> producer;
    for (int i = 0; i < g.node_size(); ++i) {
      for (const std::string& out : g.node(i).output()) {
        if (out.empty()) continue;
        if (values_.contains(out) || !producer.emplace(out, i).second) {
          return absl::InvalidArgumentError(absl::StrCat(
              "value '", out, "' is produced twice (second time by node '", g.node(i).name(),
              "' (", g.node(i).op_type(), "))"));
        }
      }
    }
    std::vector<int> pending(g.node_size(), 0);
    std::vector<std::vector<int>> users(g.node_size());
    for (int i = 0; i < g.node_size(); ++i) {
      for (const std::string& in : g.node(i).input()) {
        if (in.empty() || values_.contains(in)) continue;
        auto it = producer.find(in);
        if (it == producer.end()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "node '", g.node(i).name(), "' (", g.node(i).op_type(), "): input '", in,
              "' is not a graph input, an initializer, or produced by any node"));
        }
        ++pending[i];
        users[it->second].push_back(i);
      }
    }
    std::vector<int> order;
    std::vector<int> ready;
    for (int i = g.node_size() - 1; i >= 0; --i) {
      if (pending[i] == 0) ready.push_back(i);
    }
    // A min-heap would keep file order exactly; a stack of ready nodes in reverse is enough
    // for already-sorted files, which is nearly all of them.
    while (!ready.empty()) {
      int i = ready.back();
      ready.pop_back();
      order.push_back(i);
      for (auto it = users[i].rbegin(); it != users[i].rend(); ++it) {
        if (--pending[*it] == 0) ready.push_back(*it);
      }
    }
    if (static_cast<int>(order.size()) != g.node_size()) {
      for (int i = 0; i < g.node_size(); ++i) {
        if (pending[i] > 0) {
          return absl::InvalidArgumentError(absl::StrCat("the graph has a cycle through node '",
                                                         g.node(i).name(), "' (",
                                                         g.node(i).op_type(), ")"));
        }
      }
    }
    return order;
  }

  absl::Status ImportNode(const onnx::NodeProto& p) {
    if (!IsDefaultDomain(p.domain())) {
      return absl::UnimplementedError(absl::StrCat("node '", p.name(), "': unsupported op ",
                                                   p.domain(), "::", p.op_type()));
    }
    std::vector<Value*> inputs;
    for (const std::string& in : p.input()) inputs.push_back(in.empty() ? nullptr : values_.at(in));
    ImportContext ctx(*graph_, p, opset_, std::move(inputs), base_dir_);
    frontend::ImportFn fn = frontend::GetImporterTable().Find(p.op_type(), opset_);
    auto outs = fn ? fn(ctx) : frontend::ImportGeneric(ctx);
    if (!outs.ok()) return outs.status();
    if (static_cast<int>(outs->size()) != p.output_size()) {
      return absl::InternalError(absl::StrCat("importer of ", p.op_type(), " returned ",
                                              outs->size(), " outputs for ", p.output_size()));
    }
    for (int i = 0; i < p.output_size(); ++i) RETURN_IF_ERROR(Define(p.output(i), (*outs)[i]));
    return absl::OkStatus();
  }

  absl::Status ImportOutputs(const onnx::GraphProto& g) {
    if (g.output_size() == 0) return absl::InvalidArgumentError("the graph has no outputs");
    for (const onnx::ValueInfoProto& out : g.output()) {
      auto it = values_.find(out.name());
      if (it == values_.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("graph output '", out.name(), "' is never produced"));
      }
      graph_->AddOutput(it->second);
    }
    return absl::OkStatus();
  }

  // Declared output types must agree with inference on dtype, rank and static dims.
  absl::Status CheckDeclaredOutputs(const onnx::GraphProto& g) {
    for (int i = 0; i < g.output_size(); ++i) {
      const auto& decl = g.output(i);
      const TensorType& got = graph_->outputs()[i]->type();
      if (!decl.type().has_tensor_type()) continue;
      const auto& tt = decl.type().tensor_type();
      const std::string where = absl::StrCat("graph output '", decl.name(), "'");
      if (tt.elem_type() != 0) {
        auto dtype = frontend::DTypeFromOnnx(tt.elem_type());
        if (dtype.ok() && *dtype != got.dtype) {
          return absl::InvalidArgumentError(absl::StrCat(where, " is declared ",
                                                         DTypeName(*dtype), " but computes ",
                                                         got.ToString()));
        }
      }
      if (!tt.has_shape()) continue;
      if (tt.shape().dim_size() != got.rank()) {
        return absl::InvalidArgumentError(absl::StrCat(where, " is declared with rank ",
                                                       tt.shape().dim_size(), " but computes ",
                                                       got.ToString()));
      }
      for (int d = 0; d < got.rank(); ++d) {
        const auto& dim = tt.shape().dim(d);
        auto c = got.dims[d].as_const();
        if (dim.has_dim_value() && c && *c != dim.dim_value()) {
          return absl::InvalidArgumentError(absl::StrCat(where, " dim ", d, " is declared ",
                                                         dim.dim_value(), " but computes ",
                                                         got.ToString()));
        }
      }
    }
    return absl::OkStatus();
  }

  const onnx::ModelProto& model_;
  std::string base_dir_;
  int64_t opset_ = 0;
  std::unique_ptr<Graph> graph_;
  absl::flat_hash_map<std::string, Value*> values_;
  absl::flat_hash_set<std::string> initializers_;
  SymbolNamer namer_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path, int64_t limit) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return absl::NotFoundError(absl::StrCat(path, ": not found"));
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(path, ": not a file"));
  if (st.st_size > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", st.st_size, " bytes is larger than the ", limit, "-byte limit"));
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  f.read(bytes.data(), st.st_size);
  if (f.gcount() != st.st_size) return absl::DataLossError(absl::StrCat(path, ": short read"));
  return bytes;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Graph>> ImportOnnxBytes(absl::string_view bytes,
                                                       const std::string& base_dir,
                                                       absl::string_view display_name) {
  if (static_cast<int64_t>(bytes.size()) > kMaxModelBytes) {
    return absl::InvalidArgumentError(absl::StrCat(display_name, ": model is larger than 2 GiB"));
  }
  if (bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(display_name, ": the model file is empty"));
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(display_name, ": not a valid ONNX model (protobuf parsing failed)"));
  }
  ModelImporter importer(model, base_dir);
  auto g = importer.Import();
  if (!g.ok()) return Prefix(display_name, g.status());
  return g;
}

absl::StatusOr<std::unique_ptr<Graph>> ImportOnnxFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, kMaxModelBytes));
  return ImportOnnxBytes(bytes, DirName(path), path);
}

absl::StatusOr<Tensor> LoadTensorProtoFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, kMaxModelBytes));
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a serialized TensorProto"));
  }
  auto t = frontend::TensorFromProto(proto, DirName(path));
  if (!t.ok()) return Prefix(path, t.status());
  return t;
}

absl::Status SaveTensorProtoFile(const Tensor& tensor, const std::string& name,
                                 const std::string& path) {
  onnx::TensorProto proto = frontend::TensorToProto(tensor, name);
  std::ofstream f(path, std::ios::binary);
  if (!f || !proto.SerializeToOstream(&f)) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot write"));
  }
  return absl::OkStatus();
}

}  // namespace kiln
