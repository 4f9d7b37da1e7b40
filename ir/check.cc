#include "ir/check.h"

#include <cstdio>
#include <cstdlib>

namespace kiln::internal {

CheckFailer::CheckFailer(const char* file, int line, const char* cond) {
  stream_ << file << ":" << line << ": check failed: " << cond << " ";
}

CheckFailer::~CheckFailer() {
  std::fprintf(stderr, "kiln internal error: %s\n", stream_.str().c_str());
  std::abort();
}

}  // namespace kiln::internal
