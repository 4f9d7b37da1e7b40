// Every size read from the text is checked before anything is allocated: a tensor literal's
// element count must match the number of values (or hex bytes) actually present, so memory
// stays proportional to the text however large the declared shape.
#include "ir/parse_literals.h"

#include <cctype>
#include <limits>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ir/status_macros.h"

namespace kiln {
namespace {

bool IsDimChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' ||
         c == '*' || c == ' ' || c == '\t';
}

// Parses a comma-separated list in brackets, calling `item` for each element.
template <typename Fn>
absl::Status ParseBracketList(TextCursor& c, absl::string_view what, Fn item) {
  RETURN_IF_ERROR(c.Expect('[', absl::StrCat("to open ", what)));
  if (c.TryConsume(']')) return absl::OkStatus();
  while (true) {
    RETURN_IF_ERROR(item());
    if (c.TryConsume(',')) continue;
    return c.Expect(']', absl::StrCat("or ',' in ", what));
  }
}

bool ParseBool(absl::string_view s, bool* out) {
  if (s != "1" && s != "true" && s != "0" && s != "false") return false;
  *out = s == "1" || s == "true";
  return true;
}

// One tensor element of C++ type T from its text. u64 also accepts negative numbers, since
// the printer writes every integer through int64.
template <typename T>
bool ParseElement(absl::string_view s, T* out) {
  if constexpr (std::is_same_v<T, bool>) {
    return ParseBool(s, out);
  } else if constexpr (std::is_same_v<T, double>) {
    return absl::SimpleAtod(s, out);
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, Half> ||
                       std::is_same_v<T, BFloat16>) {
    float f;
    if (!absl::SimpleAtof(s, &f)) return false;
    *out = T(f);
    return true;
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    int64_t i;
    if (absl::SimpleAtoi(s, out)) return true;
    if (!absl::SimpleAtoi(s, &i)) return false;
    *out = static_cast<uint64_t>(i);
    return true;
  } else {
    int64_t i;
    if (!absl::SimpleAtoi(s, &i)) return false;
    if (i < static_cast<int64_t>(std::numeric_limits<T>::lowest()) ||
        i > static_cast<int64_t>(std::numeric_limits<T>::max())) {
      return false;
    }
    *out = static_cast<T>(i);
    return true;
  }
}

int HexDigit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

absl::StatusOr<Tensor> ParseHexData(TextCursor& c, DType dtype, std::vector<int64_t> shape,
                                    size_t nbytes, absl::string_view type_text) {
  size_t start = c.pos();
  absl::string_view text = c.text();
  size_t end = start + 2;
  while (end < text.size() && HexDigit(text[end]) >= 0) ++end;
  if (end < text.size() && IsWordChar(text[end])) {
    c.set_pos(end);
    return c.Error(absl::StrCat("bad hex digit in tensor data, found ", c.Found()));
  }
  size_t digits = end - start - 2;
  if (digits % 2 != 0 || digits / 2 != nbytes) {
    return c.ErrorAt(
        start, absl::StrCat("tensor<", type_text, "> needs ", nbytes, " bytes of data, found ",
                            digits / 2, digits % 2 ? " and a half" : ""));
  }
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, std::move(shape)));
  auto* out = static_cast<uint8_t*>(t.raw_data());
  for (size_t i = 0; i < nbytes; ++i) {
    out[i] = static_cast<uint8_t>(HexDigit(text[start + 2 + 2 * i]) * 16 +
                                  HexDigit(text[start + 3 + 2 * i]));
    if (dtype == DType::kBool && out[i] > 1) {
      return c.ErrorAt(start, absl::StrCat("bool tensor data has byte ", out[i],
                                           " (must be 0 or 1) at element ", i));
    }
  }
  c.set_pos(end);
  return t;
}

