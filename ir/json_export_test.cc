#include "ir/json_export.h"

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/parser.h"

namespace kiln {
namespace {

using ::testing::HasSubstr;

// A strict reader for the JSON subset the exporter may produce (RFC 8259 minus \u escapes
// above U+00FF), so the tests check real structure rather than substrings.
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  bool boolean = false;
  double number = 0;
  std::string text;  // String contents, or a number's spelling.
  std::vector<Json> items;
  std::vector<std::string> keys;  // Object keys in order; values in `items`.

  const Json& operator[](const std::string& key) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == key) return items[i];
    }
    ADD_FAILURE() << "no key " << key;
    static const Json kMissing;
    return kMissing;
  }
  const Json& operator[](size_t i) const { return items.at(i); }
};

class JsonReader {
 public:
  explicit JsonReader(const std::string& s) : s_(s) {}
  // Parses the whole input; false on any syntax error or trailing text.
  bool ReadDocument(Json* out) { return Value(out) && (Space(), pos_ == s_.size()); }

 private:
  void Space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n')) ++pos_;
  }
  bool Eat(char c) {
    Space();
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool Literal(const char* word) {
    size_t n = std::strlen(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      unsigned char c = s_[pos_++];
      if (c < 0x20) return false;
      if (c != '\\') {
        *out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      if (e == 'u') {
        if (pos_ + 4 > s_.size() || s_.compare(pos_, 2, "00") != 0) return false;
        *out += static_cast<char>(std::stoi(s_.substr(pos_ + 2, 2), nullptr, 16));
        pos_ += 4;
      } else if (e == 'n' || e == 't' || e == '"' || e == '\\' || e == '/') {
        *out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        return false;
      }
    }
    return Eat('"');
  }
  bool Number(Json* out) {
    size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t d = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      return pos_ > d;
    };
    if (!digits()) return false;
    if (s_[start] == '0' || (s_[start] == '-' && s_[start + 1] == '0')) {
      if (pos_ - start > (s_[start] == '-' ? 2u : 1u)) return false;  // No leading zeros.
    }
    if (pos_ < s_.size() && s_[pos_] == '.' && (++pos_, !digits())) return false;
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return false;
    }
    out->kind = Json::kNumber;
    out->text = s_.substr(start, pos_ - start);
    out->number = std::strtod(out->text.c_str(), nullptr);
    return true;
  }
  bool Value(Json* out) {
    Space();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '"') {
      out->kind = Json::kString;
      return String(&out->text);
    }
    if (c == 'n') return Literal("null");
    if (c == 't' || c == 'f') {
      out->kind = Json::kBool;
      out->boolean = c == 't';
      return Literal(out->boolean ? "true" : "false");
    }
    if (c == '[' || c == '{') {
      bool object = c == '{';
      out->kind = object ? Json::kObject : Json::kArray;
      ++pos_;
      if (Eat(object ? '}' : ']')) return true;
      do {
        if (object && (!String(&out->keys.emplace_back()) || !Eat(':'))) return false;
        if (!Value(&out->items.emplace_back())) return false;
      } while (Eat(','));
      return Eat(object ? '}' : ']');
    }
    return Number(out);
  }
  const std::string& s_;
  size_t pos_ = 0;
};

Json ReadOrFail(const std::string& text) {
  Json doc;
  EXPECT_TRUE(JsonReader(text).ReadDocument(&doc)) << text;
  return doc;
}

std::vector<std::string> Strings(const Json& array) {
  std::vector<std::string> out;
  for (const Json& j : array.items) out.push_back(j.kind == Json::kNull ? "<null>" : j.text);
  return out;
}

