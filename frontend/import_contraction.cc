// Importers for contractions, attention and rotary embeddings whose ONNX form differs from Kiln's.
#include "frontend/import_context.h"

namespace kiln::frontend {
namespace {

// Attention-24 added the nonpad_kv_seqlen input (an external KV cache's valid lengths), which
// Kiln does not implement; without it the op is Attention-23.
absl::StatusOr<std::vector<Value*>> ImportAttention24(ImportContext& ctx) {
  if (ctx.input(6) != nullptr) {
    return ctx.Unsupported("the nonpad_kv_seqlen input (Attention-24) is not supported");
  }
  if (ctx.inputs().size() > 7) return ctx.Error("Attention takes at most 7 inputs");
  return ImportAs(ctx, OpKind::kAttention);
}

}  // namespace

void AddContractionImporters(ImporterTable& table) {
  table.Add("Attention", 24, 28, &ImportAttention24);
}

}  // namespace kiln::frontend