absl::StatusOr<Tensor> ParseValueList(TextCursor& c, DType dtype, std::vector<int64_t> shape,
                                      int64_t count, absl::string_view type_text) {
  size_t list_pos = c.pos();
  std::vector<std::pair<absl::string_view, size_t>> items;
  RETURN_IF_ERROR(ParseBracketList(c, "tensor values", [&]() -> absl::Status {
    if (static_cast<int64_t>(items.size()) >= count) {
      return c.Error(absl::StrCat("tensor<", type_text, "> has only ", count, " elements"));
    }
    size_t pos = c.Mark();
    ASSIGN_OR_RETURN(absl::string_view s, c.ReadNumber("a tensor element"));
    items.emplace_back(s, pos);
    return absl::OkStatus();
  }));
  if (static_cast<int64_t>(items.size()) != count) {
    return c.ErrorAt(list_pos, absl::StrCat("tensor<", type_text, "> needs ", count,
                                            " values, found ", items.size()));
  }
  ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(dtype, std::move(shape)));
  absl::Status status = absl::OkStatus();
  VisitDType(dtype, [&](auto zero) {
    using T = decltype(zero);
    for (size_t i = 0; i < items.size(); ++i) {
      if (!ParseElement<T>(items[i].first, &t.data<T>()[i])) {
        status = c.ErrorAt(items[i].second, absl::StrCat("'", items[i].first, "' is not a valid ",
                                                         DTypeName(dtype), " value"));
        return 0;
      }
    }
    return 0;
  });
  RETURN_IF_ERROR(status);
  return t;
}

// Reads one integer, float or quoted string of attribute `name`.
template <typename T>
absl::Status ReadScalar(TextCursor& c, absl::string_view name, T* out) {
  size_t pos = c.Mark();
  if constexpr (std::is_same_v<T, std::string>) {
    ASSIGN_OR_RETURN(*out, c.ReadQuoted(absl::StrCat("attribute '", name, "'")));
    return absl::OkStatus();
  } else {
    absl::string_view expected = std::is_same_v<T, float> ? "a float" : "an integer";
    ASSIGN_OR_RETURN(absl::string_view text, c.ReadNumber(expected));
    bool ok;
    if constexpr (std::is_same_v<T, float>) {
      ok = absl::SimpleAtof(text, out);
    } else {
      ok = absl::SimpleAtoi(text, out);
    }
    if (ok) return absl::OkStatus();
    return c.ErrorAt(
        pos, absl::StrCat("attribute '", name, "' expects ", expected, ", found '", text, "'"));
  }
}

template <typename T>
absl::StatusOr<AttrValue> ReadScalarAttr(TextCursor& c, absl::string_view name) {
  T value{};
  RETURN_IF_ERROR(ReadScalar(c, name, &value));
  return AttrValue(std::move(value));
}

template <typename T>
absl::StatusOr<AttrValue> ReadListAttr(TextCursor& c, absl::string_view name) {
  std::vector<T> values;
  RETURN_IF_ERROR(ParseBracketList(c, absl::StrCat("attribute '", name, "'"),
                                   [&] { return ReadScalar(c, name, &values.emplace_back()); }));
  return AttrValue(std::move(values));
}

}  // namespace

absl::StatusOr<DimExpr> ParseDimExpr(TextCursor& c) {
  c.SkipSpace();
  size_t start = c.pos();
  absl::string_view text = c.text();
  size_t end = start;
  int depth = 0;
  for (; end < text.size(); ++end) {
    char ch = text[end];
    if (ch == '(') {
      ++depth;
    } else if (ch == ')') {
      if (depth == 0) break;
      --depth;
    } else if (!(IsDimChar(ch) || (ch == ',' && depth > 0))) {
      break;
    }
  }
  absl::string_view expr = absl::StripTrailingAsciiWhitespace(text.substr(start, end - start));
  if (expr.empty()) return c.Error(absl::StrCat("expected a dimension, found ", c.Found()));
  absl::StatusOr<DimExpr> d = DimExpr::Parse(expr);
  if (!d.ok()) return c.ErrorAt(start, d.status().message());
  c.set_pos(end);
  return d;
}

absl::StatusOr<std::vector<DimExpr>> ParseDimList(TextCursor& c, bool allow_negative) {
  std::vector<DimExpr> dims;
  RETURN_IF_ERROR(ParseBracketList(c, "dims", [&]() -> absl::Status {
    size_t pos = c.Mark();
    ASSIGN_OR_RETURN(DimExpr d, ParseDimExpr(c));
    if (auto v = d.as_const(); v && *v < 0 && !allow_negative) {
      return c.ErrorAt(pos, absl::StrCat("dimension ", *v, " is negative"));
    }
    dims.push_back(std::move(d));
    return absl::OkStatus();
  }));
  return dims;
}

absl::StatusOr<TensorType> ParseTensorType(TextCursor& c) {
  size_t pos = c.Mark();
  ASSIGN_OR_RETURN(absl::string_view name, c.ReadWord("a dtype (f32, i64, ...)"));
  std::optional<DType> dtype = ParseDType(name);
  if (!dtype) return c.ErrorAt(pos, absl::StrCat("unknown dtype '", name, "'"));
  ASSIGN_OR_RETURN(std::vector<DimExpr> dims, ParseDimList(c));
  return TensorType{*dtype, std::move(dims)};
}

