// Bad input through the public C++ API never crashes (issue 6): every call below is a mistake a user
// makes — dims out of range, impossible sizes, wrong dtypes, out-of-bound indices, undefined tensors,
// CUDA without a GPU, autograd misuse — and each must raise a nabla::Error whose message names the op
// and what is wrong. The expected substrings follow what PyTorch (or NumPy, for np::) says for the same
// mistake. Everything runs in this process, so a segfault, abort or sanitizer report fails the binary.
// The op-table parts are generated: a new op is checked for undefined inputs and rejected dtypes
// without editing this file, and a new op with a dim argument fails until it has a dim entry here.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "nabla/nabla.hpp"
#include "nabla/op_table.hpp"

namespace nb = nabla;
namespace F = nabla::nn::functional;

namespace {

struct BadCall {
  std::string name;
  std::function<void()> call;
  std::vector<std::string> mentions;  // substrings the message must contain
};

// Runs every call; each must raise a nabla::Error mentioning its substrings.
void expect_all_raise(const std::vector<BadCall>& table) {
  for (const auto& c : table) {
    SCOPED_TRACE(c.name);
    try {
      c.call();
      ADD_FAILURE() << c.name << ": raised nothing";
    } catch (const nb::Error& e) {
      const std::string message = e.what();
      EXPECT_FALSE(message.empty()) << c.name << ": empty message";
      for (const auto& m : c.mentions)
        EXPECT_NE(message.find(m), std::string::npos) << c.name << ": message lacks '" << m << "': " << message;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.name << ": raised a non-nabla exception: " << e.what();
    }
  }
}

constexpr int64_t kHuge = int64_t(1) << 62;
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinI64 = std::numeric_limits<int64_t>::min();

nb::Tensor m23() { return nb::ones({2, 3}); }
nb::Tensor i64(nb::NestedList values) { return nb::tensor(values, nb::kInt64); }
std::string dname(nb::DType t) { return std::string(nb::dtype_name(t)); }

// How the op table spells an op whose public name differs (a kernel variant of a public op).
std::string public_name(std::string_view table_name) {
  if (table_name == "div_floor" || table_name == "div_trunc") return "div";
  if (table_name == "gelu_tanh") return "gelu";
  return std::string(table_name);
}

// Inputs of `dtype` with which `op`'s default invocation is valid, index operands kept int64 / bool.
std::vector<nb::Tensor> sample_inputs(const nb::OpInfo& op, nb::DType dtype) {
  auto x = [&](nb::IntArrayRef s) { return nb::ones(s, dtype); };
  const std::string_view n = op.name;
  if (n == "mm" || n == "matmul") return {x({2, 2}), x({2, 2})};
  if (n == "bmm") return {x({2, 2, 2}), x({2, 2, 2})};
  if (n == "addmm") return {x({2, 2}), x({2, 2}), x({2, 2})};
  if (n == "dot" || n == "outer") return {x({3}), x({3})};
  if (n == "index_select" || n == "index") return {x({2, 3}), i64({1})};
  if (n == "gather") return {x({2, 3}), nb::zeros({2, 3}, nb::kInt64)};
  if (n == "scatter" || n == "scatter_add") return {x({2, 3}), nb::zeros({2, 3}, nb::kInt64), x({2, 3})};
  if (n == "masked_fill") return {x({2, 3}), nb::ones({2, 3}, nb::kBool)};
  if (n == "where") return {nb::ones({2, 3}, nb::kBool), x({2, 3}), x({2, 3})};
  std::vector<nb::Tensor> in;
  for (int i = 0; i < op.arity; ++i) in.push_back(x({2, 3}));
  return in;
}

nb::DType first_accepted(const nb::OpInfo& op) {
  for (int t = 0; t < nb::kNumDTypes; ++t)
    if (op.accepts(nb::DType(t))) return nb::DType(t);
  ADD_FAILURE() << op.name << " accepts no dtype";
  return nb::kFloat32;
}

}  // namespace

// Every op of the table, given undefined tensors (nabla::Tensor{}, a default-constructed handle) for all
// of its inputs, raises instead of dereferencing them.
TEST(BadInput, EveryOpRejectsUndefinedTensors) {
  std::vector<BadCall> table;
  for (const auto& op : nb::op_table()) {
    if (!op.invoke) continue;
    table.push_back({"undefined inputs to " + std::string(op.name),
                     [&op] { op.invoke(std::vector<nb::Tensor>(size_t(op.arity))); }, {"undefined"}});
  }
  EXPECT_GE(table.size(), 80u);
  expect_all_raise(table);
}

// Every op raises for each dtype its table entry leaves out, naming the op and the dtype, while the
// same call with an accepted dtype succeeds (so the error is about the dtype, not the shapes).
TEST(BadInput, EveryOpRejectsDTypesOutsideItsTable) {
  std::vector<BadCall> table;
  for (const auto& op : nb::op_table()) {
    if (!op.invoke) continue;
    const auto valid = sample_inputs(op, first_accepted(op));
    EXPECT_NO_THROW(op.invoke(valid)) << op.name << " with its sample inputs";
    for (int t = 0; t < nb::kNumDTypes; ++t) {
      const auto dtype = nb::DType(t);
      if (op.accepts(dtype)) continue;
      table.push_back({std::string(op.name) + " of " + dname(dtype),
                       [&op, dtype] { op.invoke(sample_inputs(op, dtype)); }, {public_name(op.name), dname(dtype)}});
    }
  }
  EXPECT_GE(table.size(), 40u);  // bool and integer inputs to the floating-only ops, at the least
  expect_all_raise(table);
}

