// Lexical helpers for the IR text parser: a position in the text, whitespace and `//`
// comment skipping, words, quoted names and errors that carry line and column. Positions are
// byte offsets; line and column are computed only when an error is reported.
#ifndef KILN_IR_TEXT_CURSOR_H_
#define KILN_IR_TEXT_CURSOR_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kiln {

// A read position in IR text.
class TextCursor {
 public:
  explicit TextCursor(absl::string_view text) : text_(text) {}

  absl::string_view text() const { return text_; }
  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }
  // Skips whitespace (newlines included) and `//` comments.
  void SkipSpace();
  // Skips whitespace and returns the position of the next token.
  size_t Mark() {
    SkipSpace();
    return pos_;
  }
  // True when only whitespace and comments remain.
  bool AtEnd();
  // The next character after whitespace, or '\0' at the end.
  char Peek();
  // Consumes `c` (after whitespace) if it is next.
  bool TryConsume(char c);
  // Consumes the keyword `word` if it is next and not followed by a word character.
  bool TryConsumeWord(absl::string_view word);
  // Consumes `s` (after whitespace) if it is next.
  bool TryConsumeText(absl::string_view s);
  // Consumes `c` or fails with "expected 'c' <context>, found ...".
  absl::Status Expect(char c, absl::string_view context);

  // A plain word: letters, digits, '_' and '.' (names, ops, dtypes, keywords).
  absl::StatusOr<absl::string_view> ReadWord(absl::string_view what);
  // A plain word or a quoted, C-escaped string (the printer's form of names).
  absl::StatusOr<std::string> ReadName(absl::string_view what);
  // A quoted, C-escaped string.
  absl::StatusOr<std::string> ReadQuoted(absl::string_view what);
  // A numeric literal's text: letters, digits, '_', '.', '+' and '-' ("-1.5e-05", "nan").
  absl::StatusOr<absl::string_view> ReadNumber(absl::string_view what);

  // "line L, column C" of a byte offset (both 1-based; the column counts bytes).
  std::string Where(size_t pos) const;
  // An InvalidArgument error located at `pos`.
  absl::Status ErrorAt(size_t pos, absl::string_view message) const;
  absl::Status Error(absl::string_view message) const { return ErrorAt(pos_, message); }
  // `status` with the location of `pos` put before its message; the code is kept.
  absl::Status Annotate(size_t pos, const absl::Status& status) const;
  // A short quote of the text at the current position, for "found ..." in errors.
  std::string Found();

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

// True for the characters of a plain (unquoted) name.
bool IsWordChar(char c);

}  // namespace kiln

#endif  // KILN_IR_TEXT_CURSOR_H_
