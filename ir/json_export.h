// A stable JSON document describing a graph, for tools and notebooks:
//
//   {"format": "kiln-graph", "version": 1, "graph": {
//     "name": "main",
//     "inputs":  [{"name": "x", "dtype": "f32", "dims": ["batch", "seq", "64"]}],
//     "outputs": [{"name": "y", "dtype": "f32", "dims": ["batch", "seq", "64"]}],
//     "constraints": [{"lhs": "seq", "relation": "<=", "rhs": "512", "origin": "..."}],
//     "nodes": [{"op": "Softmax", "name": "s", "fusion": "reduction",
//                "inputs": ["x", null], "outputs": [{"name": ..., "dtype": ..., "dims": [...]}],
//                "attributes": {"axis": {"kind": "int", "value": -1}},
//                "body": {...a graph, only for nodes with a body...}}]}}
//
// Dims are strings ("batch*seq"). Attribute values are typed by "kind" (int, float, string,
// ints, floats, strings, dims, tensor); non-finite floats are the strings "nan", "inf",
// "-inf". A tensor gives "dtype", "shape" (integers) and "bytes", plus "values" when it has at
// most 16 elements. Keys always appear in this order; strings are escaped, and bytes that are
// not UTF-8 are written as \u00XX.
#ifndef KILN_IR_JSON_EXPORT_H_
#define KILN_IR_JSON_EXPORT_H_

#include <string>

#include "ir/graph.h"

namespace kiln {

// The graph as a pretty-printed JSON document (see above).
std::string ExportJson(const Graph& graph);
// `s` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view s);

}  // namespace kiln

#endif  // KILN_IR_JSON_EXPORT_H_
