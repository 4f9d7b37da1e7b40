// Mutation fuzzing of the importer: randomly corrupted valid models (bytes flipped, inserted,
// deleted, fields rewritten) must import or fail with a status, never crash, hang or allocate
// absurdly. KILN_FUZZ_ITERATIONS in the environment raises the count for a long local run.
#include <climits>
#include <cstdlib>
#include <random>
#include <string>

#include "frontend/onnx_import.h"
#include "frontend/onnx_test_util.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

using namespace frontend::testing_util;  // NOLINT(build/namespaces): test helpers.

int Iterations() {
  const char* env = std::getenv("KILN_FUZZ_ITERATIONS");
  return env ? std::atoi(env) : 3000;
}

onnx::AttributeProto IntAttr(const std::string& name, int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}

// Graph inputs through every op whose inference exists here (no initializers, so the import
// reaches shape inference of each node).
onnx::ModelProto OpsModel() {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {-1, 3});
  AddInput(m, "b", TP::FLOAT, {3});
  AddInput(m, "c", TP::BOOL, {1, 3});
  AddNode(m, "Add", {"x", "b"}, {"s"}, "add");
  AddNode(m, "Relu", {"s"}, {"r"}, "relu");
  *AddNode(m, "Cast", {"r"}, {"i"}, "cast")->add_attribute() = IntAttr("to", TP::INT64);
  AddNode(m, "Where", {"c", "x", "r"}, {"w"}, "where");
  AddNode(m, "Identity", {"w"}, {"y"}, "id");
  SetValueInfo(m.mutable_graph()->add_output(), "y", TP::FLOAT, {-1, 3});
  AddOutput(m, "i");
  return m;
}

// Initializers of several encodings (raw, typed, external) feeding an Add.
onnx::ModelProto TensorsModel() {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {2, 3});
  AddInitializer(m, "raw", TP::FLOAT, {2, 3})->set_raw_data(RawBytes<float>({1, 2, 3, 4, 5, 6}));
  onnx::TensorProto* typed = AddInitializer(m, "typed", TP::INT8, {3});
  for (int v : {-1, 0, 1}) typed->add_int32_data(v);
  onnx::TensorProto* ext = AddInitializer(m, "ext", TP::FLOAT, {3});
  ext->set_data_location(TP::EXTERNAL);
  for (auto [k, v] : {std::pair{"location", "w.bin"}, {"offset", "4"}, {"length", "12"}}) {
    auto* kv = ext->add_external_data();
    kv->set_key(k);
    kv->set_value(v);
  }
  AddNode(m, "Add", {"x", "raw"}, {"y"}, "add");
  AddOutput(m, "y");
  AddOutput(m, "typed");
  AddOutput(m, "ext");
  return m;
}

// One random edit of `bytes`: flip, overwrite, insert or delete a few bytes.
void Mutate(std::string& bytes, std::mt19937& rng) {
  const int edits = 1 + rng() % 4;
  for (int e = 0; e < edits && !bytes.empty(); ++e) {
    size_t at = rng() % bytes.size();
    switch (rng() % 5) {
      case 0:
        bytes[at] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:
        bytes[at] = static_cast<char>(rng());
        break;
      case 2:
        bytes.insert(at, 1, static_cast<char>(rng()));
        break;
      case 3:
        bytes.erase(at, 1 + rng() % 8);
        break;
      default:
        bytes[at] = static_cast<char>(0x80 | rng());  // Long varints: huge values.
    }
  }
}

int64_t InterestingInt(std::mt19937& rng) {
  static const int64_t kValues[] = {-1,
                                    0,
                                    1,
                                    2,
                                    3,
                                    4,
                                    12,
                                    1 << 20,
                                    int64_t{1} << 31,
                                    int64_t{1} << 40,
                                    int64_t{1} << 62,
                                    INT64_MAX,
                                    INT64_MIN};
  return kValues[rng() % (sizeof(kValues) / sizeof(kValues[0]))];
}

std::string InterestingName(std::mt19937& rng) {
  static const char* kNames[] = {"x",      "b",     "c",        "s",          "r",   "i",
                                 "w",      "y",     "raw",      "typed",      "ext", "",
                                 "nobody", "w.bin", "../w.bin", "/etc/passwd"};
  return kNames[rng() % (sizeof(kNames) / sizeof(kNames[0]))];
}

