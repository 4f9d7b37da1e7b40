// Reference kernel tests for the data-movement ops. Expected values were worked out by hand
// (and cross-checked with numpy while writing the tests); error paths must fail cleanly.
#include <limits>

#include "gtest/gtest.h"
#include "ir/graph.h"
#include "ir/shape_inference.h"
#include "runtime/reference/executor.h"

namespace kiln::reference {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

template <typename T>
Tensor Vec(std::vector<T> v, std::vector<int64_t> shape) {
  return Tensor::FromVector<T>(v, std::move(shape));
}
Tensor I64s(std::vector<int64_t> v) {
  int64_t n = static_cast<int64_t>(v.size());
  return Vec<int64_t>(v, {n});
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  auto s = t.values<T>();
  return std::vector<T>(s.begin(), s.end());
}

// A one-node graph over fresh inputs (typed from `inputs`; null = absent optional input).
class OneOp {
 public:
  OneOp(OpKind op, std::vector<std::optional<Tensor>> inputs, Attributes attrs = {},
        int num_outputs = 1) {
    std::vector<Value*> ins;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i]) {
        ins.push_back(nullptr);
        continue;
      }
      std::vector<DimExpr> dims(inputs[i]->shape().begin(), inputs[i]->shape().end());
      ins.push_back(graph_.AddInput("in" + std::to_string(i), {inputs[i]->dtype(), dims}));
      feeds_.push_back(*inputs[i]);
    }
    Node* n = graph_.AddNode(op, ins, num_outputs, std::move(attrs));
    for (int i = 0; i < num_outputs; ++i) graph_.AddOutput(n->output(i));
  }
  absl::StatusOr<std::vector<Tensor>> Run() {
    RETURN_IF_ERROR(InferShapes(graph_));
    return Execute(graph_, feeds_);
  }
  Tensor RunOne() {
    auto r = Run();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? (*r)[0] : Tensor();
  }

 private:
  Graph graph_;
  std::vector<Tensor> feeds_;
};

Attributes Attr(absl::string_view name, AttrValue v) {
  Attributes a;
  a.Set(name, std::move(v));
  return a;
}

TEST(ShapeOpsKernelTest, TransposeMovesElements) {
  Tensor x = Vec<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = OneOp(OpKind::kTranspose, {x}).RunOne();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(Values<float>(y), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  // [2,1,2] with perm (2,0,1) -> [2,2,1]; f16 goes through unchanged bits.
  Tensor h = Vec<Half>({Half(1), Half(2), Half(3), Half(4)}, {2, 1, 2});
  Tensor z = OneOp(OpKind::kTranspose, {h}, Attr("perm", std::vector<int64_t>{2, 0, 1})).RunOne();
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{2, 2, 1}));
  std::vector<float> got;
  for (Half v : z.values<Half>()) got.push_back(v);
  EXPECT_EQ(got, (std::vector<float>{1, 3, 2, 4}));
}

TEST(ShapeOpsKernelTest, ReshapeResolvesZeroAndMinusOne) {
  Tensor x = Vec<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = OneOp(OpKind::kReshape, {x, I64s({0, -1, 1})}).RunOne();
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3, 1}));
  EXPECT_EQ(Values<int32_t>(y), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
  Tensor empty = Vec<float>({}, {0, 3});
  Tensor z = OneOp(OpKind::kReshape, {empty, I64s({3, 0})}, Attr("allowzero", int64_t{1}))
                 .RunOne();
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{3, 0}));
}

TEST(ShapeOpsKernelTest, ReshapeRejectsBadRuntimeShape) {
  Tensor x = Vec<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  for (auto shape : std::vector<std::vector<int64_t>>{{4, -1}, {-1, -1}, {7}, {-3, 2}}) {
    auto r = OneOp(OpKind::kReshape, {x, I64s(shape)}).Run();
    EXPECT_FALSE(r.ok()) << shape[0];
  }
}