// Every op that takes a dim range-checks it as PyTorch does ("Dimension out of range"), including the
// extreme int64 values, which must not overflow while being wrapped.
TEST(BadInput, EveryDimArgumentIsRangeChecked) {
  struct DimOp {
    std::string name;
    std::function<void(const nb::Tensor&, int64_t)> call;
    int64_t extra = 0;  // 1 where the op accepts one dim past the input's (unsqueeze, stack)
  };
  const nb::Tensor idx = nb::zeros({2, 3}, nb::kInt64);
  const std::vector<DimOp> ops = {
      {"sum", [](auto& x, int64_t d) { nb::sum(x, d); }},
      {"mean", [](auto& x, int64_t d) { nb::mean(x, d); }},
      {"prod", [](auto& x, int64_t d) { nb::prod(x, d); }},
      {"max", [](auto& x, int64_t d) { nb::max(x, d); }},
      {"min", [](auto& x, int64_t d) { nb::min(x, d); }},
      {"amax", [](auto& x, int64_t d) { nb::amax(x, d); }},
      {"amin", [](auto& x, int64_t d) { nb::amin(x, d); }},
      {"argmax", [](auto& x, int64_t d) { nb::argmax(x, d); }},
      {"argmin", [](auto& x, int64_t d) { nb::argmin(x, d); }},
      {"var", [](auto& x, int64_t d) { nb::var(x, d); }},
      {"std", [](auto& x, int64_t d) { nb::std(x, d); }},
      {"norm", [](auto& x, int64_t d) { nb::norm(x, 2, d); }},
      {"all", [](auto& x, int64_t d) { nb::all(x, d); }},
      {"any", [](auto& x, int64_t d) { nb::any(x, d); }},
      {"logsumexp", [](auto& x, int64_t d) { nb::logsumexp(x, d); }},
      {"cumsum", [](auto& x, int64_t d) { nb::cumsum(x, d); }},
      {"cumprod", [](auto& x, int64_t d) { nb::cumprod(x, d); }},
      {"softmax", [](auto& x, int64_t d) { nb::softmax(x, d); }},
      {"log_softmax", [](auto& x, int64_t d) { nb::log_softmax(x, d); }},
      {"index_select", [](auto& x, int64_t d) { nb::index_select(x, d, i64({0})); }},
      {"gather", [idx](auto& x, int64_t d) { nb::gather(x, d, idx); }},
      {"scatter", [idx](auto& x, int64_t d) { nb::scatter(x, d, idx, x); }},
      {"scatter_add", [idx](auto& x, int64_t d) { nb::scatter_add(x, d, idx, x); }},
      {"cat", [](auto& x, int64_t d) { nb::cat({x, x}, d); }},
      {"stack", [](auto& x, int64_t d) { nb::stack({x, x}, d); }, 1},
      {"flip", [](auto& x, int64_t d) { nb::flip(x, {d}); }},
      {"roll", [](auto& x, int64_t d) { x.roll(1, d); }},
      {"sort", [](auto& x, int64_t d) { nb::sort(x, d); }},
      {"argsort", [](auto& x, int64_t d) { nb::argsort(x, d); }},
      {"topk", [](auto& x, int64_t d) { nb::topk(x, 1, d); }},
      {"transpose", [](auto& x, int64_t d) { x.transpose(0, d); }},
      {"permute", [](auto& x, int64_t d) { x.permute({0, d}); }},
      {"flatten", [](auto& x, int64_t d) { x.flatten(d); }},
      {"unsqueeze", [](auto& x, int64_t d) { x.unsqueeze(d); }, 1},
      {"squeeze", [](auto& x, int64_t d) { x.squeeze(d); }},
      {"size", [](auto& x, int64_t d) { x.size(d); }},
      {"stride", [](auto& x, int64_t d) { x.stride(d); }},
      {"select", [](auto& x, int64_t d) { x.select(d, 0); }},
      {"narrow", [](auto& x, int64_t d) { x.narrow(d, 0, 1); }},
      {"slice", [](auto& x, int64_t d) { x.slice(d, 0, 1); }},
      {"unfold", [](auto& x, int64_t d) { x.unfold(d, 1, 1); }},
      {"diagonal", [](auto& x, int64_t d) { x.diagonal(0, 0, d); }},
      {"split", [](auto& x, int64_t d) { x.split(1, d); }},
      {"chunk", [](auto& x, int64_t d) { x.chunk(1, d); }},
      {"unbind", [](auto& x, int64_t d) { x.unbind(d); }},
      {"nn.functional.softmax", [](auto& x, int64_t d) { F::softmax(x, d); }},
      {"nn.functional.log_softmax", [](auto& x, int64_t d) { F::log_softmax(x, d); }},
  };
  // A table op of a dim-taking kind must have an entry above (or be listed as taking no dim; unique's
  // dim argument is not implemented and raises NotImplementedError for every dim).
  const std::set<std::string_view> takes_no_dim = {"matmul", "mm",    "bmm",     "addmm",      "dot",   "outer",
                                                   "masked_fill", "where", "index", "reshape", "contiguous", "unique"};
  for (const auto& op : nb::op_table()) {
    if (op.kind == nb::OpKind::kUnary || op.kind == nb::OpKind::kBinary || takes_no_dim.count(op.name)) continue;
    bool covered = false;
    for (const auto& d : ops) covered |= d.name == op.name;
    EXPECT_TRUE(covered) << "op '" << op.name << "' has no out-of-range dim case in test_bad_input.cpp";
  }

  std::vector<BadCall> table;
  const nb::Tensor x = m23();
  for (const auto& op : ops) {
    EXPECT_NO_THROW(op.call(x, -1)) << op.name << " with dim -1";
    const int64_t n = x.dim() + op.extra;
    for (int64_t bad : {n, -n - 1, kMaxI64, kMinI64}) {
      table.push_back({op.name + " dim " + std::to_string(bad), [&op, x, bad] { op.call(x, bad); },
                       {"Dimension out of range", "but got " + std::to_string(bad)}});
    }
  }
  expect_all_raise(table);
}

// Element-wise binary ops refuse shapes that do not broadcast, naming both shapes.
TEST(BadInput, EveryBinaryOpRejectsShapesThatDoNotBroadcast) {
  std::vector<BadCall> table;
  for (const auto& op : nb::op_table()) {
    if (op.kind != nb::OpKind::kBinary) continue;
    const nb::DType t = first_accepted(op);
    table.push_back({std::string(op.name) + " (2, 3) with (4, 5)",
                     [&op, t] { op.invoke({nb::ones({2, 3}, t), nb::ones({4, 5}, t)}); }, {"(2, 3)", "(4, 5)"}});
  }
  expect_all_raise(table);
}

