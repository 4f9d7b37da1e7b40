// External tensor data: locations are untrusted paths and offsets/lengths untrusted numbers.
// Only regular files inside the model's folder (after resolving symlinks) may be read, and
// only byte ranges inside them.
#include "frontend/external_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

#include "frontend/onnx_import.h"
#include "frontend/onnx_test_util.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

using namespace frontend::testing_util;  // NOLINT(build/namespaces): test helpers.
using Code = absl::StatusCode;

const std::vector<float> kValues = {1.f, -2.f, 3.5f, 0.25f, -0.f, 1e6f};

// Sets `t`'s external data entries; an empty string leaves that key out.
void SetExternal(onnx::TensorProto* t, const std::string& location, const std::string& offset,
                 const std::string& length) {
  t->set_data_location(TP::EXTERNAL);
  t->clear_external_data();
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    auto* kv = t->add_external_data();
    kv->set_key(key);
    kv->set_value(value);
  };
  add("location", location);
  add("offset", offset);
  add("length", length);
}

// A model folder with `weights.bin` = 16 junk bytes, kValues, 8 junk bytes; and a model
// y = x + w whose initializer w (f32[2,3]) points at kValues.
struct Fixture {
  std::string dir = NewTempDir("ext");
  std::string model_path = dir + "/model.onnx";
  onnx::ModelProto model = NewModel();
  onnx::TensorProto* w = nullptr;

  Fixture() {
    WriteFile(dir + "/weights.bin",
              std::string(16, 'j') + RawBytes(kValues) + std::string(8, 'k'));
    AddInput(model, "x", TP::FLOAT, {2, 3});
    w = AddInitializer(model, "w", TP::FLOAT, {2, 3});
    SetExternal(w, "weights.bin", "16", "24");
    AddNode(model, "Add", {"x", "w"}, {"y"}, "add");
    AddOutput(model, "y");
  }

  absl::StatusOr<std::unique_ptr<Graph>> Import() {
    WriteFile(model_path, model.SerializeAsString());
    return ImportOnnxFile(model_path);
  }

  // Loads `w` alone, saved as a TensorProto file beside the data (external data resolves
  // against the file's folder as for a model).
  absl::StatusOr<Tensor> LoadW() {
    const std::string path = dir + "/w.pb";
    WriteFile(path, w->SerializeAsString());
    return LoadTensorProtoFile(path);
  }

  // Expects the import to fail with `code`, naming the model file, tensor 'w' and `parts`.
  void ExpectFails(Code code, std::initializer_list<std::string> parts) {
    auto g = Import();
    ASSERT_FALSE(g.ok());
    ExpectError(g.status(), code, parts);
    ExpectError(g.status(), code, {model_path + ": ", "tensor 'w'"});
  }
};

const Tensor* ConstantValue(const Graph& g, const std::string& name) {
  for (Node* n : g.nodes()) {
    if (n->op() == OpKind::kConstant && n->output(0)->name() == name) {
      return n->attrs().FindAs<Tensor>("value");
    }
  }
  return nullptr;
}

void ExpectKValues(const Tensor* t) {
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->TypeString(), "f32[2,3]");
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t->values<float>()[i], kValues[i]) << i;
}

TEST(ExternalData, ValidTensorLoadsItsValues) {
  Fixture f;
  auto t = f.LoadW();
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectKValues(&*t);
}

TEST(ExternalData, ValidInitializerImports) {
  Fixture f;
  auto g = f.Import();
  KILN_SKIP_IF_NO_CONSTANT_INFERENCE(g.status());
  ASSERT_TRUE(g.ok()) << g.status();
  ExpectKValues(ConstantValue(**g, "w"));
  EXPECT_EQ((*g)->outputs()[0]->type().ToString(), "f32[2,3]");
}

TEST(ExternalData, LengthMayBeOmitted) {
  Fixture f;
  SetExternal(f.w, "weights.bin", "16", "");
  auto t = f.LoadW();
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectKValues(&*t);
}