TEST(ShapeOpsKernelTest, SliceWithNegativeStepsAndClamping) {
  Tensor x = Vec<int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10});
  Tensor a = OneOp(OpKind::kSlice, {x, I64s({8}), I64s({1}), I64s({0}), I64s({-3})}).RunOne();
  EXPECT_EQ(Values<int64_t>(a), (std::vector<int64_t>{8, 5, 2}));
  Tensor b = OneOp(OpKind::kSlice, {x, I64s({-3}), I64s({kMax})}).RunOne();
  EXPECT_EQ(Values<int64_t>(b), (std::vector<int64_t>{7, 8, 9}));
  Tensor c = OneOp(OpKind::kSlice, {x, I64s({100}), I64s({-100}), I64s({0}), I64s({-4})})
                 .RunOne();
  EXPECT_EQ(Values<int64_t>(c), (std::vector<int64_t>{9, 5, 1}));
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  Tensor f = OneOp(OpKind::kSlice, {x, I64s({kMax}), I64s({kMin}), I64s({0}), I64s({kMin})})
                 .RunOne();
  EXPECT_EQ(Values<int64_t>(f), (std::vector<int64_t>{9}));
  Tensor d = OneOp(OpKind::kSlice, {x, I64s({5}), I64s({2})}).RunOne();
  EXPECT_EQ(d.num_elements(), 0);
  // 2-D, second axis only, by negative axis: [[1,2,3],[4,5,6]][:, 1:] = [[2,3],[5,6]].
  Tensor m = Vec<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor e = OneOp(OpKind::kSlice, {m, I64s({1}), I64s({kMax}), I64s({-1})}).RunOne();
  EXPECT_EQ(e.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<float>(e), (std::vector<float>{2, 3, 5, 6}));
}

TEST(ShapeOpsKernelTest, SliceRejectsZeroStep) {
  Tensor x = Vec<float>({1, 2, 3}, {3});
  auto r = OneOp(OpKind::kSlice, {x, I64s({0}), I64s({3}), I64s({0}), I64s({0})}).Run();
  EXPECT_FALSE(r.ok());
}

