// An on-disk cache of compiled kernels, keyed by everything that decides the binary: the
// source, the compile options, the architecture and the NVRTC version. Each entry stores its
// full key, so a hash collision can never return the wrong binary; writes are atomic renames,
// so concurrent compiles of the same model are safe.
#ifndef KILN_CODEGEN_KERNEL_CACHE_H_
#define KILN_CODEGEN_KERNEL_CACHE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kiln {

// A stable 64-bit FNV-1a hash (absl::Hash is salted per process, unusable on disk).
uint64_t StableHash64(absl::string_view data);

class KernelCache {
 public:
  // Caches under `dir`; created on first write.
  explicit KernelCache(std::string dir) : dir_(std::move(dir)) {}
  // $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln.
  static std::string DefaultDir();

  // The cached binary for `key`, if present and intact.
  std::optional<std::string> Get(absl::string_view key) const;
  absl::Status Put(absl::string_view key, absl::string_view binary) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string PathFor(absl::string_view key) const;
  std::string dir_;
};

}  // namespace kiln

#endif  // KILN_CODEGEN_KERNEL_CACHE_H_
