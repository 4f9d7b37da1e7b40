// The importer's per-node context and its op table, keyed by (op_type, opset range).
//
// Most ONNX ops import generically: the Kiln op of the same name, attributes converted by the
// Kiln op's schema. Ops whose older opset forms differ (attributes that became inputs, changed
// defaults) register small import functions that rewrite them into Kiln's form.
#ifndef KILN_FRONTEND_IMPORT_CONTEXT_H_
#define KILN_FRONTEND_IMPORT_CONTEXT_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ir/graph.h"
#include "onnx/onnx.pb.h"

namespace kiln::frontend {

// What an import function sees for one ONNX node.
class ImportContext {
 public:
  // `base_dir` is where tensor attributes' external data may live ("" forbids it).
  ImportContext(Graph& graph, const onnx::NodeProto& proto, int64_t opset,
                std::vector<Value*> inputs, std::string base_dir = "")
      : graph_(graph),
        proto_(proto),
        opset_(opset),
        inputs_(std::move(inputs)),
        base_dir_(std::move(base_dir)) {}

  Graph& graph() { return graph_; }
  const onnx::NodeProto& proto() const { return proto_; }
  int64_t opset() const { return opset_; }
  // The model's folder, for tensor attributes with external data ("" when there is none).
  const std::string& base_dir() const { return base_dir_; }
  // Inputs in ONNX order; null where the ONNX name is empty.
  const std::vector<Value*>& inputs() const { return inputs_; }
  Value* input(int i) const { return i < static_cast<int>(inputs_.size()) ? inputs_[i] : nullptr; }
  int num_outputs() const { return proto_.output_size(); }

  const onnx::AttributeProto* FindAttr(absl::string_view name) const;
  // Converts every ONNX attribute by the schema of `op`, except those in `skip`. An attribute
  // the schema lacks is Unimplemented (Kiln does not silently ignore semantics).
  absl::StatusOr<Attributes> ConvertAttributes(OpKind op,
                                               const absl::flat_hash_set<std::string>& skip = {}) const;
  // Adds a Kiln node named after the ONNX node (suffixed when one ONNX node becomes several).
  Node* AddNode(OpKind op, std::vector<Value*> inputs, Attributes attrs, int num_outputs);
  // Adds an i64 constant (rank 1, or rank 0 when `scalar`).
  Value* AddInt64s(const std::vector<int64_t>& values, bool scalar = false);

  // "node 'name' (OpType): what" as InvalidArgument / Unimplemented.
  absl::Status Error(absl::string_view what) const;
  absl::Status Unsupported(absl::string_view what) const;

 private:
  Graph& graph_;
  const onnx::NodeProto& proto_;
  int64_t opset_;
  std::vector<Value*> inputs_;
  std::string base_dir_;
  int added_ = 0;
};

// Imports one node; returns the values for the ONNX outputs, in order.
using ImportFn = absl::StatusOr<std::vector<Value*>> (*)(ImportContext&);

// Import functions by ONNX op type and opset range (inclusive).
class ImporterTable {
 public:
  void Add(absl::string_view op_type, int min_opset, int max_opset, ImportFn fn);
  // The function for `op_type` at `opset`, or null to use the generic importer.
  ImportFn Find(absl::string_view op_type, int64_t opset) const;

 private:
  struct Entry {
    int min_opset, max_opset;
    ImportFn fn;
  };
  absl::flat_hash_map<std::string, std::vector<Entry>> entries_;
};

// Imports as the Kiln op of the same name with schema-converted attributes.
absl::StatusOr<std::vector<Value*>> ImportGeneric(ImportContext& ctx);
// Imports as Kiln op `op` (generic attribute conversion).
absl::StatusOr<std::vector<Value*>> ImportAs(ImportContext& ctx, OpKind op);

// The table with every special importer (see the per-family import_*.cc files).
const ImporterTable& GetImporterTable();
void AddElementwiseImporters(ImporterTable& table);
void AddReductionImporters(ImporterTable& table);
void AddShapeOpImporters(ImporterTable& table);
void AddContractionImporters(ImporterTable& table);

}  // namespace kiln::frontend

#endif  // KILN_FRONTEND_IMPORT_CONTEXT_H_
