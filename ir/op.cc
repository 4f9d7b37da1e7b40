#include "ir/op.h"

#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "ir/infer_fns.h"

namespace kiln {
namespace {

std::optional<AttrKind> ParseAttrKind(absl::string_view s) {
  for (AttrKind k : {AttrKind::kInt, AttrKind::kFloat, AttrKind::kString, AttrKind::kInts,
                     AttrKind::kFloats, AttrKind::kStrings, AttrKind::kTensor, AttrKind::kDims}) {
    if (AttrKindName(k) == s) return k;
  }
  return std::nullopt;
}

// Parses one `name:kind=default`, `name:kind?` or `name:kind!` entry of ops.def. The table is
// compiled in, so a malformed entry is a programmer error and aborts at start-up.
AttrSpec ParseAttrSpec(absl::string_view op, absl::string_view entry) {
  auto fail = [&] {
    fprintf(stderr, "kiln: bad attribute spec '%.*s' for op %.*s in ir/ops.def\n",
            static_cast<int>(entry.size()), entry.data(), static_cast<int>(op.size()), op.data());
    std::abort();
  };
  size_t colon = entry.find(':');
  if (colon == absl::string_view::npos) fail();
  AttrSpec spec;
  spec.name = std::string(entry.substr(0, colon));
  absl::string_view rest = entry.substr(colon + 1);
  size_t eq = rest.find('=');
  absl::string_view kind_text = rest.substr(0, eq);
  if (eq == absl::string_view::npos && !kind_text.empty() &&
      (kind_text.back() == '?' || kind_text.back() == '!')) {
    spec.required = kind_text.back() == '!';
    kind_text.remove_suffix(1);
  }
  std::optional<AttrKind> kind = ParseAttrKind(kind_text);
  if (!kind) fail();
  spec.kind = *kind;
  if (eq != absl::string_view::npos) {
    absl::string_view def = rest.substr(eq + 1);
    switch (spec.kind) {
      case AttrKind::kInt: {
        int64_t v;
        if (!absl::SimpleAtoi(def, &v)) fail();
        spec.default_value = v;
        break;
      }
      case AttrKind::kFloat: {
        float v;
        if (!absl::SimpleAtof(def, &v)) fail();
        spec.default_value = v;
        break;
      }
      case AttrKind::kString: spec.default_value = std::string(def); break;
      default: fail();
    }
  }
  return spec;
}

std::vector<OpInfo> BuildTable() {
  std::vector<OpInfo> table;
#define KILN_OP(name, fusion, min_in, max_in, min_out, max_out, infer, spec)                \
  {                                                                                       \
    OpInfo info{OpKind::k##name, #name, FusionKind::fusion, min_in, max_in, min_out, max_out, \
                &infer, {}};                                                              \
    for (absl::string_view e : absl::StrSplit(spec, ' ', absl::SkipEmpty())) {           \
      info.attrs.push_back(ParseAttrSpec(#name, e));                                      \
    }                                                                                     \
    table.push_back(std::move(info));                                                     \
  }
#include "ir/ops.def"
#undef KILN_OP
  return table;
}

}  // namespace

bool IsContiguousView(OpKind kind) {
  return kind == OpKind::kReshape || kind == OpKind::kSqueeze || kind == OpKind::kUnsqueeze ||
         kind == OpKind::kFlatten || kind == OpKind::kIdentity;
}

absl::string_view FusionKindName(FusionKind k) {
  switch (k) {
    case FusionKind::kElementwise: return "elementwise";
    case FusionKind::kBroadcast: return "broadcast";
    case FusionKind::kInjective: return "injective";
    case FusionKind::kReduction: return "reduction";
    case FusionKind::kOutFusable: return "out-fusable";
    case FusionKind::kOpaque: return "opaque";
  }
  return "?";
}

const AttrSpec* OpInfo::FindAttr(absl::string_view attr_name) const {
  for (const AttrSpec& a : attrs) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

const std::vector<OpInfo>& AllOps() {
  static const std::vector<OpInfo>* table = new std::vector<OpInfo>(BuildTable());
  return *table;
}

const OpInfo& GetOpInfo(OpKind kind) { return AllOps()[static_cast<size_t>(kind)]; }

std::optional<OpKind> LookupOp(absl::string_view name) {
  static const auto* index = [] {
    auto* m = new absl::flat_hash_map<std::string, OpKind>();
    for (const OpInfo& info : AllOps()) m->emplace(std::string(info.name), info.kind);
    return m;
  }();
  auto it = index->find(name);
  if (it == index->end()) return std::nullopt;
  return it->second;
}

}  // namespace kiln