TEST(ExternalData, FileInSubfolderAndSymlinkInsideFolder) {
  Fixture f;
  ASSERT_EQ(mkdir((f.dir + "/sub").c_str(), 0755), 0);
  ASSERT_EQ(symlink("../weights.bin", (f.dir + "/sub/link.bin").c_str()), 0);
  SetExternal(f.w, "sub/link.bin", "16", "24");
  auto t = f.LoadW();
  ASSERT_TRUE(t.ok()) << t.status();
  ExpectKValues(&*t);
}

// A Constant node `w` whose value (f32 `dims`) is external data at `location`.
void UseExternalConstant(Fixture& f, const std::string& location, std::vector<int64_t> dims) {
  f.model.mutable_graph()->clear_initializer();
  onnx::NodeProto* c = AddNode(f.model, "Constant", {}, {"w"}, "const");
  onnx::AttributeProto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(TP::FLOAT);
  for (int64_t d : dims) a->mutable_t()->add_dims(d);
  SetExternal(a->mutable_t(), location, "16", "24");
}

TEST(ExternalData, ConstantNodeValueMayBeExternal) {
  Fixture f;
  UseExternalConstant(f, "weights.bin", {2, 3});
  auto g = f.Import();
  // Fails (before inference) if the attribute's external data is not resolved.
  KILN_SKIP_IF_NO_CONSTANT_INFERENCE(g.status());
  ASSERT_TRUE(g.ok()) << g.status();
  for (Node* n : (*g)->nodes()) {
    if (n->op() == OpKind::kConstant) ExpectKValues(n->attrs().FindAs<Tensor>("value"));
  }
}

TEST(ExternalData, ConstantNodeExternalDataIsCheckedToo) {
  Fixture f;
  UseExternalConstant(f, "../weights.bin", {6});
  auto g = f.Import();
  ASSERT_FALSE(g.ok());
  ExpectError(g.status(), Code::kInvalidArgument,
              {f.model_path, "node 'const' (Constant)", "'../weights.bin'", "leaves"});
}

TEST(ExternalData, ParentDirectoryInLocation) {
  Fixture f;
  SetExternal(f.w, "sub/../../weights.bin", "16", "24");
  f.ExpectFails(Code::kInvalidArgument, {"'sub/../../weights.bin'", "leaves the model's folder"});
}

TEST(ExternalData, AbsoluteLocation) {
  Fixture f;
  SetExternal(f.w, f.dir + "/weights.bin", "16", "24");
  f.ExpectFails(Code::kInvalidArgument, {f.dir + "/weights.bin", "relative path"});
}

TEST(ExternalData, SymlinkPointingOutsideTheFolder) {
  Fixture f;
  const std::string outside = NewTempDir("ext_outside");
  WriteFile(outside + "/secret.bin", std::string(64, 's'));
  ASSERT_EQ(symlink((outside + "/secret.bin").c_str(), (f.dir + "/data.bin").c_str()), 0);
  SetExternal(f.w, "data.bin", "0", "24");
  f.ExpectFails(Code::kInvalidArgument, {"'data.bin'", "resolves outside the model's folder"});
}

TEST(ExternalData, SymlinkedSubfolderPointingOutside) {
  Fixture f;
  const std::string outside = NewTempDir("ext_outside");
  WriteFile(outside + "/secret.bin", std::string(64, 's'));
  ASSERT_EQ(symlink(outside.c_str(), (f.dir + "/sub").c_str()), 0);
  SetExternal(f.w, "sub/secret.bin", "0", "24");
  f.ExpectFails(Code::kInvalidArgument, {"'sub/secret.bin'", "outside"});
}

TEST(ExternalData, OffsetPastEndOfFile) {
  Fixture f;  // weights.bin has 48 bytes.
  SetExternal(f.w, "weights.bin", "100", "24");
  f.ExpectFails(Code::kOutOfRange, {"[100, +24)", "'weights.bin'", "48 bytes"});
}

TEST(ExternalData, RangeRunsPastEndOfFile) {
  Fixture f;
  SetExternal(f.w, "weights.bin", "32", "24");
  f.ExpectFails(Code::kOutOfRange, {"[32, +24)", "48 bytes"});
}

TEST(ExternalData, HugeOffset) {
  Fixture f;
  SetExternal(f.w, "weights.bin", "9223372036854775807", "24");
  f.ExpectFails(Code::kOutOfRange, {"9223372036854775807", "48 bytes"});
}