TEST(BadInput, CreationRefusesImpossibleSizes) {
  expect_all_raise({
      {"zeros 2^62 x 4 overflows the byte count", [] { nb::zeros({kHuge, 4}); }, {"overflow", "4611686018427387904"}},
      {"empty 2^31^3 overflows numel", [] { nb::empty({int64_t(1) << 31, int64_t(1) << 31, int64_t(1) << 31}); },
       {"overflow", "2147483648"}},
      {"ones of int64 max elements", [] { nb::ones({kMaxI64}); }, {"overflow", "9223372036854775807"}},
      {"full of a negative size", [] { nb::full({3, -2}, 1.0); }, {"negative dimension -2"}},
      {"empty of 4 TiB", [] { nb::empty({int64_t(1) << 40}); }, {"out of memory"}},
      {"arange with a step of the wrong sign", [] { nb::arange(0, 5, -1); }, {"arange", "step"}},
      {"arange to infinity", [] { nb::arange(0, std::numeric_limits<double>::infinity()); }, {"arange"}},
      {"arange of 2^62 elements", [] { nb::arange(0, kHuge, 1); }, {"overflow"}},
      {"linspace of negative steps", [] { nb::linspace(0, 1, -1); }, {"linspace", "steps"}},
      {"eye of negative n", [] { nb::eye(-1); }, {"eye", "-1"}},
      {"eye of negative m", [] { nb::eye(2, -3); }, {"eye", "-3"}},
      {"full of 300 as uint8", [] { nb::full({2}, 300, nb::kUInt8); }, {"300", "uint8"}},
      {"full of NaN as int32", [] { nb::full({2}, std::nan(""), nb::kInt32); }, {"full", "int32", "overflow"}},
      {"full of 1e40 as float32", [] { nb::full({2}, 1e40, nb::kFloat32); }, {"full", "float32", "overflow"}},
      {"fill_ of -129 into int8", [] { nb::zeros({2}, nb::kInt8).fill_(-129); }, {"fill_", "-129", "int8"}},
      {"randperm of -1", [] { nb::randperm(-1); }, {"randperm", "-1"}},
      {"rand as int64", [] { nb::rand({2}, nb::kInt64); }, {"floating point", "int64"}},
      {"randn as int64", [] { nb::randn({2}, nb::kInt64); }, {"floating point", "int64"}},
      {"randint of a negative size", [] { nb::randint(0, 5, {-1}); }, {"negative dimension"}},
      {"bernoulli of p = 2", [] { nb::bernoulli(nb::full({2}, 2.0)); }, {"bernoulli", "[0, 1]"}},
      {"bernoulli of p = NaN", [] { nb::bernoulli(nb::full({2}, std::nan(""))); }, {"bernoulli", "[0, 1]"}},
      {"normal_ with std < 0", [] { nb::zeros({2}).normal_(0, -1); }, {"normal", "std"}},
      {"uniform_ with from > to", [] { nb::zeros({2}).uniform_(1, 0); }, {"uniform_", "from"}},
      {"random_ with from == to", [] { nb::zeros({2}).random_(5, 5); }, {"random_", "from"}},
      {"tensor of a ragged list", [] { nb::tensor({{{1, 2}}, {{3}}}); }, {"tensor"}},
      {"zeros on CUDA without a GPU", [] { nb::zeros({2}, nb::Device(nb::kCUDA)); }, {"CUDA"}},
      {"randn on CUDA without a GPU", [] { nb::randn({2}, nb::Device(nb::kCUDA)); }, {"CUDA"}},
      {"cuda() without a GPU", [] { m23().cuda(); }, {"CUDA"}},
      {"to cuda:1 without a GPU", [] { m23().to(nb::Device(nb::kCUDA, 1)); }, {"CUDA"}},
      {"pin_memory without CUDA", [] { m23().pin_memory(); }, {"pin_memory"}},
      {"device string 'gpu'", [] { nb::Device("gpu"); }, {"device type", "gpu"}},
  });
}

TEST(BadInput, ViewsCheckGeometry) {
  expect_all_raise({
      {"view with two -1", [] { m23().view({-1, -1}); }, {"view", "only one dimension can be inferred"}},
      {"view of a strided slice", [] { m23().slice(1, 0, 3, 2).view({4}); }, {"view", "reshape"}},
      {"view to 2^62 elements", [] { m23().view({kHuge, 4}); }, {"view"}},
      {"reshape of 0 elements with -1", [] { nb::zeros({0, 3}).reshape({-1, 0}); }, {"reshape", "-1"}},
      {"reshape with -2", [] { m23().reshape({-2, -3}); }, {"reshape", "-2"}},
      {"narrow past the end", [] { nb::ones({4}).narrow(0, 3, 2); }, {"narrow", "exceeds"}},
      {"narrow of negative length", [] { nb::ones({4}).narrow(0, 0, -1); }, {"narrow", "-1"}},
      {"unfold wider than the dim", [] { nb::ones({4}).unfold(0, 5, 1); }, {"unfold", "5"}},
      {"unfold with step 0", [] { nb::ones({4}).unfold(0, 2, 0); }, {"unfold", "step"}},
      {"slice with step 0", [] { nb::ones({4}).slice(0, 0, 4, 0); }, {"slice", "step"}},
      {"slice with a negative step", [] { nb::ones({4}).slice(0, 0, 4, -1); }, {"slice", "step"}},
      {"as_strided with a negative stride", [] { nb::ones({4}).as_strided({2}, {-1}); }, {"as_strided", "-1"}},
      {"as_strided past the storage", [] { nb::ones({4}).as_strided({3}, {2}); }, {"as_strided", "storage"}},
      {"as_strided whose extent overflows", [] { nb::ones({4}).as_strided({3}, {int64_t(1) << 62}); },
       {"as_strided", "overflow"}},
      {"as_strided to 2^62 x 4", [] { nb::ones({4}).as_strided({kHuge, 4}, {0, 1}); }, {"numel", "overflow"}},
      {"as_strided at a negative offset", [] { nb::ones({4}).as_strided({2}, {1}, -1); }, {"as_strided", "-1"}},
      {"as_strided with too few strides", [] { nb::ones({4}).as_strided({2, 2}, {1}); }, {"as_strided"}},
      {"diagonal of one dim twice", [] { m23().diagonal(0, 0, 0); }, {"diagonal", "identical"}},
      {"flatten with start after end", [] { nb::ones({2, 3, 4}).flatten(2, 1); }, {"flatten", "start_dim"}},
      {"permute with a repeated dim", [] { m23().permute({0, 0}); }, {"permute", "dim 0"}},
      {"permute of too few dims", [] { m23().permute({1}); }, {"permute"}},
      {"expand to -2", [] { m23().expand({2, -2}); }, {"expand", "-2"}},
      {"expand to fewer dims", [] { m23().expand({3}); }, {"expand", "number of sizes"}},
      {"expand a size-1 dim to -2", [] { nb::ones({1, 3}).expand({-2, 3}); }, {"expand", "-2"}},
      {"expand to 2^62 x 4", [] { nb::ones({4}).expand({kHuge, 4}); }, {"numel", "overflow"}},
      {"expand to 2^62 x 2^62", [] { nb::ones({1}).expand({kHuge, kHuge}); }, {"numel", "overflow"}},
      {"narrow whose end overflows", [] { nb::ones({4}).narrow(0, 2, kMaxI64); }, {"narrow", "exceeds"}},
      {"select on a 0-d tensor", [] { nb::tensor(1.0).select(0, 0); }, {"select", "0-d"}},
      {"select past the end", [] { m23().select(0, 2); }, {"select", "2"}},
      {"select at int64 min", [] { m23().select(0, kMinI64); }, {"select"}},
      {"operator[] past the end", [] { m23()[5]; }, {"5"}},
      {"split with size 0", [] { nb::ones({4}).split(0); }, {"split", "0"}},
      {"split with sizes not summing to the dim", [] { nb::ones({4}).split({1, 2}); }, {"split", "4"}},
      {"split with a negative size", [] { nb::ones({4}).split({5, -1}); }, {"split", "-1"}},
      {"chunk into 0", [] { nb::ones({4}).chunk(0); }, {"chunk", "0"}},
      {"flip of a repeated dim", [] { nb::ones({4}).flip({0, 0}); }, {"flip", "multiple"}},
      {"roll with more shifts than dims", [] { nb::ones({4}).roll({1, 2}, {0}); }, {"roll", "shifts"}},
      {"topk with negative k", [] { nb::topk(nb::ones({4}), -1); }, {"topk", "k"}},
      {"topk of an empty tensor", [] { nb::topk(nb::ones({0}), 1); }, {"topk", "k"}},
      {"max of an empty tensor", [] { nb::max(nb::ones({0})); }, {"max", "numel() == 0"}},
      {"argmax of an empty tensor", [] { nb::argmax(nb::ones({0})); }, {"argmax"}},
      {"min over an empty dim", [] { nb::min(nb::ones({0, 3}), 0); }, {"min", "non-zero size"}},
      {"amax over an empty dim", [] { nb::amax(nb::ones({0, 3}), 0); }, {"amax"}},
      {"copy_ of a larger source", [] { nb::ones({2}).copy_(m23()); }, {"(2,)", "(2, 3)"}},
      {"add_ into an expanded view", [] { nb::ones({2}).expand({3, 2}).add_(1); },
       {"add", "more than one element", "single memory location"}},
      {"fill_ of an expanded view", [] { nb::zeros({1}).expand({4}).fill_(2); }, {"fill_", "single memory location"}},
      {"item of a (2, 3) tensor", [] { m23().item(); }, {"item"}},
      {"data_ptr<double> of float32", [] { m23().data_ptr<double>(); }, {"float32"}},
      {"numpy() of a bfloat16 tensor", [] { nb::ones({2}, nb::kBFloat16).numpy(); }, {"numpy", "bfloat16"}},
  });
}

