// Importers for contractions, attention and rotary embeddings whose ONNX form differs from Kiln's.
#include "frontend/import_context.h"

namespace kiln::frontend {

void AddContractionImporters(ImporterTable& table) {}

}  // namespace kiln::frontend