// One random field-level edit: the kind of model a broken exporter or an attacker writes
// while keeping the protobuf well-formed.
void MutateFields(onnx::ModelProto& m, std::mt19937& rng) {
  onnx::GraphProto& g = *m.mutable_graph();
  static const char* kOps[] = {"Add", "Relu", "Cast", "Where", "Identity", "Constant", "Nope"};
  switch (rng() % 10) {
    case 0:
      m.mutable_opset_import(0)->set_version(11 + rng() % 20);
      break;
    case 1:
      if (g.input_size() > 0) {
        auto* shape = g.mutable_input(rng() % g.input_size())
                          ->mutable_type()
                          ->mutable_tensor_type()
                          ->mutable_shape();
        if (shape->dim_size() > 0)
          shape->mutable_dim(rng() % shape->dim_size())->set_dim_value(InterestingInt(rng));
        if (rng() % 3 == 0) shape->add_dim()->set_dim_param(InterestingName(rng));
      }
      break;
    case 2:
      if (g.input_size() > 0) {
        g.mutable_input(rng() % g.input_size())
            ->mutable_type()
            ->mutable_tensor_type()
            ->set_elem_type(rng() % 26);
      }
      break;
    case 3:
      if (g.node_size() > 0) {
        auto* n = g.mutable_node(rng() % g.node_size());
        if (n->input_size() > 0) n->set_input(rng() % n->input_size(), InterestingName(rng));
        if (rng() % 4 == 0) n->add_input(InterestingName(rng));
      }
      break;
    case 4:
      if (g.node_size() > 0) {
        auto* n = g.mutable_node(rng() % g.node_size());
        if (rng() % 2) n->set_op_type(kOps[rng() % 7]);
        if (n->output_size() > 0) n->set_output(rng() % n->output_size(), InterestingName(rng));
        if (rng() % 4 == 0) n->add_output(InterestingName(rng));
      }
      break;
    case 5:
      if (g.initializer_size() > 0) {
        auto* t = g.mutable_initializer(rng() % g.initializer_size());
        if (t->dims_size() > 0) t->set_dims(rng() % t->dims_size(), InterestingInt(rng));
        if (rng() % 3 == 0) t->add_dims(InterestingInt(rng));
      }
      break;
    case 6:
      if (g.initializer_size() > 0) {
        auto* t = g.mutable_initializer(rng() % g.initializer_size());
        if (rng() % 2) t->set_data_type(rng() % 26);
        if (rng() % 2) t->set_raw_data(std::string(rng() % 40, '\x5a'));
      }
      break;
    case 7:
      if (g.initializer_size() > 0) {
        auto* t = g.mutable_initializer(rng() % g.initializer_size());
        t->set_data_location(TP::EXTERNAL);
        auto* kv = t->add_external_data();
        static const char* kKeys[] = {"location", "offset", "length", "checksum"};
        kv->set_key(kKeys[rng() % 4]);
        kv->set_value(rng() % 2 ? InterestingName(rng) : std::to_string(InterestingInt(rng)));
      }
      break;
    case 8:
      if (g.output_size() > 0)
        g.mutable_output(rng() % g.output_size())->set_name(InterestingName(rng));
      break;
    default:
      if (g.node_size() > 1) g.mutable_node()->SwapElements(0, rng() % g.node_size());
  }
}

// Imports `Iterations()` mutants of `m`; returns how many imported.
int FuzzImport(const onnx::ModelProto& m, const std::string& dir, uint32_t seed) {
  const std::string base = m.SerializeAsString();
  std::mt19937 rng(seed);
  int ok = 0;
  for (int i = 0; i < Iterations(); ++i) {
    std::string bytes;
    if (i % 2) {
      bytes = base;
      Mutate(bytes, rng);
    } else {
      onnx::ModelProto mutant = m;
      for (int k = 1 + rng() % 3; k > 0; --k) MutateFields(mutant, rng);
      bytes = mutant.SerializeAsString();
    }
    auto g = ImportOnnxBytes(bytes, dir, "fuzz.onnx");
    if (g.ok()) {
      ++ok;
    } else {
      // Every error names the model.
      EXPECT_TRUE(absl::StartsWith(g.status().message(), "fuzz.onnx: ")) << g.status();
    }
  }
  ::testing::Test::RecordProperty("imported", ok);
  return ok;
}

TEST(ModelFuzz, OpsModel) {
  const std::string dir = NewTempDir("fuzz");
  ASSERT_TRUE(ImportOnnxBytes(OpsModel().SerializeAsString(), dir, "fuzz.onnx").ok());
  // Some mutants (e.g. renamed values, changed dims) are still valid models.
  EXPECT_GT(FuzzImport(OpsModel(), dir, 1), 0);
}

TEST(ModelFuzz, TensorsModel) {
  const std::string dir = NewTempDir("fuzz");
  WriteFile(dir + "/w.bin", RawBytes<float>({0, 7, 8, 9}));
  FuzzImport(TensorsModel(), dir, 2);
}

}  // namespace
}  // namespace kiln