TEST(BadInput, IndexingChecksBoundsAndDTypes) {
  expect_all_raise({
      {"index -5 of size 4", [] { nb::ones({4}).index({i64({-5})}); }, {"-5", "size 4"}},
      {"index by int64 max", [] { nb::ones({4}).index({i64({kMaxI64})}); }, {"9223372036854775807"}},
      {"index by a float tensor", [] { nb::ones({4}).index({nb::tensor({1.0})}); }, {"long, byte or bool"}},
      {"integer index past the end", [] { m23().index({2}); }, {"2", "size 2"}},
      {"two ellipses", [] { m23().index({nb::Ellipsis, nb::Ellipsis}); }, {"ellipsis"}},
      {"index by a slice of step 0", [] { nb::ones({4}).index({nb::Slice(0, 4, 0)}); }, {"step"}},
      {"index_put_ of the wrong shape", [] { nb::zeros({4}).index_put_({i64({0, 1})}, nb::ones({3})); },
       {"shape mismatch", "(3,)"}},
      {"index_put_ past the end", [] { nb::zeros({4}).index_put_({i64({4})}, 1.0); }, {"4", "size 4"}},
      {"index_select by float", [] { nb::index_select(nb::ones({4}), 0, nb::tensor({1.0})); }, {"index_select", "int"}},
      {"index_select past the end", [] { nb::index_select(nb::ones({4}), 0, i64({4})); }, {"index_select", "4"}},
      {"index_select by a 2-D index", [] { nb::index_select(nb::ones({4}), 0, i64({{1}})); }, {"index_select"}},
      {"gather past the end", [] { nb::gather(m23(), 1, i64({{3}})); }, {"gather", "3"}},
      {"gather with an index of another rank", [] { nb::gather(m23(), 1, i64({1})); }, {"gather", "dimensions"}},
      {"gather with an index larger than the input", [] { nb::gather(m23(), 1, nb::zeros({3, 3}, nb::kInt64)); },
       {"gather"}},
      {"scatter past the end", [] { nb::scatter(nb::zeros({2, 3}), 1, i64({{3}}), nb::ones({1, 1})); },
       {"scatter", "3"}},
      {"scatter from another dtype",
       [] { nb::scatter(nb::zeros({2, 3}), 1, i64({{1}}), nb::ones({1, 1}, nb::kFloat64)); },
       {"scatter", "float64"}},
      {"scatter_add with a negative index", [] { nb::scatter_add(nb::zeros({2, 3}), 1, i64({{-1}}), nb::ones({1, 1})); },
       {"scatter_add", "-1"}},
      {"masked_fill with a mask of another shape", [] { nb::ones({2}).masked_fill(nb::ones({3}, nb::kBool), 1); },
       {"(2,)", "(3,)"}},
      {"masked_select with a mask of another shape", [] { nb::ones({2}).masked_select(nb::ones({3}, nb::kBool)); },
       {"(2,)", "(3,)"}},
      {"where with a float condition", [] { nb::where(nb::ones({2}), nb::ones({2}), nb::ones({2})); },
       {"where", "bool", "float32"}},
      {"where with shapes that do not broadcast", [] { nb::where(nb::ones({2}, nb::kBool), nb::ones({3}), nb::ones({2})); },
       {"(2,)", "(3,)"}},
      {"cat along a dim too many", [] { nb::cat({nb::ones({2}), nb::ones({2})}, 1); }, {"cat", "out of range"}},
      {"cat of other sizes", [] { nb::cat({m23(), nb::ones({2, 4})}, 0); }, {"cat", "4"}},
      {"stack of an empty list", [] { nb::stack({}); }, {"stack", "non-empty"}},
      {"cat with an undefined tensor", [] { nb::cat({m23(), nb::Tensor{}}); }, {"cat", "undefined"}},
      {"unique along an empty dim of a 0-d tensor", [] { nb::unique(nb::tensor(1.0), true, false, false, 1); },
       {"unique"}},
  });
}

