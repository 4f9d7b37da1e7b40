// Whole-file reads and atomic writes (kernel cache entries, plan files, dumped sources).
#ifndef KILN_IR_FILE_IO_H_
#define KILN_IR_FILE_IO_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kiln {

// The contents of `path` in one read; NotFound when it cannot be opened.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `data` to a temporary file beside `path` (named after the process) and renames it over
// `path`, so readers never see a partial file and concurrent writers of the same content are
// safe. The temporary file is removed on failure.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view data);

}  // namespace kiln

#endif  // KILN_IR_FILE_IO_H_