TEST(JsonExportTest, DescribesGraphNodesAndTypedAttributes) {
  ParseOptions trust;  // Constant and LayerNormalization infer on other branches.
  trust.infer_shapes = false;
  const std::string zeros(64 * 64 * 8, '0');  // 16 KiB of f32 data in hex.
  const std::string rest =
      "  %b: bool[3] = Constant() {value=tensor<bool[3]> [1, 0, 1]}\n"
      "  %c: f32[batch,seq,64] = Clip(%x, none, %hi)\n"
      "  %s: f32[batch,seq,64] = Softmax(%c) {axis=-1}\n"
      "  %n: f32[batch,seq,64] = LayerNormalization(%s, %w) {epsilon=9.99999975e-06}\n"
      "  %t: f32[64,64] = Transpose(%w) {perm=[1, 0]}\n"
      "  %g: f32[batch,seq,64] = Gelu(%n) {approximate=\"tanh\"}\n"
      "  %z: f32[1] = ConstantOfShape(%b) {value=tensor<f32[1]> [nan]}\n"
      "  return %g, %t\n"
      "}\n";
  auto g = ParseGraph(
      "graph main(%x: f32[batch,seq,64], %hi: f32[]) {\n  assume seq <= 512\n"
      "  %w: f32[64,64] = Constant() {value=tensor<f32[64,64]> 0x" + zeros + "}\n" + rest,
      trust);
  ASSERT_TRUE(g.ok()) << g.status();
  std::string text = ExportJson(**g);
  Json doc = ReadOrFail(text);
  EXPECT_EQ(doc["format"].text, "kiln-graph");
  EXPECT_EQ(doc["version"].number, 1);
  const Json& graph = doc["graph"];
  EXPECT_EQ(graph.keys,
            (std::vector<std::string>{"name", "inputs", "outputs", "constraints", "nodes"}));
  EXPECT_EQ(graph["inputs"][0]["name"].text, "x");
  EXPECT_EQ(Strings(graph["inputs"][0]["dims"]), (std::vector<std::string>{"batch", "seq", "64"}));
  EXPECT_EQ(graph["inputs"][1]["dims"].items.size(), 0u);
  EXPECT_EQ(graph["outputs"][1]["name"].text, "t");
  EXPECT_EQ(graph["outputs"][1]["dtype"].text, "f32");
  EXPECT_EQ(graph["constraints"][0]["lhs"].text, "seq");
  EXPECT_EQ(graph["constraints"][0]["relation"].text, "<=");
  EXPECT_EQ(graph["constraints"][0]["rhs"].text, "512");

  const Json& nodes = graph["nodes"];
  ASSERT_EQ(nodes.items.size(), 8u);
  // A large tensor is summarised; a small one lists its values.
  const Json& w = nodes[0]["attributes"]["value"];
  EXPECT_EQ(w["kind"].text, "tensor");
  EXPECT_EQ(w["dtype"].text, "f32");
  EXPECT_EQ(w["shape"][1].number, 64);
  EXPECT_EQ(w["bytes"].number, 16384);
  EXPECT_EQ(w.keys, (std::vector<std::string>{"kind", "dtype", "shape", "bytes"}));
  const Json& b = nodes[1]["attributes"]["value"];
  ASSERT_EQ(b["values"].items.size(), 3u);
  EXPECT_TRUE(b["values"][0].boolean);
  EXPECT_FALSE(b["values"][1].boolean);
  // Absent inputs are null; every node says its op, name, fusion kind and output types.
  const Json& clip = nodes[2];
  EXPECT_EQ(clip["op"].text, "Clip");
  EXPECT_EQ(clip["fusion"].text, "elementwise");
  EXPECT_EQ(Strings(clip["inputs"]), (std::vector<std::string>{"x", "<null>", "hi"}));
  EXPECT_EQ(Strings(clip["outputs"][0]["dims"]), (std::vector<std::string>{"batch", "seq", "64"}));
  EXPECT_EQ(clip["attributes"].keys.size(), 0u);
  EXPECT_EQ(nodes[3]["attributes"]["axis"]["kind"].text, "int");
  EXPECT_EQ(nodes[3]["attributes"]["axis"]["value"].number, -1);
  EXPECT_EQ(nodes[4]["attributes"]["epsilon"]["kind"].text, "float");
  EXPECT_EQ(nodes[4]["attributes"]["epsilon"]["value"].text, "9.99999975e-06");
  EXPECT_EQ(nodes[5]["attributes"]["perm"]["kind"].text, "ints");
  EXPECT_EQ(nodes[5]["attributes"]["perm"]["value"][0].number, 1);
  EXPECT_EQ(nodes[6]["attributes"]["approximate"]["value"].text, "tanh");
  // JSON has no NaN: non-finite floats are strings.
  EXPECT_EQ(nodes[7]["attributes"]["value"]["values"][0].kind, Json::kString);
  EXPECT_EQ(nodes[7]["attributes"]["value"]["values"][0].text, "nan");
  // Small objects stay on one line.
  EXPECT_THAT(text, HasSubstr("\n        \"attributes\": {\n          \"axis\": {\"kind\": "
                              "\"int\", \"value\": -1}\n        }"));
  EXPECT_THAT(text, HasSubstr("\n        \"inputs\": [\"x\", null, \"hi\"],\n"));
}

TEST(JsonExportTest, EscapesStringsAndNestsBodies) {
  auto g = ParseGraph(
      "graph \"q\\\"\\\\\"(%\"tab\\there\\001\": f32[n], %\"\\303\\251\\377\": f32[n]) {\n"
      "  %f: f32[n] = Add(%\"tab\\there\\001\", %\"\\303\\251\\377\") @fused body\n"
      "    graph inner(%p: f32[n], %q: f32[n]) {\n"
      "      %e: f32[n] = Exp(%p)\n"
      "      return %e\n"
      "    }\n"
      "  return %f\n"
      "}\n");
  ASSERT_TRUE(g.ok()) << g.status();
  std::string text = ExportJson(**g);
  Json doc = ReadOrFail(text);
  EXPECT_EQ(doc["graph"]["name"].text, "q\"\\");
  EXPECT_EQ(doc["graph"]["inputs"][0]["name"].text, "tab\there\001");
  // Valid UTF-8 passes through; the stray byte 0xff is written as \u00ff.
  EXPECT_THAT(text, HasSubstr("\"name\": \"\303\251\\u00ff\""));
  EXPECT_THAT(text, HasSubstr("\"tab\\there\\u0001\""));
  const Json& fused = doc["graph"]["nodes"][0];
  EXPECT_EQ(fused["name"].text, "fused");
  const Json& body = fused["body"];
  EXPECT_EQ(body["name"].text, "inner");
  EXPECT_EQ(body["nodes"][0]["op"].text, "Exp");
  EXPECT_EQ(Strings(body["nodes"][0]["inputs"]), (std::vector<std::string>{"p"}));
  EXPECT_EQ(body["outputs"][0]["name"].text, "e");
}

TEST(JsonExportTest, QuotesEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string s(1, static_cast<char>(c));
    Json j;
    EXPECT_TRUE(JsonReader(JsonQuote(s)).ReadDocument(&j)) << c;
    EXPECT_EQ(j.text, s);
  }
  // Truncated, overlong and surrogate sequences are not UTF-8.
  EXPECT_EQ(JsonQuote("\xe2\x82"), "\"\\u00e2\\u0082\"");
  EXPECT_EQ(JsonQuote("\xc0\xaf"), "\"\\u00c0\\u00af\"");
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
  EXPECT_EQ(JsonQuote("\xe2\x82\xac"), "\"\xe2\x82\xac\"");
}

}  // namespace
}  // namespace kiln