TEST(BadInput, AutogradMisuseRaisesPyTorchsErrors) {
  expect_all_raise({
      {"requires_grad on int64", [] { nb::zeros({2}, nb::kInt64).requires_grad_(); }, {"floating point", "int64"}},
      {"requires_grad on bool", [] { nb::zeros({2}, nb::kBool).requires_grad_(); }, {"floating point", "bool"}},
      {"in-place on a leaf that requires grad", [] { nb::ones({2}).requires_grad_().add_(1); },
       {"leaf", "in-place"}},
      {"fill_ of a leaf that requires grad", [] { nb::ones({2}).requires_grad_().fill_(1); }, {"leaf", "in-place"}},
      {"backward twice",
       [] {
         auto y = (nb::ones({2}).requires_grad_() * 2).exp().sum();
         y.backward();
         y.backward();
       },
       {"backward through the graph a second time"}},
      {"backward of a non-scalar without a gradient", [] { (nb::ones({2}).requires_grad_() * 2).backward(); },
       {"scalar outputs"}},
      {"backward of a tensor without grad_fn", [] { nb::ones({2}).sum().backward(); }, {"does not require grad"}},
      {"backward with a gradient of another shape",
       [] { (nb::ones({2}).requires_grad_() * 2).backward(nb::ones({3})); }, {"(3,)", "(2,)"}},
      {"backward of an undefined tensor", [] { nb::Tensor{}.backward(); }, {"backward"}},
      {"grad of an unused input",
       [] {
         auto x = nb::ones({2}).requires_grad_(), unused = nb::ones({2}).requires_grad_();
         nb::autograd::grad({(x * 2).sum()}, {unused});
       },
       {"allow_unused"}},
      {"grad with respect to a tensor that does not require grad",
       [] {
         auto x = nb::ones({2}).requires_grad_();
         nb::autograd::grad({(x * 2).sum()}, {nb::ones({2})});
       },
       {"does not require grad"}},
      {"saved tensor modified in place",
       [] {
         auto x = nb::ones({2}).requires_grad_();
         auto y = x.exp();
         auto z = y.exp();
         y.add_(1);
         z.sum().backward();
       },
       {"modified by an inplace operation"}},
      {"retain_grad without requires_grad", [] { nb::ones({2}).retain_grad(); }, {"retain_grad", "requires_grad"}},
      {"register_hook without requires_grad",
       [] { nb::ones({2}).register_hook([](const nb::Tensor& g) { return g; }); }, {"hook", "require"}},
      {"a hook that changes the gradient's shape",
       [] {
         nb::Tensor x = nb::ones({2}).requires_grad_();
         x.register_hook([](const nb::Tensor&) { return nb::ones({3, 4}); });
         (x * 2).sum().backward();
       },
       {"hook has changed the size of value"}},
      {"a hook that changes the gradient's dtype",
       [] {
         nb::Tensor x = nb::ones({2}).requires_grad_();
         x.register_hook([](const nb::Tensor& g) { return g.to(nb::kFloat64); });
         (x * 2).sum().backward();
       },
       {"hook has changed the type of value"}},
      {"numpy() of a tensor that requires grad", [] { nb::ones({2}).requires_grad_().numpy(); },
       {"numpy", "detach"}},
      {"gradcheck of float32 inputs",
       [] {
         nb::autograd::gradcheck([](const std::vector<nb::Tensor>& in) { return std::vector<nb::Tensor>{in[0].exp()}; },
                                 {nb::ones({2}).requires_grad_()});
       },
       {"gradcheck", "float64"}},
  });
}

