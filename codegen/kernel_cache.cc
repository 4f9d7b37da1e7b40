#include "codegen/kernel_cache.h"

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ir/file_io.h"

namespace kiln {
namespace {

constexpr absl::string_view kMagic = "KILNCUBIN1\n";

}  // namespace

uint64_t StableHash64(absl::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string KernelCache::DefaultDir() {
  if (const char* d = std::getenv("KILN_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return absl::StrCat(x, "/kiln");
  if (const char* h = std::getenv("HOME"); h && *h) return absl::StrCat(h, "/.cache/kiln");
  return "/tmp/kiln-cache";
}

std::string KernelCache::PathFor(absl::string_view key) const {
  return absl::StrFormat("%s/%016x.cubin", dir_, StableHash64(key));
}

std::optional<std::string> KernelCache::Get(absl::string_view key) const {
  absl::StatusOr<std::string> read = ReadFileToString(PathFor(key));
  if (!read.ok()) return std::nullopt;
  const std::string& blob = *read;
  // Layout: magic, key length (decimal) '\n', key, binary.
  if (absl::string_view(blob).substr(0, kMagic.size()) != kMagic) return std::nullopt;
  size_t nl = blob.find('\n', kMagic.size());
  if (nl == std::string::npos) return std::nullopt;
  size_t key_len = std::strtoull(blob.c_str() + kMagic.size(), nullptr, 10);
  if (nl + 1 + key_len > blob.size() || absl::string_view(blob).substr(nl + 1, key_len) != key) {
    return std::nullopt;
  }
  return blob.substr(nl + 1 + key_len);
}

absl::Status KernelCache::Put(absl::string_view key, absl::string_view binary) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("kernel cache ", dir_, ": ", ec.message()));
  return WriteFileAtomically(PathFor(key), absl::StrCat(kMagic, key.size(), "\n", key, binary));
}

}  // namespace kiln
