// A small streaming writer: objects and arrays of objects go one member per line, while
// arrays of scalars (dims, inputs, tensor values) stay on one line, so diffs of two dumps
// read like diffs of the text form.
#include "ir/json_export.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/printer.h"

namespace kiln {
namespace {

// Tensors with at most this many elements list their values.
constexpr int64_t kMaxListedElements = 16;

// The length of the valid UTF-8 sequence starting at s[i], or 0 if there is none.
size_t Utf8Length(absl::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = (c >= 0xC2 && c <= 0xDF)   ? 2
             : (c >= 0xE0 && c <= 0xEF) ? 3
             : (c >= 0xF0 && c <= 0xF4) ? 4
                                        : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  unsigned char c1 = byte(i + 1);
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
  if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
      (c == 0xF4 && c1 >= 0x90)) {
    return 0;
  }
  return n;
}

std::string JsonFloat(double v, bool is_double) {
  if (!std::isfinite(v)) return JsonQuote(PrintFloat(v));
  return PrintFloat(v, is_double);
}

// Streams pretty-printed JSON; the caller keeps the structure balanced.
class JsonWriter {
 public:
  void Begin(char bracket) {
    Prefix();
    out_ += bracket;
    stack_.push_back(Level{bracket, true});
  }
  void End() {
    Level level = stack_.back();
    stack_.pop_back();
    if (!level.empty) absl::StrAppend(&out_, "\n", std::string(2 * stack_.size(), ' '));
    out_ += level.open == '{' ? '}' : ']';
  }
  void Key(absl::string_view key) {
    Prefix();
    absl::StrAppend(&out_, JsonQuote(key), ": ");
    after_key_ = true;
  }
  // A complete JSON value (scalar or one-line array).
  void Raw(absl::string_view json) {
    Prefix();
    out_.append(json.data(), json.size());
  }
  void Field(absl::string_view key, absl::string_view json) {
    Key(key);
    Raw(json);
  }
  std::string Finish() { return std::move(out_) + "\n"; }

 private:
  struct Level {
    char open;
    bool empty;
  };
  void Prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (stack_.empty()) return;
    if (!stack_.back().empty) out_ += ',';
    stack_.back().empty = false;
    absl::StrAppend(&out_, "\n", std::string(2 * stack_.size(), ' '));
  }
  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

std::string InlineArray(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

std::string DimsJson(const std::vector<DimExpr>& dims) {
  std::vector<std::string> items;
  for (const DimExpr& d : dims) items.push_back(JsonQuote(d.ToString()));
  return InlineArray(items);
}

// One-line {"key": value, ...} from already-encoded values.
std::string InlineObject(const std::vector<std::pair<absl::string_view, std::string>>& fields) {
  return absl::StrCat("{",
                      absl::StrJoin(fields, ", ",
                                    [](std::string* out, const auto& f) {
                                      absl::StrAppend(out, JsonQuote(f.first), ": ", f.second);
                                    }),
                      "}");
}

std::string TypedValue(const Value* v) {
  return InlineObject({{"name", JsonQuote(v->name())},
                       {"dtype", JsonQuote(DTypeName(v->type().dtype))},
                       {"dims", DimsJson(v->type().dims)}});
}

std::string TensorValues(const Tensor& t) {
  std::vector<std::string> items;
  VisitDType(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    // Indexing, not values<T>(): Span's brace construction misbehaves for T = bool.
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      T v = t.data<T>()[i];
      if constexpr (std::is_same_v<T, bool>) {
        items.push_back(v ? "true" : "false");
      } else if constexpr (std::is_same_v<T, double>) {
        items.push_back(JsonFloat(v, true));
      } else if constexpr (std::is_integral_v<T>) {
        items.push_back(absl::StrCat(v));
      } else {
        items.push_back(JsonFloat(static_cast<float>(v), false));
      }
    }
    return 0;
  });
  return InlineArray(items);
}

template <typename T, typename Fn>
std::string ListJson(const std::vector<T>& values, Fn encode) {
  std::vector<std::string> items;
  for (const T& v : values) items.push_back(encode(v));
  return InlineArray(items);
}