TEST(ExternalData, NegativeOffset) {
  Fixture f;
  SetExternal(f.w, "weights.bin", "-8", "24");
  f.ExpectFails(Code::kInvalidArgument, {"offset '-8'"});
}

TEST(ExternalData, NonNumericOffsetAndLength) {
  Fixture f;
  SetExternal(f.w, "weights.bin", "16abc", "24");
  f.ExpectFails(Code::kInvalidArgument, {"offset '16abc'"});
  SetExternal(f.w, "weights.bin", "16", "99999999999999999999");
  f.ExpectFails(Code::kInvalidArgument, {"length '99999999999999999999'"});
}

TEST(ExternalData, LengthDisagreesWithTensorSize) {
  Fixture f;
  SetExternal(f.w, "weights.bin", "16", "20");
  f.ExpectFails(Code::kInvalidArgument, {"length 20", "f32[2,3]", "24 bytes"});
}

TEST(ExternalData, MissingDataFile) {
  Fixture f;
  SetExternal(f.w, "missing.bin", "0", "24");
  f.ExpectFails(Code::kNotFound, {"missing.bin", "not found"});
}

TEST(ExternalData, MissingLocation) {
  Fixture f;
  SetExternal(f.w, "", "0", "24");
  f.ExpectFails(Code::kInvalidArgument, {"location"});
}

TEST(ExternalData, LocationIsAFolder) {
  Fixture f;
  ASSERT_EQ(mkdir((f.dir + "/sub").c_str(), 0755), 0);
  SetExternal(f.w, "sub", "0", "24");
  f.ExpectFails(Code::kInvalidArgument, {"sub", "not a file"});
  SetExternal(f.w, ".", "0", "24");
  f.ExpectFails(Code::kInvalidArgument, {"'.'"});
}

TEST(ExternalData, FifoIsRejectedWithoutBlocking) {
  Fixture f;
  const std::string fifo = f.dir + "/pipe.bin";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  SetExternal(f.w, "pipe.bin", "0", "24");
  WriteFile(f.model_path, f.model.SerializeAsString());
  auto done = std::async(std::launch::async, [&] { return ImportOnnxFile(f.model_path); });
  if (done.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "import blocked opening a FIFO";
    int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // Lets the blocked open return.
    if (fd >= 0) close(fd);
  }
  auto g = done.get();
  ASSERT_FALSE(g.ok());
  ExpectError(g.status(), Code::kInvalidArgument, {"pipe.bin", "not a file"});
}

TEST(ExternalData, ModelFromMemoryCannotUseExternalData) {
  Fixture f;
  auto g = ImportOnnxBytes(f.model.SerializeAsString(), "", "mem.onnx");
  ASSERT_FALSE(g.ok());
  ExpectError(g.status(), Code::kInvalidArgument,
              {"mem.onnx: ", "tensor 'w'", "weights.bin", "read from memory"});
}

TEST(ExternalData, HugeDeclaredTensorIsNotAllocated) {
  Fixture f;
  f.w->clear_dims();
  f.w->add_dims(int64_t{1} << 27);  // 512 MiB declared; the file has 48 bytes.
  SetExternal(f.w, "weights.bin", "0", "");
  WriteFile(f.model_path, f.model.SerializeAsString());
  const int64_t before = PeakRssBytes(/*reset=*/true);
  ASSERT_GE(before, 0) << "cannot measure peak memory";
  f.ExpectFails(Code::kOutOfRange, {"weights.bin", "48 bytes"});
  EXPECT_LT(PeakRssBytes() - before, int64_t{64} << 20) << "allocated the declared size";
}

TEST(ExternalData, ModelFolderIsTheRoot) {
  // A model at "/m.onnx" has base folder "/": every file under it is inside.
  const std::string dir = NewTempDir("ext");
  WriteFile(dir + "/weights.bin", RawBytes(kValues));
  char real[PATH_MAX];
  ASSERT_NE(realpath((dir + "/weights.bin").c_str(), real), nullptr);
  auto bytes = frontend::ReadExternalData("/", std::string(real + 1), 4, 8);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, RawBytes(std::vector<float>{-2.f, 3.5f}));
}

}  // namespace
}  // namespace kiln
