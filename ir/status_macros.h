// Status propagation macros used across Kiln (the Abseil-friendly subset of XLA's macros).
#ifndef KILN_IR_STATUS_MACROS_H_
#define KILN_IR_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KILN_CONCAT_INNER_(a, b) a##b
#define KILN_CONCAT_(a, b) KILN_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    ::absl::Status kiln_status_ = (expr);         \
    if (!kiln_status_.ok()) return kiln_status_;  \
  } while (0)

// Evaluates a StatusOr expression; returns its status on error, else assigns the value to lhs.
#define ASSIGN_OR_RETURN(lhs, expr) \
  KILN_ASSIGN_OR_RETURN_IMPL_(KILN_CONCAT_(kiln_statusor_, __LINE__), lhs, expr)

#define KILN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // KILN_IR_STATUS_MACROS_H_
