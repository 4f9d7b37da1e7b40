// Plan files. Layout (little-endian):
//   "KILNPLAN"  u32 format version  u32 0  u64 payload bytes  u64 StableHash64(payload)
//   payload: sections, each  u32 name length, name, u64 data length, data:
//     meta     key=value lines: arch, precision, the hash of the generated module source,
//              and one `bound SYMBOL=N` line per symbol bound
//     graph    the lowered graph's text form, weights printed as `external(i)`
//     weights  per weight: its type as text (`f16[768,768]`), a newline, u64 bytes, the data
//     cubin    the compiled module
// Loading verifies the header, the checksum and every length before using them, re-emits the
// kernels from the graph (the index width follows from the graph and bounds), and refuses a plan whose re-emitted source differs from the one its
// cubin was compiled from (a plan written by another version of Kiln's code generator).
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "codegen/kernel_cache.h"
#include "ir/file_io.h"
#include "ir/parse_literals.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/status_macros.h"
#include "ir/text_cursor.h"
#include "runtime/engine/plan.h"

namespace kiln {
namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'P', 'L', 'A', 'N'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8;

template <typename T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(v));
}

void PutSection(std::string& out, absl::string_view name, absl::string_view data) {
  Put<uint32_t>(out, static_cast<uint32_t>(name.size()));
  out.append(name.data(), name.size());
  Put<uint64_t>(out, data.size());
  out.append(data.data(), data.size());
}

// Bounds-checked reads over untrusted bytes.
class Reader {
 public:
  Reader(absl::string_view data, absl::string_view what) : data_(data), what_(what) {}
  template <typename T>
  absl::StatusOr<T> Get() {
    ASSIGN_OR_RETURN(absl::string_view b, Bytes(sizeof(T)));
    T v;
    std::memcpy(&v, b.data(), sizeof(T));
    return v;
  }
  absl::StatusOr<absl::string_view> Bytes(uint64_t n) {
    if (n > data_.size() - pos_) {
      return absl::DataLossError(absl::StrCat(what_, " is truncated (wanted ", n,
                                              " bytes at offset ", pos_, ")"));
    }
    absl::string_view b = data_.substr(pos_, n);
    pos_ += n;
    return b;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  absl::string_view data_;
  absl::string_view what_;
  size_t pos_ = 0;
};

std::string MetaText(const Plan& plan) {
  std::string meta = absl::StrCat("arch=", plan.arch, "\nprecision=", DTypeName(plan.precision),
                                  "\nsource_hash=", StableHash64(plan.source), "\n");
  std::vector<std::pair<std::string, int64_t>> bounds(plan.bounds.begin(), plan.bounds.end());
  std::sort(bounds.begin(), bounds.end());
  for (const auto& [sym, b] : bounds) absl::StrAppend(&meta, "bound ", sym, "=", b, "\n");
  return meta;
}

absl::Status ParseMeta(absl::string_view text, Plan& plan, uint64_t* source_hash) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    bool bound = absl::ConsumePrefix(&line, "bound ");
    size_t eq = line.rfind('=');
    if (eq == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat("plan meta line '", line, "' is malformed"));
    }
    absl::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (bound) {
      int64_t b = 0;
      if (!absl::SimpleAtoi(value, &b) || b <= 0) {
        return absl::DataLossError(absl::StrCat("plan bound '", line, "' is malformed"));
      }
      plan.bounds[std::string(key)] = b;
    } else if (key == "arch") {
      plan.arch = std::string(value);
    } else if (key == "precision") {
      std::optional<DType> t = ParseDType(value);
      if (!t) return absl::DataLossError(absl::StrCat("plan precision '", value, "' is unknown"));
      plan.precision = *t;
    } else if (key == "source_hash") {
      if (!absl::SimpleAtoi(value, source_hash)) {
        return absl::DataLossError("plan source hash is malformed");
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Tensor>> ParseWeights(absl::string_view data) {
  std::vector<Tensor> weights;
  Reader r(data, "the plan's weights section");
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(uint32_t type_len, r.Get<uint32_t>());
    ASSIGN_OR_RETURN(absl::string_view type_text, r.Bytes(type_len));
    TextCursor c(type_text);
    ASSIGN_OR_RETURN(TensorType type, ParseTensorType(c));
    std::vector<int64_t> shape;
    for (const DimExpr& d : type.dims) {
      if (!d.as_const()) return absl::DataLossError("a plan weight has a symbolic dim");
      shape.push_back(*d.as_const());
    }
    ASSIGN_OR_RETURN(uint64_t n, r.Get<uint64_t>());
    ASSIGN_OR_RETURN(absl::string_view bytes, r.Bytes(n));
    ASSIGN_OR_RETURN(Tensor t, Tensor::FromBytes(type.dtype, std::move(shape), bytes));
    weights.push_back(std::move(t));
  }
  return weights;
}

}  // namespace

