// The location must be a plain relative path; the file's canonical path (symlinks resolved)
// must lie under the canonical model folder; the byte range must lie inside the file. The file
// is read with a bounded pread, so a lying `length` cannot make Kiln allocate past the file.
#include "frontend/external_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace kiln::frontend {
namespace {

absl::StatusOr<std::string> RealPath(const std::string& p) {
  char buf[PATH_MAX];
  if (realpath(p.c_str(), buf) == nullptr) {
    return absl::NotFoundError(absl::StrCat("external data file '", p, "' not found"));
  }
  return std::string(buf);
}

}  // namespace

absl::StatusOr<std::string> ReadExternalData(const std::string& base_dir,
                                             const std::string& location, int64_t offset,
                                             int64_t length) {
  if (base_dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("external data '", location, "' is not allowed for a model read from memory"));
  }
  if (location.empty() || location[0] == '/' || location.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("external data location '", location, "' must be a relative path"));
  }
  for (size_t start = 0; start <= location.size();) {
    size_t end = location.find('/', start);
    if (end == std::string::npos) end = location.size();
    if (location.substr(start, end - start) == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("external data location '", location, "' leaves the model's folder"));
    }
    start = end + 1;
  }
  auto base = RealPath(base_dir);
  if (!base.ok()) return base.status();
  auto full = RealPath(absl::StrCat(base_dir, "/", location));
  if (!full.ok()) return full.status();
  // The root folder already ends in '/'.
  const std::string prefix = absl::EndsWith(*base, "/") ? *base : absl::StrCat(*base, "/");
  if (!absl::StartsWith(*full, prefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "external data location '", location, "' resolves outside the model's folder"));
  }
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever (the
  // not-a-file check below needs the descriptor). O_NOFOLLOW: `full` has no links left.
  int fd = open(full->c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open external data '", *full, "'"));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat("external data '", *full, "' is not a file"));
  }
  int64_t size = st.st_size;
  if (offset < 0 || length < 0 || offset > size || length > size - offset) {
    close(fd);
    return absl::OutOfRangeError(absl::StrCat("external data range [", offset, ", +", length,
                                              ") is outside '", location, "' (", size, " bytes)"));
  }
  std::string bytes(static_cast<size_t>(length), '\0');
  int64_t done = 0;
  while (done < length) {
    ssize_t r = pread(fd, bytes.data() + done, length - done, offset + done);
    if (r <= 0) {
      close(fd);
      return absl::DataLossError(absl::StrCat("short read from external data '", *full, "'"));
    }
    done += r;
  }
  close(fd);
  return bytes;
}

}  // namespace kiln::frontend
