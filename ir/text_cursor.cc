#include "ir/text_cursor.h"

#include <cctype>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kiln {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

void TextCursor::SkipSpace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
    } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else {
      return;
    }
  }
}

bool TextCursor::AtEnd() {
  SkipSpace();
  return pos_ >= text_.size();
}

char TextCursor::Peek() {
  SkipSpace();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool TextCursor::TryConsume(char c) {
  if (Peek() != c || c == '\0') return false;
  ++pos_;
  return true;
}

bool TextCursor::TryConsumeText(absl::string_view s) {
  SkipSpace();
  if (s.empty() || text_.substr(pos_, s.size()) != s) return false;
  pos_ += s.size();
  return true;
}

bool TextCursor::TryConsumeWord(absl::string_view word) {
  SkipSpace();
  if (text_.substr(pos_, word.size()) != word) return false;
  size_t end = pos_ + word.size();
  if (end < text_.size() && IsWordChar(text_[end])) return false;
  pos_ = end;
  return true;
}

absl::Status TextCursor::Expect(char c, absl::string_view context) {
  if (TryConsume(c)) return absl::OkStatus();
  return Error(absl::StrCat("expected '", std::string(1, c), "' ", context, ", found ", Found()));
}

absl::StatusOr<absl::string_view> TextCursor::ReadWord(absl::string_view what) {
  SkipSpace();
  size_t start = pos_;
  while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
  if (pos_ == start) return Error(absl::StrCat("expected ", what, ", found ", Found()));
  return text_.substr(start, pos_ - start);
}

absl::StatusOr<std::string> TextCursor::ReadName(absl::string_view what) {
  if (Peek() == '"') return ReadQuoted(what);
  absl::StatusOr<absl::string_view> word = ReadWord(what);
  if (!word.ok()) return word.status();
  return std::string(*word);
}

absl::StatusOr<std::string> TextCursor::ReadQuoted(absl::string_view what) {
  if (Peek() != '"') {
    return Error(absl::StrCat("expected ", what, " (a quoted string), found ", Found()));
  }
  size_t start = pos_++;
  while (pos_ < text_.size() && text_[pos_] != '"') {
    if (text_[pos_] == '\n') break;
    pos_ += text_[pos_] == '\\' ? 2 : 1;
  }
  if (pos_ >= text_.size() || text_[pos_] != '"') {
    return ErrorAt(start, absl::StrCat("unterminated string in ", what));
  }
  absl::string_view body = text_.substr(start + 1, pos_ - start - 1);
  ++pos_;
  std::string out, err;
  if (!absl::CUnescape(body, &out, &err)) {
    return ErrorAt(start, absl::StrCat("bad escape in ", what, ": ", err));
  }
  return out;
}

absl::StatusOr<absl::string_view> TextCursor::ReadNumber(absl::string_view what) {
  SkipSpace();
  size_t start = pos_;
  while (pos_ < text_.size() &&
         (IsWordChar(text_[pos_]) || text_[pos_] == '+' || text_[pos_] == '-')) {
    ++pos_;
  }
  if (pos_ == start) return Error(absl::StrCat("expected ", what, ", found ", Found()));
  return text_.substr(start, pos_ - start);
}

std::string TextCursor::Where(size_t pos) const {
  if (pos > text_.size()) pos = text_.size();
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < pos; ++i) {
    if (text_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrCat("line ", line, ", column ", pos - line_start + 1);
}

absl::Status TextCursor::ErrorAt(size_t pos, absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat(Where(pos), ": ", message));
}

absl::Status TextCursor::Annotate(size_t pos, const absl::Status& status) const {
  return absl::Status(status.code(), absl::StrCat(Where(pos), ": ", status.message()));
}

std::string TextCursor::Found() {
  SkipSpace();
  if (pos_ >= text_.size()) return "the end of the text";
  size_t end = pos_;
  while (end < text_.size() && end - pos_ < 20 && text_[end] != '\n' &&
         (end == pos_ || text_[end] != ' ')) {
    ++end;
  }
  return absl::StrCat("'", absl::CHexEscape(text_.substr(pos_, end - pos_)), "'");
}

}  // namespace kiln
