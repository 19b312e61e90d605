// Every entry of the op table outside the element-wise families, run through its `invoke` and
// compared with PyTorch. An op added to the table without a recipe here fails the suite.
#include <functional>
#include <map>

#include "oracle.hpp"

namespace nb = nabla;

namespace {

struct Recipe {
  std::string torch_expr;
  std::function<std::vector<nb::Tensor>(nb::DType, uint64_t)> inputs;
};

nb::Tensor rnd(nb::IntArrayRef shape, nb::DType d, uint64_t seed) { return oracle::random_tensor(shape, d, seed); }

std::map<std::string, Recipe> recipes() {
  auto one = [](nb::DimVector shape) {
    return [shape](nb::DType d, uint64_t s) { return std::vector<nb::Tensor>{rnd(shape, d, s)}; };
  };
  auto two = [](nb::DimVector sa, nb::DimVector sb) {
    return [sa, sb](nb::DType d, uint64_t s) { return std::vector<nb::Tensor>{rnd(sa, d, s), rnd(sb, d, s + 1)}; };
  };
  std::map<std::string, Recipe> r;
  for (const char* name : {"sum", "mean", "prod", "max", "min", "argmax", "argmin", "var", "std", "norm", "all", "any"})
    r[name] = {std::string("torch.") + name + "(a)", one({3, 4})};
  for (const char* name : {"amax", "amin", "logsumexp", "cumsum", "cumprod", "softmax", "log_softmax"})
    r[name] = {std::string("torch.") + name + "(a, -1)", one({3, 4})};
  r["matmul"] = {"torch.matmul(a, b)", two({2, 3, 4}, {4, 5})};
  r["mm"] = {"torch.mm(a, b)", two({3, 4}, {4, 5})};
  r["bmm"] = {"torch.bmm(a, b)", two({2, 3, 4}, {2, 4, 5})};
  r["dot"] = {"torch.dot(a, b)", two({7}, {7})};
  r["outer"] = {"torch.outer(a, b)", two({3}, {4})};
  r["addmm"] = {"torch.addmm(a, b, c)", [](nb::DType d, uint64_t s) {
                  return std::vector<nb::Tensor>{rnd({5}, d, s), rnd({3, 4}, d, s + 1), rnd({4, 5}, d, s + 2)};
                }};
  r["index_select"] = {"torch.index_select(a, 0, b)",
                       [](nb::DType d, uint64_t s) { return std::vector<nb::Tensor>{rnd({5, 3}, d, s), nb::tensor({4, 0, 0, 2})}; }};
  r["index"] = {"a[b]", r["index_select"].inputs};
  r["gather"] = {"torch.gather(a, 0, b)", [](nb::DType d, uint64_t s) {
                   return std::vector<nb::Tensor>{rnd({5, 3}, d, s), nb::tensor({{4, 0, 1}, {2, 2, 3}})};
                 }};
  auto scatter_inputs = [](nb::DType d, uint64_t s) {
    return std::vector<nb::Tensor>{rnd({5, 3}, d, s), nb::tensor({{4, 0, 1}, {2, 1, 3}}), rnd({2, 3}, d, s + 1)};
  };
  r["scatter"] = {"torch.scatter(a, 0, b, c)", scatter_inputs};
  r["scatter_add"] = {"torch.scatter_add(a, 0, b, c)", scatter_inputs};
  r["masked_fill"] = {"a.masked_fill(b, 0)", [](nb::DType d, uint64_t s) {
                        return std::vector<nb::Tensor>{rnd({3, 4}, d, s), rnd({3, 4}, nb::kBool, s + 1)};
                      }};
  r["where"] = {"torch.where(a, b, c)", [](nb::DType d, uint64_t s) {
                  return std::vector<nb::Tensor>{rnd({3, 4}, nb::kBool, s), rnd({3, 4}, d, s + 1), rnd({4}, d, s + 2)};
                }};
  r["cat"] = {"torch.cat([a, b], 0)", two({2, 3}, {1, 3})};
  r["stack"] = {"torch.stack([a, b], 0)", two({2, 3}, {2, 3})};
  r["flip"] = {"torch.flip(a, [0])", one({3, 4})};
  r["roll"] = {"torch.roll(a, 1)", one({3, 4})};
  r["sort"] = {"torch.sort(a)[0]", one({3, 4})};
  r["argsort"] = {"torch.argsort(a)", one({3, 4})};
  r["topk"] = {"torch.topk(a, 1)[0]", one({3, 4})};
  r["unique"] = {"torch.unique(a)", one({3, 4})};
  r["transpose"] = {"a.transpose(0, -1)", one({2, 3, 4})};
  r["permute"] = {"a.permute(2, 1, 0)", one({2, 3, 4})};
  r["reshape"] = {"a.reshape(-1)", one({3, 4})};
  r["flatten"] = {"a.flatten()", one({2, 3, 4})};
  r["unsqueeze"] = {"a.unsqueeze(0)", one({3, 4})};
  r["squeeze"] = {"a.squeeze()", one({3, 1, 4})};
  r["contiguous"] = {"a.permute(2, 1, 0).contiguous()", one({2, 3, 4})};
  return r;
}

}  // namespace

TEST(OpTable, EveryOpHasATestAndMatchesTorch) {
  auto table_recipes = recipes();
  uint64_t seed = 77;
  for (const nb::OpInfo& op : nb::op_table()) {
    if (op.kind == nb::OpKind::kUnary || op.kind == nb::OpKind::kBinary) continue;  // test_elementwise.cpp
    auto it = table_recipes.find(std::string(op.name));
    if (it == table_recipes.end()) {
      ADD_FAILURE() << "op '" << op.name << "' is in the op table but has no recipe in test_op_table.cpp";
      continue;
    }
    for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kInt32, nb::kBool}) {
      if (!op.accepts(dtype)) continue;
      SCOPED_TRACE(std::string(op.name) + " " + std::string(nb::dtype_name(dtype)));
      std::vector<nb::Tensor> inputs = it->second.inputs(dtype, seed++);
      oracle::Result r = oracle::eval(it->second.torch_expr, inputs);
      if (!r.ok) {
        EXPECT_THROW(op.invoke(inputs), nb::Error) << "PyTorch raised " << r.error_type << ": " << r.error_message;
        continue;
      }
      nb::Tensor got = op.invoke(inputs);
      EXPECT_CLOSE(got, r.value(), oracle::tolerance_for(got.dtype(), 1e-5, 1e-5));
    }
  }
}

TEST(OpTable, EntriesAreWellFormed) {
  std::map<std::string_view, int> seen;
  for (const nb::OpInfo& op : nb::op_table()) {
    EXPECT_EQ(++seen[op.name], 1) << "duplicate op " << op.name;
    EXPECT_NE(op.dtypes, 0) << op.name;
    EXPECT_TRUE(op.backends & nb::kOnCPU) << op.name;
    EXPECT_NE(op.invoke, nullptr) << op.name;
    EXPECT_EQ(&nb::op_info(op.name), &op);
  }
  EXPECT_THROW(nb::op_info("no_such_op"), nb::ValueError);
}
