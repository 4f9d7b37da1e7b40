// Importers for reductions and normalisations whose ONNX form differs from Kiln's.
#include "frontend/import_context.h"

namespace kiln::frontend {

void AddReductionImporters(ImporterTable& table) {}

}  // namespace kiln::frontend