absl::StatusOr<Tensor> ParseTensorLiteral(TextCursor& c, const std::vector<Tensor>* external) {
  if (!c.TryConsumeWord("tensor")) {
    return c.Error(
        absl::StrCat("expected a tensor literal (tensor<T[dims]> ...), found ", c.Found()));
  }
  RETURN_IF_ERROR(c.Expect('<', "after 'tensor'"));
  size_t type_pos = c.Mark();
  ASSIGN_OR_RETURN(TensorType type, ParseTensorType(c));
  RETURN_IF_ERROR(c.Expect('>', "after the tensor's type"));
  std::string type_text = type.ToString();
  std::vector<int64_t> shape;
  for (const DimExpr& d : type.dims) {
    if (!d.as_const()) {
      return c.ErrorAt(type_pos, absl::StrCat("tensor literal dims must be integers: ", type_text));
    }
    shape.push_back(*d.as_const());
  }
  absl::StatusOr<int64_t> count = ElementCount(shape);
  int64_t nbytes = 0;
  if (!count.ok() ||
      __builtin_mul_overflow(*count, static_cast<int64_t>(DTypeSize(type.dtype)), &nbytes) ||
      nbytes > kMaxTensorBytes) {
    return c.ErrorAt(type_pos, absl::StrCat("tensor<", type_text, "> is too large"));
  }
  size_t data_pos = c.Mark();
  if (c.TryConsumeWord("elided")) {
    return c.ErrorAt(data_pos,
                     absl::StrCat("tensor<", type_text,
                                  "> was elided when printed and cannot be parsed "
                                  "(print with full constants: `kiln dump --full-constants`)"));
  }
  if (c.TryConsumeWord("external")) {
    RETURN_IF_ERROR(c.Expect('(', "after 'external'"));
    size_t index_pos = c.Mark();
    ASSIGN_OR_RETURN(absl::string_view index_text, c.ReadNumber("an external tensor index"));
    int64_t index = -1;
    if (!absl::SimpleAtoi(index_text, &index)) index = -1;
    RETURN_IF_ERROR(c.Expect(')', "after the external tensor's index"));
    if (external == nullptr || index < 0 || index >= static_cast<int64_t>(external->size())) {
      return c.ErrorAt(index_pos, absl::StrCat("tensor<", type_text, "> external(", index,
                                               ") has no external tensor table entry"));
    }
    const Tensor& t = (*external)[index];
    if (t.dtype() != type.dtype || t.shape() != shape) {
      return c.ErrorAt(index_pos, absl::StrCat("external tensor ", index, " is ", t.TypeString(),
                                               ", the literal says ", type_text));
    }
    return t;
  }
  if (c.Peek() == '[') return ParseValueList(c, type.dtype, std::move(shape), *count, type_text);
  if (c.text().substr(data_pos, 2) == "0x") {
    return ParseHexData(c, type.dtype, std::move(shape), static_cast<size_t>(nbytes), type_text);
  }
  return c.Error(absl::StrCat("expected tensor data ('[values]' or '0x<hex>'), found ", c.Found()));
}

absl::StatusOr<AttrValue> ParseAttrValue(TextCursor& c, AttrKind kind, absl::string_view name,
                                         const std::vector<Tensor>* external) {
  switch (kind) {
    case AttrKind::kInt: return ReadScalarAttr<int64_t>(c, name);
    case AttrKind::kFloat: return ReadScalarAttr<float>(c, name);
    case AttrKind::kString: return ReadScalarAttr<std::string>(c, name);
    case AttrKind::kInts: return ReadListAttr<int64_t>(c, name);
    case AttrKind::kFloats: return ReadListAttr<float>(c, name);
    case AttrKind::kStrings: return ReadListAttr<std::string>(c, name);
    case AttrKind::kTensor: {
      ASSIGN_OR_RETURN(Tensor t, ParseTensorLiteral(c, external));
      return AttrValue(std::move(t));
    }
    case AttrKind::kDims: {
      if (!c.TryConsumeWord("dims")) {
        return c.Error(absl::StrCat("attribute '", name, "' expects dims[...], found ", c.Found()));
      }
      // A dims attribute holds values (e.g. a Reshape target's -1), not tensor dims.
      ASSIGN_OR_RETURN(std::vector<DimExpr> dims, ParseDimList(c, /*allow_negative=*/true));
      return AttrValue(std::move(dims));
    }
  }
  return c.Error("unknown attribute kind");
}

}  // namespace kiln
