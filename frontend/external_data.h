// Reading tensor bytes from external data files, which are untrusted paths.
#ifndef KILN_FRONTEND_EXTERNAL_DATA_H_
#define KILN_FRONTEND_EXTERNAL_DATA_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace kiln::frontend {

// Reads `length` bytes at `offset` of `location`, a path relative to `base_dir`. The resolved
// path (after symlinks) must stay inside `base_dir`, and the range inside the file.
absl::StatusOr<std::string> ReadExternalData(const std::string& base_dir,
                                             const std::string& location, int64_t offset,
                                             int64_t length);

}  // namespace kiln::frontend

#endif  // KILN_FRONTEND_EXTERNAL_DATA_H_
