#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/contraction_test_util.h"

namespace kiln::reference {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using testing::F32;
using ::testing::Pointwise;
using testing::RunOp;
using testing::Values;

absl::StatusOr<Tensor> Einsum(const std::string& equation, const std::vector<Tensor>& inputs) {
  Attributes attrs;
  attrs.Set("equation", equation);
  ASSIGN_OR_RETURN(std::vector<Tensor> out, RunOp(OpKind::kEinsum, inputs, std::move(attrs)));
  return out[0];
}

TEST(RefEinsumTest, MatMulTransposeSumAndScalars) {
  auto mm =
      Einsum("ij,jk->ik", {F32({1, 2, 3, 4, 5, 6}, {2, 3}), F32({7, 8, 9, 10, 11, 12}, {3, 2})});
  ASSERT_TRUE(mm.ok()) << mm.status();
  EXPECT_THAT(Values(*mm), ElementsAre(58, 64, 139, 154));
  auto tr = Einsum("ij->ji", {F32({1, 2, 3, 4, 5, 6}, {2, 3})});
  ASSERT_TRUE(tr.ok()) << tr.status();
  EXPECT_EQ(tr->shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_THAT(Values(*tr), ElementsAre(1, 4, 2, 5, 3, 6));
  auto sum = Einsum("ij->i", {F32({1, 2, 3, 4, 5, 6}, {2, 3})});
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_THAT(Values(*sum), ElementsAre(6, 15));
  auto inner = Einsum("i,i", {F32({1, 2, 3}, {3}), F32({4, 5, 6}, {3})});
  ASSERT_TRUE(inner.ok()) << inner.status();
  EXPECT_THAT(Values(*inner), ElementsAre(32));
  auto scalar = Einsum("->", {F32({2.5}, {})});
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_THAT(Values(*scalar), ElementsAre(2.5));
  auto outer = Einsum("i,j->ij", {F32({1, 2}, {2}), F32({3, 4, 5}, {3})});
  ASSERT_TRUE(outer.ok()) << outer.status();
  EXPECT_THAT(Values(*outer), ElementsAre(3, 4, 5, 6, 8, 10));
}

TEST(RefEinsumTest, AttentionScoresMatchLoops) {
  const int64_t b = 2, h = 2, i = 3, j = 4, d = 5;
  std::vector<float> q(b * h * i * d), k(b * h * j * d);
  for (size_t x = 0; x < q.size(); ++x) q[x] = static_cast<float>(x % 7) - 3;
  for (size_t x = 0; x < k.size(); ++x) k[x] = static_cast<float>(x % 5) * 0.5f;
  auto out = Einsum("bhid,bhjd->bhij", {F32(q, {b, h, i, d}), F32(k, {b, h, j, d})});
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<double> want;
  for (int64_t bb = 0; bb < b; ++bb) {
    for (int64_t hh = 0; hh < h; ++hh) {
      for (int64_t ii = 0; ii < i; ++ii) {
        for (int64_t jj = 0; jj < j; ++jj) {
          double s = 0;
          for (int64_t dd = 0; dd < d; ++dd) {
            s += q[((bb * h + hh) * i + ii) * d + dd] * k[((bb * h + hh) * j + jj) * d + dd];
          }
          want.push_back(s);
        }
      }
    }
  }
  EXPECT_THAT(Values(*out), Pointwise(DoubleNear(1e-5), want));
}

TEST(RefEinsumTest, EllipsisBroadcastsBatches) {
  // x: [2, 1, 1, 2], y: [3, 2, 1]; out[a, c, 0, 0] = x[a] . y[c].
  auto out = Einsum("...ij,...jk->...ik",
                    {F32({1, 2, 3, 4}, {2, 1, 1, 2}), F32({1, 1, 1, -1, 2, 0}, {3, 2, 1})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->shape(), (std::vector<int64_t>{2, 3, 1, 1}));
  EXPECT_THAT(Values(*out), ElementsAre(3, -1, 2, 7, -1, 6));
}

TEST(RefEinsumTest, ThreeOperandsAndLabelOnlyInOneOperand) {
  // (A @ B) @ C with A = [[1,2]], B = [[1,0],[0,1]], C = [[3],[4]] = 11.
  auto chain =
      Einsum("ij,jk,kl->il", {F32({1, 2}, {1, 2}), F32({1, 0, 0, 1}, {2, 2}), F32({3, 4}, {2, 1})});
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_THAT(Values(*chain), ElementsAre(11));
  // j appears only in x and is summed before multiplying: sum_j x[i,j] * y[i].
  auto partial = Einsum("ij,i->i", {F32({1, 2, 3, 4}, {2, 2}), F32({10, 100}, {2})});
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_THAT(Values(*partial), ElementsAre(30, 700));
}

TEST(RefEinsumTest, IntegersAndSizeOneLabelBroadcast) {
  auto out = Einsum("ij,ik->ijk", {Tensor::FromVector<int64_t>({1, 2}, {1, 2}),
                                   Tensor::FromVector<int64_t>({3, 4, 5}, {1, 3})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->dtype(), DType::kI64);
  EXPECT_THAT(Values(*out), ElementsAre(3, 4, 5, 6, 8, 10));
  // i is 2 in x and 1 in y, so y's row repeats.
  auto bc = Einsum("ij,ij->ij", {F32({1, 2, 3, 4}, {2, 2}), F32({10, 100}, {1, 2})});
  ASSERT_TRUE(bc.ok()) << bc.status();
  EXPECT_THAT(Values(*bc), ElementsAre(10, 200, 30, 400));
}

TEST(RefEinsumTest, DiagonalIsUnsupported) {
  auto out = Einsum("ii->i", {F32({1, 2, 3, 4}, {2, 2})});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace kiln::reference
