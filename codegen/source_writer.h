// A tiny writer for generated source: indented lines, blocks, and fresh identifiers.
#ifndef KILN_CODEGEN_SOURCE_WRITER_H_
#define KILN_CODEGEN_SOURCE_WRITER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace kiln {

// `text` reduced to a C identifier: characters outside [A-Za-z0-9_] become '_', a leading
// digit gets a '_' prefix, and "" becomes "v".
std::string SanitizeIdentifier(absl::string_view text);

// Accumulates source text with two-space indentation and hands out unique names.
class SourceWriter {
 public:
  // Writes one line at the current indentation (an empty `text` writes an empty line).
  void Line(absl::string_view text);
  // Writes a `//` comment line; newlines inside `text` cannot end the comment.
  void Comment(absl::string_view text);
  // Writes `header {` and indents.
  void Open(absl::string_view header);
  // Dedents and writes `}` followed by `suffix`.
  void Close(absl::string_view suffix = "");
  void Indent() { ++depth_; }
  void Dedent();
  // A name derived from `base` (sanitized) that this writer has not handed out before.
  std::string FreshName(absl::string_view base);
  // Appends another writer's text verbatim.
  void Append(const SourceWriter& other) { text_ += other.text_; }
  // Writes `comment`, then `extern "C" __global__` kernel `name` with one parameter per line,
  // then `body` and the closing brace.
  void Kernel(absl::string_view comment, absl::string_view name,
              const std::vector<std::string>& params, const SourceWriter& body);

  const std::string& str() const { return text_; }

 private:
  std::string text_;
  int depth_ = 0;
  absl::flat_hash_map<std::string, int> name_counts_;
};

}  // namespace kiln

#endif  // KILN_CODEGEN_SOURCE_WRITER_H_