TEST(ShapeOpsKernelTest, GatherWithNegativeIndices) {
  Tensor x = Vec<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor y = OneOp(OpKind::kGather, {x, Vec<int32_t>({-1, 0}, {2})}).RunOne();
  EXPECT_EQ(Values<float>(y), (std::vector<float>{5, 6, 1, 2}));
  // axis 1 with a [2,2] index matrix: out[i][j][k] = x[i][idx[j][k]].
  Tensor z = OneOp(OpKind::kGather, {x, Vec<int64_t>({1, 1, 0, -2}, {2, 2})},
                   Attr("axis", int64_t{1}))
                 .RunOne();
  EXPECT_EQ(z.shape(), (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(Values<float>(z), (std::vector<float>{2, 2, 1, 1, 4, 4, 3, 3, 6, 6, 5, 5}));
}

TEST(ShapeOpsKernelTest, GatherRejectsOutOfRangeIndices) {
  Tensor x = Vec<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  for (int64_t bad : {int64_t{3}, int64_t{-4}, kMax}) {
    auto r = OneOp(OpKind::kGather, {x, Vec<int64_t>({0, bad}, {2})}).Run();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("out of range"), std::string::npos) << r.status();
  }
}

TEST(ShapeOpsKernelTest, GatherElementsAndGatherND) {
  Tensor x = Vec<int32_t>({1, 2, 3, 4}, {2, 2});
  Tensor e = OneOp(OpKind::kGatherElements, {x, Vec<int64_t>({0, 0, 1, 0}, {2, 2})},
                   Attr("axis", int64_t{1}))
                 .RunOne();
  EXPECT_EQ(Values<int32_t>(e), (std::vector<int32_t>{1, 1, 4, 3}));
  auto bad = OneOp(OpKind::kGatherElements, {x, Vec<int64_t>({0, 2, 0, 0}, {2, 2})}).Run();
  EXPECT_FALSE(bad.ok());
  // GatherND: tuples (1,0) and (0,1) -> 3, 2.
  Tensor nd = OneOp(OpKind::kGatherND, {x, Vec<int64_t>({1, 0, 0, 1}, {2, 2})}).RunOne();
  EXPECT_EQ(Values<int32_t>(nd), (std::vector<int32_t>{3, 2}));
  // batch_dims=1 over data [2,2,2]: batch 0 picks row 1, batch 1 picks row 0.
  Tensor d3 = Vec<int32_t>({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2});
  Tensor b = OneOp(OpKind::kGatherND, {d3, Vec<int64_t>({1, 0}, {2, 1})},
                   Attr("batch_dims", int64_t{1}))
                 .RunOne();
  EXPECT_EQ(b.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(Values<int32_t>(b), (std::vector<int32_t>{2, 3, 4, 5}));
  auto oob = OneOp(OpKind::kGatherND, {x, Vec<int64_t>({2, 0}, {1, 2})}).Run();
  EXPECT_FALSE(oob.ok());
}

TEST(ShapeOpsKernelTest, PadModes) {
  Tensor x = Vec<float>({1, 2, 3}, {3});
  auto pad = [&](const char* mode) {
    return Values<float>(OneOp(OpKind::kPad, {x, I64s({2, 2})}, Attr("mode", std::string(mode)))
                             .RunOne());
  };
  EXPECT_EQ(pad("constant"), (std::vector<float>{0, 0, 1, 2, 3, 0, 0}));
  EXPECT_EQ(pad("reflect"), (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(pad("edge"), (std::vector<float>{1, 1, 1, 2, 3, 3, 3}));
  EXPECT_EQ(pad("wrap"), (std::vector<float>{2, 3, 1, 2, 3, 1, 2}));
  Tensor v = OneOp(OpKind::kPad, {x, I64s({1, -1}), Tensor::Scalar<float>(9)}).RunOne();
  EXPECT_EQ(Values<float>(v), (std::vector<float>{9, 1, 2}));
  // Axes input: pad only the last axis of [[1,2],[3,4]] with one 7 before.
  Tensor m = Vec<int8_t>({1, 2, 3, 4}, {2, 2});
  Tensor a = OneOp(OpKind::kPad, {m, I64s({1, 0}), Vec<int8_t>({7}, {}), I64s({-1})}).RunOne();
  EXPECT_EQ(a.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<int8_t>(a), (std::vector<int8_t>{7, 1, 2, 7, 3, 4}));
}

TEST(ShapeOpsKernelTest, ExpandAndTile) {
  Tensor x = Vec<int64_t>({1, 2}, {2, 1});
  Tensor e = OneOp(OpKind::kExpand, {x, I64s({2, 1, 3})}).RunOne();
  EXPECT_EQ(e.shape(), (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ(Values<int64_t>(e), (std::vector<int64_t>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}));
  auto bad = OneOp(OpKind::kExpand, {x, I64s({3, 3})}).Run();
  EXPECT_FALSE(bad.ok());
  Tensor t = OneOp(OpKind::kTile, {x, I64s({2, 2})}).RunOne();
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(Values<int64_t>(t), (std::vector<int64_t>{1, 1, 2, 2, 1, 1, 2, 2}));
}

TEST(ShapeOpsKernelTest, SplitAndConcat) {
  Tensor x = Vec<float>({1, 2, 3, 4, 5, 6, 7}, {7});
  auto parts = OneOp(OpKind::kSplit, {x}, Attr("num_outputs", int64_t{3}), 3).Run();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(Values<float>((*parts)[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(Values<float>((*parts)[1]), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(Values<float>((*parts)[2]), (std::vector<float>{7}));
  auto bad = OneOp(OpKind::kSplit, {x, I64s({3, 3})}, {}, 2).Run();
  EXPECT_FALSE(bad.ok());
  Tensor a = Vec<int64_t>({1, 2, 3, 4}, {2, 2});
  Tensor b = Vec<int64_t>({5, 6}, {2, 1});
  std::vector<std::optional<Tensor>> ins = {a, b};
  Tensor c = OneOp(OpKind::kConcat, ins, Attr("axis", int64_t{-1})).RunOne();
  EXPECT_EQ(c.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Values<int64_t>(c), (std::vector<int64_t>{1, 2, 5, 3, 4, 6}));
}

TEST(ShapeOpsKernelTest, SqueezeUnsqueezeFlattenShape) {
  Tensor x = Vec<float>({1, 2, 3}, {1, 3, 1});
  EXPECT_EQ(OneOp(OpKind::kSqueeze, {x}).RunOne().shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(OneOp(OpKind::kSqueeze, {x, I64s({-1})}).RunOne().shape(),
            (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(OneOp(OpKind::kUnsqueeze, {x, I64s({3, 0})}).RunOne().shape(),
            (std::vector<int64_t>{1, 1, 3, 1, 1}));
  EXPECT_EQ(OneOp(OpKind::kFlatten, {x}, Attr("axis", int64_t{2})).RunOne().shape(),
            (std::vector<int64_t>{3, 1}));
  Tensor s = OneOp(OpKind::kShape, {x}, Attr("start", int64_t{1})).RunOne();
  EXPECT_EQ(Values<int64_t>(s), (std::vector<int64_t>{3, 1}));
}

TEST(ShapeOpsKernelTest, SqueezeRejectsNonUnitAxisAtRuntime) {
  Tensor x = Vec<float>({1, 2, 3}, {1, 3});
  Tensor axes = I64s({1});
  // The axes are a graph input, so only the kernel can see the problem.
  auto r = OneOp(OpKind::kSqueeze, {x, axes}).Run();
  EXPECT_FALSE(r.ok());
}

TEST(ShapeOpsKernelTest, RangeIntegerAndFloat) {
  Tensor r = OneOp(OpKind::kRange, {Tensor::Scalar<int32_t>(10), Tensor::Scalar<int32_t>(4),
                                    Tensor::Scalar<int32_t>(-3)})
                 .RunOne();
  EXPECT_EQ(Values<int32_t>(r), (std::vector<int32_t>{10, 7}));
  Tensor f = OneOp(OpKind::kRange, {Tensor::Scalar<float>(1), Tensor::Scalar<float>(2),
                                    Tensor::Scalar<float>(0.25f)})
                 .RunOne();
  EXPECT_EQ(Values<float>(f), (std::vector<float>{1, 1.25f, 1.5f, 1.75f}));
  Tensor e = OneOp(OpKind::kRange, {Tensor::Scalar<int64_t>(5), Tensor::Scalar<int64_t>(1),
                                    Tensor::Scalar<int64_t>(1)})
                 .RunOne();
  EXPECT_EQ(e.num_elements(), 0);
  auto zero = OneOp(OpKind::kRange, {Tensor::Scalar<int64_t>(0), Tensor::Scalar<int64_t>(1),
                                     Tensor::Scalar<int64_t>(0)})
                  .Run();
  EXPECT_FALSE(zero.ok());
}

TEST(ShapeOpsKernelTest, TriluKeepsTheRightTriangle) {
  Tensor x = Vec<int32_t>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3});
  Tensor up = OneOp(OpKind::kTrilu, {x, Tensor::Scalar<int64_t>(1)}).RunOne();
  EXPECT_EQ(Values<int32_t>(up), (std::vector<int32_t>{0, 2, 3, 0, 0, 6, 0, 0, 0}));
  Tensor lo = OneOp(OpKind::kTrilu, {x}, Attr("upper", int64_t{0})).RunOne();
  EXPECT_EQ(Values<int32_t>(lo), (std::vector<int32_t>{1, 0, 0, 4, 5, 0, 7, 8, 9}));
  Tensor far = OneOp(OpKind::kTrilu, {x, Tensor::Scalar<int64_t>(-kMax)}).RunOne();
  EXPECT_EQ(Values<int32_t>(far), Values<int32_t>(x));
}

TEST(ShapeOpsKernelTest, ConstantOfShapeFillsValue) {
  Tensor c = OneOp(OpKind::kConstantOfShape, {I64s({2, 2})},
                   Attr("value", Vec<int32_t>({-5}, {1})))
                 .RunOne();
  EXPECT_EQ(c.dtype(), DType::kI32);
  EXPECT_EQ(Values<int32_t>(c), (std::vector<int32_t>{-5, -5, -5, -5}));
  Tensor z = OneOp(OpKind::kConstantOfShape, {I64s({3})}).RunOne();
  EXPECT_EQ(z.dtype(), DType::kF32);
  EXPECT_EQ(Values<float>(z), (std::vector<float>{0, 0, 0}));
  auto neg = OneOp(OpKind::kConstantOfShape, {I64s({-1})}).Run();
  EXPECT_FALSE(neg.ok());
}

}  // namespace
}  // namespace kiln::reference
