// Graphviz DOT rendering of a graph, for `kiln dump --format dot | dot -Tsvg`.
#ifndef KILN_IR_DOT_EXPORT_H_
#define KILN_IR_DOT_EXPORT_H_

#include <string>

#include "ir/graph.h"

namespace kiln {

// One box per op (op, node name, output types; coloured by fusion kind), graph inputs and
// outputs as house shapes, constants as small grey boxes, edges labelled with the value's
// name and type. A node with a body is drawn as a `subgraph cluster_N` holding its body, and
// its inputs and outputs connect to the body's inputs and results.
std::string ExportDot(const Graph& graph);

}  // namespace kiln

#endif  // KILN_IR_DOT_EXPORT_H_