std::string AttrJson(const AttrValue& value) {
  std::vector<std::pair<absl::string_view, std::string>> fields = {
      {"kind", JsonQuote(AttrKindName(KindOf(value)))}};
  auto quote = [](const std::string& v) { return JsonQuote(v); };
  auto number = [](auto v) { return JsonFloat(v, false); };
  switch (KindOf(value)) {
    case AttrKind::kInt:
      fields.emplace_back("value", absl::StrCat(std::get<int64_t>(value)));
      break;
    case AttrKind::kFloat:
      fields.emplace_back("value", JsonFloat(std::get<float>(value), false));
      break;
    case AttrKind::kString:
      fields.emplace_back("value", JsonQuote(std::get<std::string>(value)));
      break;
    case AttrKind::kInts:
      fields.emplace_back(
          "value",
          absl::StrCat("[", absl::StrJoin(std::get<std::vector<int64_t>>(value), ", "), "]"));
      break;
    case AttrKind::kFloats:
      fields.emplace_back("value", ListJson(std::get<std::vector<float>>(value), number));
      break;
    case AttrKind::kStrings:
      fields.emplace_back("value", ListJson(std::get<std::vector<std::string>>(value), quote));
      break;
    case AttrKind::kDims:
      fields.emplace_back("value", DimsJson(std::get<std::vector<DimExpr>>(value)));
      break;
    case AttrKind::kTensor: {
      const Tensor& t = std::get<Tensor>(value);
      fields.emplace_back("dtype", JsonQuote(DTypeName(t.dtype())));
      fields.emplace_back("shape", absl::StrCat("[", absl::StrJoin(t.shape(), ", "), "]"));
      fields.emplace_back("bytes", absl::StrCat(t.nbytes()));
      if (t.num_elements() <= kMaxListedElements) fields.emplace_back("values", TensorValues(t));
      break;
    }
  }
  return InlineObject(fields);
}

void WriteGraph(JsonWriter& w, const Graph& g);

void WriteNode(JsonWriter& w, const Node& n) {
  w.Begin('{');
  w.Field("op", JsonQuote(n.op_name()));
  w.Field("name", JsonQuote(n.name()));
  w.Field("fusion", JsonQuote(FusionKindName(n.info().fusion)));
  std::vector<std::string> inputs;
  for (const Value* v : n.inputs()) inputs.push_back(v ? JsonQuote(v->name()) : "null");
  w.Field("inputs", InlineArray(inputs));
  w.Key("outputs");
  w.Begin('[');
  for (int i = 0; i < n.num_outputs(); ++i) w.Raw(TypedValue(n.output(i)));
  w.End();
  w.Key("attributes");
  w.Begin('{');
  for (const auto& [name, value] : n.attrs().items()) w.Field(name, AttrJson(value));
  w.End();
  if (n.body() != nullptr) {
    w.Key("body");
    WriteGraph(w, *n.body());
  }
  w.End();
}

void WriteGraph(JsonWriter& w, const Graph& g) {
  w.Begin('{');
  w.Field("name", JsonQuote(g.name()));
  w.Key("inputs");
  w.Begin('[');
  for (const Value* v : g.inputs()) w.Raw(TypedValue(v));
  w.End();
  w.Key("outputs");
  w.Begin('[');
  for (const Value* v : g.outputs()) w.Raw(TypedValue(v));
  w.End();
  w.Key("constraints");
  w.Begin('[');
  for (const DimConstraint& c : g.constraints()) {
    w.Raw(InlineObject({{"lhs", JsonQuote(c.lhs.ToString())},
                        {"relation", JsonQuote(c.kind == DimConstraint::Kind::kEq ? "==" : "<=")},
                        {"rhs", JsonQuote(c.rhs.ToString())},
                        {"origin", JsonQuote(c.origin)}}));
  }
  w.End();
  w.Key("nodes");
  w.Begin('[');
  for (const Node* n : g.nodes()) WriteNode(w, *n);
  w.End();
  w.End();
}

}  // namespace

std::string JsonQuote(absl::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, static_cast<char>(c)));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || (c >= 0x80 && Utf8Length(s, i) == 0)) {
      // Control characters, and bytes that are not UTF-8 (read as Latin-1).
      absl::StrAppend(&out, "\\u00", std::string(1, kHex[c >> 4]), std::string(1, kHex[c & 15]));
    } else if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      out.append(s.data() + i, n);
      i += n;
      continue;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out + "\"";
}

std::string ExportJson(const Graph& graph) {
  JsonWriter w;
  w.Begin('{');
  w.Field("format", JsonQuote("kiln-graph"));
  w.Field("version", "1");
  w.Key("graph");
  WriteGraph(w, graph);
  w.End();
  return w.Finish();
}

}  // namespace kiln
