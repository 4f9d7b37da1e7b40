// CHECK-style assertions for programmer errors inside the compiler (never for bad input,
// which gets an absl::Status). Abseil's logging library is newer than Debian's Abseil.
#ifndef KILN_IR_CHECK_H_
#define KILN_IR_CHECK_H_

#include <sstream>

#include "absl/status/status.h"

namespace kiln::internal {

class CheckFailer {
 public:
  CheckFailer(const char* file, int line, const char* cond);
  [[noreturn]] ~CheckFailer();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace kiln::internal

#define KILN_CHECK(cond) \
  if (cond) {            \
  } else                 \
    ::kiln::internal::CheckFailer(__FILE__, __LINE__, #cond).stream()

#define KILN_CHECK_OK(expr)                                              \
  if (::absl::Status kiln_check_status_ = (expr); kiln_check_status_.ok()) { \
  } else                                                                 \
    ::kiln::internal::CheckFailer(__FILE__, __LINE__, #expr).stream()    \
        << kiln_check_status_.ToString()

#ifdef NDEBUG
#define KILN_DCHECK(cond) \
  if (true) {             \
  } else                  \
    ::kiln::internal::CheckFailer(__FILE__, __LINE__, #cond).stream()
#else
#define KILN_DCHECK(cond) KILN_CHECK(cond)
#endif

#endif  // KILN_IR_CHECK_H_