TEST(BadInput, NNLayersAndLossesCheckTheirInputs) {
  const nb::Tensor x4 = nb::ones({1, 3, 5, 5});
  expect_all_raise({
      {"linear of incompatible shapes", [] { F::linear(m23(), nb::ones({4, 5})); }, {"linear", "2, 3", "4, 5"}},
      {"linear of int64 input", [] { F::linear(nb::ones({2, 3}, nb::kInt64), nb::ones({4, 3})); },
       {"int64", "float32"}},
      {"linear with a bias of the wrong size", [] { F::linear(m23(), nb::ones({4, 3}), nb::ones({5})); },
       {"linear", "bias", "5"}},
      {"Linear with -1 in_features", [] { nb::nn::Linear(-1, 2); }, {"Linear", "-1"}},
      {"Linear forward of the wrong width", [] { nb::nn::Linear(4, 2).forward(m23()); }, {"linear", "2, 3", "2, 4"}},
      {"Linear forward of an undefined tensor", [] { nb::nn::Linear(4, 2).forward(nb::Tensor{}); }, {"linear", "defined"}},
      {"dropout with p = 1.5", [] { F::dropout(m23(), 1.5); }, {"dropout", "1.5"}},
      {"Dropout with p = -0.1", [] { nb::nn::Dropout(-0.1); }, {"dropout", "-0.1"}},
      {"embedding by float indices", [] { F::embedding(nb::ones({2}), nb::ones({3, 4})); }, {"embedding", "float32"}},
      {"embedding past the table", [] { F::embedding(i64({3}), nb::ones({3, 4})); }, {"index", "3"}},
      {"Embedding with padding_idx out of range", [] { nb::nn::Embedding(3, 4, 5); }, {"padding_idx"}},
      {"layer_norm of another trailing shape", [] { F::layer_norm(m23(), {4}); }, {"normalized_shape", "2, 3"}},
      {"batch_norm with 4 running means for 3 channels",
       [] { F::batch_norm(m23(), nb::zeros({4}), nb::ones({4})); }, {"running_mean", "4"}},
      {"batch_norm training on one value per channel",
       [] { F::batch_norm(nb::ones({1, 3}), nb::Tensor{}, nb::Tensor{}, {}, {}, true); }, {"more than 1 value per channel"}},
      {"BatchNorm1d of a 4-D input", [x4] { nb::nn::BatchNorm1d(3).forward(x4); }, {"2D or 3D"}},
      {"pad of odd length", [] { F::pad(m23(), {1}); }, {"pad", "padding length"}},
      {"pad of more dims than the input", [] { F::pad(m23(), {1, 1, 1, 1, 1, 1}); }, {"pad", "padding length"}},
      {"pad cropping everything", [] { F::pad(m23(), {-2, -2}); }, {"pad"}},
      {"conv2d of mismatched channels", [x4] { F::conv2d(x4, nb::ones({2, 4, 3, 3})); }, {"4 channels", "3 channels"}},
      {"conv2d with a kernel larger than the input", [] { F::conv2d(nb::ones({1, 1, 2, 2}), nb::ones({1, 1, 3, 3})); },
       {"Kernel size", "greater"}},
      {"conv2d with stride 0", [x4] { F::conv2d(x4, nb::ones({1, 3, 3, 3}), {}, 0); }, {"stride"}},
      {"conv2d with negative padding", [x4] { F::conv2d(x4, nb::ones({1, 3, 3, 3}), {}, 1, -1); }, {"padding"}},
      {"conv2d with groups not dividing the channels", [x4] { F::conv2d(x4, nb::ones({2, 1, 3, 3}), {}, 1, 0, 1, 3); },
       {"groups=3"}},
      {"conv2d of a 2-D input", [] { F::conv2d(nb::ones({5, 5}), nb::ones({1, 1, 3, 3})); }, {"conv2d", "5, 5"}},
      {"Conv2d with groups 2 for 3 channels", [] { nb::nn::Conv2d(3, 4, 3, 1, 0, 1, 2); }, {"in_channels", "groups"}},
      {"max_pool2d with padding over half the kernel", [] { F::max_pool2d(nb::ones({1, 1, 4, 4}), 2, std::nullopt, 2); },
       {"pad", "half of kernel size"}},
      {"max_pool2d with kernel 0", [] { F::max_pool2d(nb::ones({1, 1, 4, 4}), 0); }, {"max_pool2d"}},
      {"max_pool2d with an output of size 0", [] { F::max_pool2d(nb::ones({1, 1, 2, 2}), 3); }, {"too small"}},
      {"mse_loss of shapes that do not broadcast", [] { F::mse_loss(m23(), nb::ones({4, 5})); }, {"(2, 3)", "(4, 5)"}},
      {"mse_loss with reduction 'avg'", [] { F::mse_loss(m23(), m23(), "avg"); }, {"avg", "reduction"}},
      {"l1_loss of an undefined target", [] { F::l1_loss(m23(), nb::Tensor{}); }, {"undefined"}},
      {"nll_loss of float targets", [] { F::nll_loss(m23(), nb::ones({2})); }, {"int64", "float32"}},
      {"nll_loss with a target past the classes", [] { F::nll_loss(m23(), i64({0, 3})); }, {"Target 3 is out of bounds"}},
      {"nll_loss with another batch size", [] { F::nll_loss(m23(), i64({0, 1, 2})); }, {"batch_size (2)", "(3)"}},
      {"nll_loss with 4 weights for 3 classes", [] { F::nll_loss(m23(), i64({0, 1}), nb::ones({4})); }, {"weight", "3"}},
      {"cross_entropy with target -5", [] { F::cross_entropy(m23(), i64({0, -5})); }, {"Target -5 is out of bounds"}},
      {"cross_entropy with label_smoothing 1.5", [] { F::cross_entropy(m23(), i64({0, 1}), {}, -100, "mean", 1.5); },
       {"label_smoothing", "1.5"}},
      {"cross_entropy with probabilities of another shape", [] { F::cross_entropy(m23(), nb::ones({2, 4})); },
       {"cross_entropy", "[2, 4]"}},
      {"CrossEntropyLoss of a 0-d input", [] { nb::nn::CrossEntropyLoss()(nb::tensor(1.0), i64({0})); },
       {"cross_entropy"}},
      {"binary_cross_entropy of inputs above 1", [] { F::binary_cross_entropy(nb::full({2}, 2.0), nb::ones({2})); },
       {"between 0 and 1"}},
      {"binary_cross_entropy of another target size", [] { F::binary_cross_entropy(nb::full({2}, 0.5), nb::ones({3})); },
       {"binary_cross_entropy", "target size"}},
      {"binary_cross_entropy_with_logits of another target size",
       [] { F::binary_cross_entropy_with_logits(nb::ones({2}), nb::ones({3})); },
       {"binary_cross_entropy_with_logits", "Target size"}},
      {"Sequential index past the end", [] { nb::nn::Sequential{std::make_shared<nb::nn::ReLU>()}[5]; },
       {"Sequential", "5"}},
      {"Module::forward not overridden", [] { nb::nn::Module().forward(m23()); }, {"forward"}},
      {"register_parameter with a dotted name", [] { nb::nn::Module().register_parameter("a.b", nb::ones({2})); },
       {"a.b", "."}},
      {"load_state_dict of a mis-shaped weight",
       [] {
         nb::nn::Linear layer(3, 2);
         nb::StateDict sd = layer.state_dict();
         sd.insert("weight", nb::zeros({5, 5}));
         layer.load_state_dict(sd);
       },
       {"weight", "5, 5", "2, 3"}},
      {"Softmax module over dim 3", [] { nb::nn::Softmax(3).forward(m23()); }, {"Dimension out of range"}},
      {"kaiming_uniform_ of a 1-D tensor", [] { nb::nn::init::kaiming_uniform_(nb::ones({3})); },
       {"fewer than 2 dimensions"}},
      {"calculate_gain of 'foo'", [] { nb::nn::init::calculate_gain("foo"); }, {"nonlinearity", "foo"}},
      {"kaiming_uniform_ with mode 'foo'", [] { nb::nn::init::kaiming_uniform_(nb::ones({3, 3}), 0, "foo"); },
       {"Mode foo not supported"}},
      {"clip_grad_norm_ of an infinite norm",
       [] {
         auto p = nb::ones({1}).requires_grad_();
         p.mutable_grad() = nb::full({1}, std::numeric_limits<double>::infinity());
         nb::nn::utils::clip_grad_norm_(p, 1.0, 2, true);
       },
       {"non-finite"}},
  });
}