std::string SerializePlan(const Plan& plan) {
  std::vector<const Tensor*> external;
  PrintOptions print;
  print.external_tensors = &external;
  std::string graph_text = PrintGraph(*plan.graph, print);
  std::string weights;
  for (const Tensor* t : external) {
    std::string type = t->TypeString();
    Put<uint32_t>(weights, static_cast<uint32_t>(type.size()));
    weights += type;
    Put<uint64_t>(weights, t->nbytes());
    weights.append(static_cast<const char*>(t->raw_data()), t->nbytes());
  }
  // The header's size and checksum are filled in once the payload follows it in the buffer.
  std::string out(kMagic, sizeof(kMagic));
  Put<uint32_t>(out, kFormatVersion);
  Put<uint32_t>(out, 0);
  out.resize(kHeaderBytes);
  PutSection(out, "meta", MetaText(plan));
  PutSection(out, "graph", graph_text);
  PutSection(out, "weights", weights);
  PutSection(out, "cubin", plan.cubin);
  const absl::string_view payload = absl::string_view(out).substr(kHeaderBytes);
  const uint64_t size = payload.size(), checksum = StableHash64(payload);
  std::memcpy(out.data() + kHeaderBytes - 16, &size, sizeof(size));
  std::memcpy(out.data() + kHeaderBytes - 8, &checksum, sizeof(checksum));
  return out;
}

absl::StatusOr<std::unique_ptr<Plan>> DeserializePlan(absl::string_view bytes,
                                                      absl::string_view display_name) {
  auto error = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(display_name, ": ", why));
  };
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return error("not a Kiln plan file (bad magic; make one with `kiln compile`)");
  }
  if (bytes.size() < kHeaderBytes) return error("the plan header is truncated");
  Reader header(bytes.substr(sizeof(kMagic), kHeaderBytes - sizeof(kMagic)), display_name);
  ASSIGN_OR_RETURN(uint32_t version, header.Get<uint32_t>());
  if (version != kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        display_name, ": plan format version ", version, ", this Kiln reads version ",
        kFormatVersion, "; recompile the model with this kiln"));
  }
  (void)header.Get<uint32_t>();
  ASSIGN_OR_RETURN(uint64_t size, header.Get<uint64_t>());
  ASSIGN_OR_RETURN(uint64_t checksum, header.Get<uint64_t>());
  absl::string_view payload = bytes.substr(kHeaderBytes);
  if (size != payload.size()) {
    return error(absl::StrCat("the payload is ", payload.size(), " bytes, the header says ", size,
                              " (truncated or padded)"));
  }
  if (StableHash64(payload) != checksum) return error("checksum mismatch (the file is corrupt)");

  absl::flat_hash_map<std::string, absl::string_view> sections;
  Reader r(payload, display_name);
  while (!r.AtEnd()) {
    ASSIGN_OR_RETURN(uint32_t name_len, r.Get<uint32_t>());
    ASSIGN_OR_RETURN(absl::string_view name, r.Bytes(name_len));
    ASSIGN_OR_RETURN(uint64_t len, r.Get<uint64_t>());
    ASSIGN_OR_RETURN(absl::string_view data, r.Bytes(len));
    sections[std::string(name)] = data;
  }
  for (const char* want : {"meta", "graph", "weights", "cubin"}) {
    if (!sections.contains(want)) return error(absl::StrCat("no '", want, "' section"));
  }
  auto plan = std::make_unique<Plan>();
  uint64_t source_hash = 0;
  RETURN_IF_ERROR(ParseMeta(sections["meta"], *plan, &source_hash));
  ASSIGN_OR_RETURN(std::vector<Tensor> weights, ParseWeights(sections["weights"]));
  ParseOptions parse;
  parse.external_tensors = &weights;
  absl::StatusOr<std::unique_ptr<Graph>> graph = ParseGraph(sections["graph"], parse);
  if (!graph.ok()) return error(absl::StrCat("its graph does not parse: ", graph.status().message()));
  plan->graph = *std::move(graph);
  plan->cubin = std::string(sections["cubin"]);
  RETURN_IF_ERROR(EmitPlanKernels(*plan));
  if (StableHash64(plan->source) != source_hash) {
    return absl::FailedPreconditionError(absl::StrCat(
        display_name, ": its kernels were generated by another version of Kiln's code "
        "generator; recompile the model with this kiln"));
  }
  return plan;
}

absl::Status SavePlan(const Plan& plan, const std::string& path) {
  return WriteFileAtomically(path, SerializePlan(plan));
}

absl::StatusOr<std::unique_ptr<Plan>> LoadPlan(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return absl::NotFoundError(absl::StrCat("cannot open plan '", path, "'"));
  return DeserializePlan(*bytes, path);
}

}  // namespace kiln
