// Helpers for frontend tests: build small ONNX models with the protobuf API, write them under a
// fresh temporary folder, and check error statuses. Test-only (included by *_test.cc).
#ifndef KILN_FRONTEND_ONNX_TEST_UTIL_H_
#define KILN_FRONTEND_ONNX_TEST_UTIL_H_

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "onnx/onnx.pb.h"

namespace kiln::frontend::testing_util {

using TP = onnx::TensorProto;

// Folders made by NewTempDir, removed when the test program ends.
inline std::vector<std::string>& TempDirs() {
  static auto* dirs = new std::vector<std::string>();
  return *dirs;
}

class TempDirCleaner : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;  // remove_all does not follow the tests' symlinks out of the folder.
    for (const std::string& d : TempDirs()) std::filesystem::remove_all(d, ec);
  }
};

inline ::testing::Environment* const kTempDirCleaner =
    ::testing::AddGlobalTestEnvironment(new TempDirCleaner);

// A new empty folder under the gtest temp dir, unique to this process and call.
inline std::string NewTempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::string base = ::testing::TempDir();
  if (base.empty() || base.back() != '/') base += '/';
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(base, "kiln_", tag, "_", info ? info->name() : "x", "_", getpid(),
                                 "_", counter++);
  EXPECT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  TempDirs().push_back(dir);
  return dir;
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(f) << path;
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f) << path;
}

// A model importing `opset` of the default domain, with an empty graph named "g".
inline onnx::ModelProto NewModel(int64_t opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

// Adds a tensor value info; a negative entry in `dims` becomes the symbolic dim "n".
inline onnx::ValueInfoProto* SetValueInfo(onnx::ValueInfoProto* v, const std::string& name,
                                          int elem_type, const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) {
      dim->set_dim_param("n");
    } else {
      dim->set_dim_value(d);
    }
  }
  return v;
}

inline onnx::ValueInfoProto* AddInput(onnx::ModelProto& m, const std::string& name, int elem_type,
                                      const std::vector<int64_t>& dims) {
  return SetValueInfo(m.mutable_graph()->add_input(), name, elem_type, dims);
}

// A graph output without a declared type.
inline void AddOutput(onnx::ModelProto& m, const std::string& name) {
  m.mutable_graph()->add_output()->set_name(name);
}

inline onnx::NodeProto* AddNode(onnx::ModelProto& m, const std::string& op,
                                std::vector<std::string> inputs, std::vector<std::string> outputs,
                                const std::string& name = "") {
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name.empty() ? op + "_" + (outputs.empty() ? "" : outputs[0]) : name);
  for (auto& i : inputs) n->add_input(i);
  for (auto& o : outputs) n->add_output(o);
  return n;
}

inline onnx::TensorProto* AddInitializer(onnx::ModelProto& m, const std::string& name,
                                         int data_type, const std::vector<int64_t>& dims) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(data_type);
  for (int64_t d : dims) t->add_dims(d);
  return t;
}

// Raw little-endian bytes of `values`.
template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// y = Relu(x) over f32[2,3]: a valid model used as the base of corruption tests.
inline onnx::ModelProto ReluModel() {
  onnx::ModelProto m = NewModel();
  AddInput(m, "x", TP::FLOAT, {2, 3});
  AddNode(m, "Relu", {"x"}, {"y"}, "relu");
  AddOutput(m, "y");
  return m;
}

// Expects `s` to have `code` and a message containing every one of `parts`.
inline void ExpectError(const absl::Status& s, absl::StatusCode code,
                        std::initializer_list<std::string> parts) {
  EXPECT_EQ(s.code(), code) << s;
  for (const std::string& p : parts) {
    EXPECT_TRUE(absl::StrContains(s.message(), p)) << "missing '" << p << "' in: " << s;
  }
}

// Initializers import as Constant nodes, whose shape inference may not exist yet in this
// branch; then a model with one gets only as far as that node's inference. Skips the test in
// exactly that case (any frontend error still fails it).
#define KILN_SKIP_IF_NO_CONSTANT_INFERENCE(status)                                      \
  do {                                                                                  \
    const absl::Status& kiln_s = (status);                                              \
    if (kiln_s.code() == absl::StatusCode::kUnimplemented &&                            \
        absl::StrContains(kiln_s.message(), "(Constant): shape inference not implemented")) \
      GTEST_SKIP() << "needs Constant shape inference: " << kiln_s;                     \
  } while (0)

// Peak resident memory of this process (VmHWM) in bytes, after resetting the peak to the
// current use when `reset` (Linux >= 4.0); -1 when unavailable. getrusage's peak cannot be
// reset, so an earlier test's allocation would hide a later one's.
inline int64_t PeakRssBytes(bool reset = false) {
  if (reset) {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    if (!clear) return -1;
  }
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmHWM:")) {
      int64_t kib = 0;
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")),
                            &kib)) {
        return -1;
      }
      return kib * 1024;
    }
  }
  return -1;
}

}  // namespace kiln::frontend::testing_util

#endif  // KILN_FRONTEND_ONNX_TEST_UTIL_H_