// Every nn::functional entry point, given an undefined tensor where a defined one is required, raises
// naming itself instead of dereferencing it.
TEST(BadInput, NNFunctionsRejectUndefinedTensors) {
  const nb::Tensor u, x = m23(), x4 = nb::ones({1, 1, 3, 3}), w33 = nb::ones({3, 3}), idx = i64({0, 1});
  expect_all_raise({
      {"relu", [&] { F::relu(u); }, {"relu"}},
      {"gelu", [&] { F::gelu(u); }, {"gelu"}},
      {"sigmoid", [&] { F::sigmoid(u); }, {"sigmoid"}},
      {"tanh", [&] { F::tanh(u); }, {"tanh"}},
      {"softmax", [&] { F::softmax(u, 0); }, {"softmax"}},
      {"log_softmax", [&] { F::log_softmax(u, 0); }, {"log_softmax"}},
      {"linear without weight", [&] { F::linear(x, u); }, {"linear"}},
      {"dropout", [&] { F::dropout(u, 0.5); }, {"dropout"}},
      {"flatten", [&] { F::flatten(u); }, {"flatten"}},
      {"embedding of undefined indices", [&] { F::embedding(u, w33); }, {"embedding"}},
      {"embedding without weight", [&] { F::embedding(idx, u); }, {"embedding"}},
      {"layer_norm", [&] { F::layer_norm(u, {3}); }, {"layer_norm"}},
      {"batch_norm", [&] { F::batch_norm(u, nb::zeros({3}), nb::ones({3})); }, {"batch_norm"}},
      {"pad", [&] { F::pad(u, {1, 1}); }, {"pad"}},
      {"conv2d of an undefined input", [&] { F::conv2d(u, x4); }, {"conv2d"}},
      {"conv2d without weight", [&] { F::conv2d(x4, u); }, {"conv2d"}},
      {"max_pool2d", [&] { F::max_pool2d(u, 2); }, {"max_pool2d"}},
      {"mse_loss of an undefined input", [&] { F::mse_loss(u, x); }, {"mse_loss"}},
      {"l1_loss of an undefined input", [&] { F::l1_loss(u, x); }, {"l1_loss"}},
      {"nll_loss of an undefined input", [&] { F::nll_loss(u, idx); }, {"nll_loss"}},
      {"nll_loss of an undefined target", [&] { F::nll_loss(x, u); }, {"nll_loss"}},
      {"cross_entropy of an undefined input", [&] { F::cross_entropy(u, idx); }, {"cross_entropy"}},
      {"cross_entropy of an undefined target", [&] { F::cross_entropy(x, u); }, {"cross_entropy"}},
      {"binary_cross_entropy of an undefined input", [&] { F::binary_cross_entropy(u, x); }, {"binary_cross_entropy"}},
      {"binary_cross_entropy_with_logits of an undefined target",
       [&] { F::binary_cross_entropy_with_logits(x, u); }, {"binary_cross_entropy_with_logits"}},
      {"kaiming_uniform_ of an undefined tensor", [&] { nb::nn::init::kaiming_uniform_(u); }, {"kaiming_uniform_"}},
  });
}

TEST(BadInput, OptimizersValidateTheirOptions) {
  auto param = [] { return nb::ones({2}).requires_grad_(); };
  namespace optim = nb::optim;
  expect_all_raise({
      {"SGD without lr", [&] { optim::SGD({param()}, optim::SGDOptions{}); }, {"lr"}},
      {"SGD with lr -1", [&] { optim::SGD({param()}, -1.0); }, {"Invalid learning rate: -1"}},
      {"SGD nesterov without momentum", [&] { optim::SGD({param()}, optim::SGDOptions{.lr = 0.1, .nesterov = true}); },
       {"Nesterov momentum requires a momentum and zero dampening"}},
      {"SGD with negative momentum", [&] { optim::SGD({param()}, optim::SGDOptions{.lr = 0.1, .momentum = -1}); },
       {"momentum"}},
      {"Adam with beta1 = 1", [&] { optim::Adam({param()}, optim::AdamOptions{.betas = {1.0, 0.9}}); },
       {"Invalid beta parameter at index 0"}},
      {"Adam with eps -1", [&] { optim::Adam({param()}, optim::AdamOptions{.eps = -1}); }, {"Invalid epsilon value"}},
      {"AdamW with weight_decay -1", [&] { optim::AdamW({param()}, optim::AdamWOptions{.weight_decay = -1}); },
       {"weight_decay"}},
      {"RMSprop with alpha -1", [&] { optim::RMSprop({param()}, optim::RMSpropOptions{.alpha = -1}); },
       {"Invalid alpha value"}},
      {"SGD of a non-leaf tensor", [&] { optim::SGD({param() * 2}, 0.1); }, {"non-leaf"}},
      {"SGD of no parameters", [&] { optim::SGD({}, 0.1); }, {"empty parameter list"}},
      {"SGD of an undefined tensor", [&] { optim::SGD({nb::Tensor{}}, 0.1); }, {"undefined"}},
      {"a parameter in two groups",
       [&] {
         auto p = param();
         optim::SGD(std::vector<optim::ParamGroup>{optim::ParamGroup({p}), optim::ParamGroup({p})},
                    optim::SGDOptions{.lr = 0.1});
       },
       {"more than one parameter group"}},
      {"Adam options read as SGD's",
       [&] {
         optim::Adam adam({param()});
         adam.param_groups()[0].options_as<optim::SGDOptions>();
       },
       {"options_as", "AdamOptions"}},
      {"load_state_dict of an unknown key",
       [&] {
         optim::SGD sgd({param()}, 0.1);
         nb::StateDict sd = sgd.state_dict();
         sd.insert("bogus", nb::zeros({1}));
         sgd.load_state_dict(sd);
       },
       {"bogus"}},
      {"StepLR with step_size 0",
       [&] {
         optim::SGD sgd({param()}, 0.1);
         optim::lr_scheduler::StepLR(sgd, 0);
       },
       {"step_size"}},
      {"CosineAnnealingLR with T_max 0",
       [&] {
         optim::SGD sgd({param()}, 0.1);
         optim::lr_scheduler::CosineAnnealingLR(sgd, 0);
       },
       {"T_max"}},
  });
}

TEST(BadInput, DataAndFilesRejectBadArguments) {
  namespace data = nb::data;
  const auto dir = std::filesystem::temp_directory_path() / ("nabla_bad_input_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string garbage = (dir / "garbage.safetensors").string();
  {
    std::FILE* f = std::fopen(garbage.c_str(), "wb");
    ASSERT_TRUE(f);
    const char bytes[] = "\xff\xff\xff\xff\xff\xff\xff\x7f{";  // a header length of 2^63 - 1
    std::fwrite(bytes, 1, sizeof bytes - 1, f);
    std::fclose(f);
  }
  auto dataset = [] { return std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{nb::ones({4, 2})}); };
  expect_all_raise({
      {"TensorDataset of different lengths", [] { data::TensorDataset({nb::ones({2}), nb::ones({3})}); },
       {"TensorDataset", "size mismatch"}},
      {"TensorDataset of an undefined tensor", [] { data::TensorDataset({nb::Tensor{}}); }, {"TensorDataset"}},
      {"TensorDataset of a 0-d tensor", [] { data::TensorDataset({nb::tensor(1.0)}); }, {"TensorDataset"}},
      {"TensorDataset get past the end", [&] { dataset()->get(4); }, {"index", "4"}},
      {"Subset of an index past the end", [&] { data::Subset(dataset(), {5}); }, {"index", "5"}},
      {"random_split with lengths not summing to the size", [&] { data::random_split(dataset(), {1, 2}); },
       {"random_split", "Sum of input lengths"}},
      {"random_split with a negative length", [&] { data::random_split(dataset(), {5, -1}); }, {"random_split"}},
      {"random_split_fractions not summing to 1", [&] { data::random_split_fractions(dataset(), {0.5, 0.2}); },
       {"random_split"}},
      {"DataLoader with batch_size 0", [&] { data::DataLoader(dataset(), {.batch_size = 0}); },
       {"batch_size should be a positive integer value, but got batch_size=0"}},
      {"default_collate of different shapes", [] { data::default_collate({{nb::ones({2})}, {nb::ones({3})}}); },
       {"stack"}},
      {"load of a missing file", [&] { nb::load((dir / "missing.safetensors").string()); }, {"load", "missing"}},
      {"load of a header claiming 2^63 bytes", [&] { nb::load(garbage); }, {"load", "garbage.safetensors"}},
      {"save into a missing directory", [&] { nb::save({}, (dir / "no" / "such.safetensors").string()); },
       {"save", "no"}},
      {"save of an undefined tensor",
       [&] {
         nb::StateDict sd;
         sd.insert("w", nb::Tensor{});
         nb::save(sd, (dir / "undefined.safetensors").string());
       },
       {"w"}},
      {"read_idx of a missing file", [&] { nb::read_idx((dir / "missing.idx").string()); }, {"missing.idx"}},
      {"read_idx of a safetensors file", [&] { nb::read_idx(garbage); }, {"garbage.safetensors"}},
      {"np::load of a missing file", [&] { nb::np::load((dir / "missing.npy").string()); }, {"missing.npy"}},
      {"np::load of a safetensors file", [&] { nb::np::load(garbage); }, {"garbage.safetensors"}},
      {"state_dict at a missing key", [] { nb::StateDict().at("w"); }, {"w"}},
  });
  std::filesystem::remove_all(dir);
}

TEST(BadInput, NumPyArraysRaiseWhereNumPyDoes) {
  namespace np = nb::np;
  auto a23 = [] { return np::ones({2, 3}); };
  expect_all_raise({
      {"dot of (2, 3) and (2, 3)", [&] { np::dot(a23(), a23()); }, {"(2,3)", "not aligned"}},
      {"matmul of a 0-d array", [&] { np::matmul(np::array(1.0), a23()); }, {"matmul"}},
      {"matmul of mismatched inner dims", [&] { np::matmul(a23(), a23()); }, {"matmul", "3", "2"}},
      {"add of shapes that do not broadcast", [&] { a23() + np::ones({4}); }, {"could not be broadcast", "(2,3)", "(4,)"}},
      {"bitwise_and of floats", [&] { np::bitwise_and(a23(), a23()); }, {"bitwise_and", "not supported for the input types"}},
      {"reshape to another size", [&] { a23().reshape({4}); }, {"reshape", "(4,)"}},
      {"reshape with two -1", [&] { a23().reshape({-1, -1}); }, {"reshape", "one unknown dimension"}},
      {"transpose with a repeated axis", [&] { a23().transpose({0, 0}); }, {"transpose", "repeated axis"}},
      {"transpose with axis 5", [&] { a23().transpose({0, 5}); }, {"axis 5 is out of bounds"}},
      {"transpose with too few axes", [&] { a23().transpose({0}); }, {"transpose"}},
      {"index past the end", [&] { a23()[2]; }, {"index 2 is out of bounds", "size 2"}},
      {"sum over axis 5", [&] { a23().sum(5); }, {"axis 5 is out of bounds for array of dimension 2"}},
      {"max of an empty array", [] { np::max(np::zeros({0})); }, {"zero-size array", "maximum"}},
      {"argmin of an empty array", [] { np::argmin(np::zeros({0})); }, {"argmin", "empty"}},
      {"array of a ragged list", [] { np::array({{1, 2}, {3}}); }, {"inhomogeneous"}},
      {"arange with step 0", [] { np::arange(0, 5, 0); }, {"arange"}},
      {"zeros of a negative size", [] { np::zeros({-1}); }, {"negative dimensions are not allowed"}},
      {"zeros of 2^62 x 4 float64", [] { np::zeros({kHuge, 4}); }, {"overflow"}},
      {"astype to bfloat16", [&] { a23().astype(nb::kBFloat16); }, {"bfloat16"}},
      {"ndarray of a bfloat16 tensor", [] { np::ndarray(nb::ones({2}, nb::kBFloat16)); }, {"bfloat16"}},
      {"ndarray of an undefined tensor", [] { np::ndarray(nb::Tensor{}); }, {"undefined"}},
      {"index_put of the wrong shape", [&] { a23().index_put({0}, np::ones({4})); }, {"(4,)", "(3,)"}},
      {"Loaded npz read as an array", [] { np::Loaded(np::NpzFile{}).array(); }, {"npz"}},
      {"NpzFile member that is missing", [] { np::NpzFile{}["x"]; }, {"x"}},
  });
}

// The other side of the fill checks: what PyTorch 1.13 accepts (torch.full((1,), v, dtype=...)).
TEST(BadInput, FillValuesPyTorchAcceptsStillWork) {
  EXPECT_EQ(nb::full({1}, -1, nb::kUInt8).item<uint8_t>(), 255);  // a negative integer wraps
  EXPECT_EQ(nb::full({1}, 2.5, nb::kUInt8).item<uint8_t>(), 2);
  EXPECT_TRUE(std::isinf(nb::full({1}, std::numeric_limits<double>::infinity()).item<float>()));
  EXPECT_TRUE(std::isnan(nb::full({1}, std::nan(""), nb::kFloat16).item<float>()));
  EXPECT_EQ(nb::full({1}, 65504, nb::kFloat16).item<float>(), 65504.0f);
  EXPECT_EQ(nb::full({1}, -128, nb::kInt8).item<int8_t>(), -128);
  EXPECT_EQ(nb::full({1}, uint64_t(1) << 63, nb::kUInt64).item<uint64_t>(), uint64_t(1) << 63);
}
