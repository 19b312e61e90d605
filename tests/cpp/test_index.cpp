// Indexing against PyTorch: t.index / index_put_ (Python's t[...] and t[...] = v), index_select,
// gather, scatter, scatter_add, masked_fill, masked_select, nonzero, and their errors.
#include <cmath>
#include <functional>

#include "oracle.hpp"

namespace nb = nabla;
using nb::Ellipsis;
using nb::None;
using nb::Slice;

namespace {

const oracle::Tolerance kExact{0, 0};

// The inputs every indexing case sees, bound to a..h in the torch expressions.
struct Inputs {
  nb::Tensor a = oracle::random_tensor({4, 5, 6}, nb::kFloat32, 11);  // the indexed tensor
  nb::Tensor b = oracle::random_tensor({3}, nb::kInt64, 12, -4, 4);     // indexes dim 0
  nb::Tensor c = oracle::random_tensor({2, 3}, nb::kInt64, 13, -5, 5);  // indexes dim 1, broadcasts with b
  nb::Tensor d = oracle::random_tensor({2, 1}, nb::kInt64, 14, -6, 6);  // indexes dim 2
  nb::Tensor e = oracle::random_tensor({4, 5}, nb::kBool, 15);          // mask over dims 0, 1
  nb::Tensor f = oracle::random_tensor({6}, nb::kBool, 16);             // mask over dim 2
  nb::Tensor g = oracle::random_tensor({4, 5, 6}, nb::kBool, 17);       // mask over all dims
  nb::Tensor h = nb::tensor(2);                                         // 0-d int64
  std::vector<nb::Tensor> list() const { return {a, b, c, d, e, f, g, h}; }
};

struct Case {
  const char* expr;  // a[...] in Python
  std::function<nb::Tensor(const Inputs&)> fn;
};

bool same_storage(const nb::Tensor& x, const nb::Tensor& y) { return x.impl()->storage() == y.impl()->storage(); }

// Basic indexing: only ints, slices, None, Ellipsis, bools and 0-d int tensors; a[True] and
// a[False] are advanced in PyTorch too (an index tensor on a new axis), so they copy.
const std::vector<Case>& basic_cases() {
  static const std::vector<Case> cases = {
      {"a[1]", [](const Inputs& in) { return in.a.index({1}); }},
      {"a[-1]", [](const Inputs& in) { return in.a.index({-1}); }},
      {"a[1, 2]", [](const Inputs& in) { return in.a.index({1, 2}); }},
      {"a[1, -2, 3]", [](const Inputs& in) { return in.a.index({1, -2, 3}); }},
      {"a[1:3]", [](const Inputs& in) { return in.a.index({Slice(1, 3)}); }},
      {"a[:, 1:]", [](const Inputs& in) { return in.a.index({Slice(), Slice(1, None)}); }},
      {"a[::2]", [](const Inputs& in) { return in.a.index({Slice(None, None, 2)}); }},
      {"a[1::2, :, -3:]", [](const Inputs& in) { return in.a.index({Slice(1, None, 2), Slice(), Slice(-3, None)}); }},
      {"a[-10:10]", [](const Inputs& in) { return in.a.index({Slice(-10, 10)}); }},
      {"a[3:1]", [](const Inputs& in) { return in.a.index({Slice(3, 1)}); }},
      {"a[:, -4:-1:2]", [](const Inputs& in) { return in.a.index({Slice(), Slice(-4, -1, 2)}); }},
      {"a[None]", [](const Inputs& in) { return in.a.index({None}); }},
      {"a[:, None, 2]", [](const Inputs& in) { return in.a.index({Slice(), None, 2}); }},
      {"a[..., 1]", [](const Inputs& in) { return in.a.index({Ellipsis, 1}); }},
      {"a[1, ...]", [](const Inputs& in) { return in.a.index({1, Ellipsis}); }},
      {"a[..., None]", [](const Inputs& in) { return in.a.index({Ellipsis, None}); }},
      {"a[None, ..., None, 0]", [](const Inputs& in) { return in.a.index({None, Ellipsis, None, 0}); }},
      {"a[...]", [](const Inputs& in) { return in.a.index({Ellipsis}); }},
      {"a[1, ..., 2, 3]", [](const Inputs& in) { return in.a.index({1, Ellipsis, 2, 3}); }},
      {"a[h]", [](const Inputs& in) { return in.a.index({in.h}); }},
      {"a[:, h, 1:]", [](const Inputs& in) { return in.a.index({Slice(), in.h, Slice(1, None)}); }},
      {"a[0, 1:4:2, ::3]", [](const Inputs& in) { return in.a.index({0, Slice(1, 4, 2), Slice(None, None, 3)}); }},
      {"a[:, :, 5]", [](const Inputs& in) { return in.a.index({Slice(), Slice(), 5}); }},
      {"a.T[2, 1:]", [](const Inputs& in) { return in.a.T().index({2, Slice(1, None)}); }},
  };
  return cases;
}

const std::vector<Case>& advanced_cases() {
  static const std::vector<Case> cases = {
      {"a[b]", [](const Inputs& in) { return in.a.index({in.b}); }},
      {"a[b, c]", [](const Inputs& in) { return in.a.index({in.b, in.c}); }},
      {"a[b, c, d]", [](const Inputs& in) { return in.a.index({in.b, in.c, in.d}); }},
      {"a[:, c]", [](const Inputs& in) { return in.a.index({Slice(), in.c}); }},
      {"a[1:, c]", [](const Inputs& in) { return in.a.index({Slice(1, None), in.c}); }},
      {"a[b, :, d]", [](const Inputs& in) { return in.a.index({in.b, Slice(), in.d}); }},
      {"a[b, 1:3, d]", [](const Inputs& in) { return in.a.index({in.b, Slice(1, 3), in.d}); }},
      {"a[1, c, d]", [](const Inputs& in) { return in.a.index({1, in.c, in.d}); }},
      {"a[..., d]", [](const Inputs& in) { return in.a.index({Ellipsis, in.d}); }},
      {"a[None, b, None]", [](const Inputs& in) { return in.a.index({None, in.b, None}); }},
      {"a[b, None, :, d]", [](const Inputs& in) { return in.a.index({in.b, None, Slice(), in.d}); }},
      {"a[:, c, c]", [](const Inputs& in) { return in.a.index({Slice(), in.c, in.c}); }},
      {"a[b[None], ...]", [](const Inputs& in) { return in.a.index({in.b.unsqueeze(0), Ellipsis}); }},
      {"a[b[:0]]", [](const Inputs& in) { return in.a.index({in.b.slice(0, 0, 0)}); }},
      {"a[b, True]", [](const Inputs& in) { return in.a.index({in.b, true}); }},
      {"a[True]", [](const Inputs& in) { return in.a.index({true}); }},
      {"a[False, ..., None]", [](const Inputs& in) { return in.a.index({false, Ellipsis, None}); }},
      {"a[1, 1, 1, None, True, False]", [](const Inputs& in) { return in.a.index({1, 1, 1, None, true, false}); }},
      {"a[:, torch.tensor(True), c[0]]",
       [](const Inputs& in) { return in.a.index({Slice(), nb::tensor(true), in.c.select(0, 0)}); }},
      {"a[e]", [](const Inputs& in) { return in.a.index({in.e}); }},
      {"a[g]", [](const Inputs& in) { return in.a.index({in.g}); }},
      {"a[:, :, f]", [](const Inputs& in) { return in.a.index({Slice(), Slice(), in.f}); }},
      {"a[1, :, f]", [](const Inputs& in) { return in.a.index({1, Slice(), in.f}); }},
      {"a[0, e[0]]", [](const Inputs& in) { return in.a.index({0, in.e.select(0, 0)}); }},
      {"a[..., f, None]", [](const Inputs& in) { return in.a.index({Ellipsis, in.f, None}); }},
      {"a[torch.zeros(4, 5, dtype=torch.bool)]",
       [](const Inputs& in) { return in.a.index({nb::zeros({4, 5}, nb::kBool)}); }},
      {"a[e.to(torch.uint8)]", [](const Inputs& in) { return in.a.index({in.e.to(nb::kUInt8)}); }},
      {"a.T[b]", [](const Inputs& in) { return in.a.T().index({in.b}); }},
      {"a[b][:, c]", [](const Inputs& in) { return in.a.index({in.b}).index({Slice(), in.c}); }},
      {"a[::2, c, ::3]",
       [](const Inputs& in) { return in.a.index({Slice(None, None, 2), in.c, Slice(None, None, 3)}); }},
  };
  return cases;
}

template <typename E, typename F>
void expect_error(F&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error raised; expected one containing \"" << needle << "\"";
  } catch (const E& err) {
    EXPECT_NE(std::string(err.what()).find(needle), std::string::npos) << err.what();
  } catch (const nb::Error& err) {
    ADD_FAILURE() << "wrong error kind: " << err.what();
  }
}

}  // namespace

TEST(Index, BasicIndexingIsAViewAndMatchesTorch) {
  Inputs in;
  for (const Case& c : basic_cases()) {
    SCOPED_TRACE(c.expr);
    nb::Tensor r = c.fn(in);
    EXPECT_CLOSE(r, oracle::eval(c.expr, in.list()).value(), kExact);
    EXPECT_TRUE(same_storage(r, in.a));
  }
  nb::Tensor v = in.a.index({1, Slice(2, None)});
  EXPECT_EQ(v.data_ptr(), static_cast<char*>(in.a.data_ptr()) + (1 * 30 + 2 * 6) * sizeof(float));
}

TEST(Index, AdvancedIndexingCopiesAndMatchesTorch) {
  Inputs in;
  for (const Case& c : advanced_cases()) {
    SCOPED_TRACE(c.expr);
    nb::Tensor r = c.fn(in);
    EXPECT_CLOSE(r, oracle::eval(c.expr, in.list()).value(), kExact);
    EXPECT_FALSE(same_storage(r, in.a));
  }
}

TEST(Index, DtypesAndNonContiguousInputs) {
  Inputs in;
  const std::vector<Case> cases = {advanced_cases()[1], advanced_cases()[3], advanced_cases()[5],
                                   advanced_cases()[19], advanced_cases()[20], basic_cases()[7]};
  uint64_t seed = 100;
  for (nb::DType dt : {nb::kBool, nb::kUInt8, nb::kInt8, nb::kInt16, nb::kInt32, nb::kInt64, nb::kFloat16,
                       nb::kBFloat16, nb::kFloat64, nb::kUInt16}) {
    for (bool strided : {false, true}) {
      Inputs t = in;
      t.a = oracle::random_tensor({4, 5, 6}, dt, ++seed, -50, 50);
      if (strided) {
        t.a = oracle::strided_copy(t.a, seed);
        t.b = oracle::strided_copy(t.b, seed + 1);
        t.e = oracle::strided_copy(t.e, seed);
      }
      for (const Case& c : cases) {
        SCOPED_TRACE(std::string(nb::dtype_name(dt)) + (strided ? " strided " : " ") + c.expr);
        if (dt == nb::kUInt16) {  // torch 1.13 lacks uint16: index the same values as int64 there
          Inputs wide = t;
          wide.a = t.a.to(nb::kInt64);
          EXPECT_CLOSE(c.fn(t), oracle::eval(c.expr, wide.list()).value().to(nb::kUInt16), kExact);
          continue;
        }
        EXPECT_CLOSE(c.fn(t), oracle::eval(c.expr, t.list()).value(), kExact);
      }
    }
  }
}

TEST(Index, LargeGatherAndMaskMatchTorch) {
  // Big enough to split across threads and across several nonzero blocks.
  nb::Tensor a = oracle::random_tensor({200, 400}, nb::kFloat32, 21);
  nb::Tensor idx = oracle::random_tensor({300}, nb::kInt64, 22, -200, 200);
  nb::Tensor mask = oracle::random_tensor({200, 400}, nb::kBool, 23);
  EXPECT_CLOSE(a.index({idx}), oracle::eval("a[b]", {a, idx}).value(), kExact);
  EXPECT_CLOSE(a.index({mask}), oracle::eval("a[b]", {a, mask}).value(), kExact);
  EXPECT_CLOSE(a.t().index({mask.t()}), oracle::eval("a.t()[b.t()]", {a, mask}).value(), kExact);
  EXPECT_CLOSE(a.masked_select(mask), oracle::eval("a.masked_select(b)", {a, mask}).value(), kExact);
  EXPECT_CLOSE(mask.nonzero(), oracle::eval("a.nonzero()", {mask}).value(), kExact);
}

TEST(Index, WritesThroughBasicViewsAreVisible) {
  Inputs in;
  nb::Tensor x = in.a.clone();
  nb::Tensor v = x.index({Slice(1, None), None, Ellipsis, 2});
  v.fill_(7.0);
  EXPECT_CLOSE(x, oracle::eval("(a[1:, None, ..., 2].fill_(7.0), a)[1]", {in.a}).value(), kExact);
  nb::Tensor y = in.a.clone();
  y.index({0}).index_put_({Slice(), in.f}, -3.0);
  EXPECT_CLOSE(y, oracle::eval("(a[0].__setitem__((slice(None), f), -3.0), a)[1]", in.list()).value(), kExact);
  uint32_t version = y.impl()->storage()->version();
  y.index_put_({in.e}, 1.0);
  EXPECT_GT(y.impl()->storage()->version(), version);
}

TEST(Index, IndexPutMatchesTorch) {
  Inputs in;
  nb::Tensor bp = nb::tensor({2, -1, 0});                    // distinct rows, so tensor values never collide
  nb::Tensor cp = nb::tensor({{0, 1, -1}, {2, 3, -5}});      // with bp: six distinct (row, col) pairs
  nb::Tensor row = oracle::random_tensor({6}, nb::kFloat32, 31);
  nb::Tensor block = oracle::random_tensor({3, 5, 6}, nb::kFloat32, 32);
  nb::Tensor cols = oracle::random_tensor({2, 3, 5}, nb::kFloat32, 33);
  nb::Tensor ones_lead = oracle::random_tensor({1, 1, 6}, nb::kFloat32, 34);
  nb::Tensor grid = oracle::random_tensor({3, 6}, nb::kFloat32, 35);
  // Python keys use the inputs a..h and i=bp, j=cp, k=row, l=block, m=cols, n=ones_lead, o=grid.
  struct PutCase {
    const char* key;
    const char* value;
    std::function<void(nb::Tensor&, const Inputs&)> put;
  };
  const std::vector<PutCase> cases = {
      {"1", "5.0", [&](nb::Tensor& t, const Inputs&) { t.index_put_({1}, 5.0); }},
      {"(slice(1, None), c)", "5.0", [&](nb::Tensor& t, const Inputs& i) { t.index_put_({Slice(1, None), i.c}, 5.0); }},
      {"(i, j)", "k", [&](nb::Tensor& t, const Inputs&) { t.index_put_({bp, cp}, row); }},
      {"e", "0.0", [&](nb::Tensor& t, const Inputs& i) { t.index_put_({i.e}, 0.0); }},
      {"g", "-1.5", [&](nb::Tensor& t, const Inputs& i) { t.index_put_({i.g}, -1.5); }},
      {"(Ellipsis, d)", "2", [&](nb::Tensor& t, const Inputs& i) { t.index_put_({Ellipsis, i.d}, 2); }},
      {"(None, i)", "l", [&](nb::Tensor& t, const Inputs&) { t.index_put_({None, bp}, block); }},
      {"(i, slice(None), j[:, :1])", "m",
       [&](nb::Tensor& t, const Inputs&) { t.index_put_({bp, Slice(), cp.slice(1, 0, 1)}, cols); }},
      {"True", "3.0", [&](nb::Tensor& t, const Inputs&) { t.index_put_({true}, 3.0); }},
      {"(1, slice(None, None, 2))", "o",
       [&](nb::Tensor& t, const Inputs&) { t.index_put_({1, Slice(None, None, 2)}, grid); }},
      {"(slice(None), 2)", "n", [&](nb::Tensor& t, const Inputs&) { t.index_put_({Slice(), 2}, ones_lead); }},
      {"(i, 1)", "k", [&](nb::Tensor& t, const Inputs&) { t.index_put_({bp, 1}, row); }},
      {"(slice(None), slice(None), f)", "k[:1]",
       [&](nb::Tensor& t, const Inputs& i) { t.index_put_({Slice(), Slice(), i.f}, row.slice(0, 0, 1)); }},
      {"h", "k", [&](nb::Tensor& t, const Inputs& i) { t.index_put_({i.h}, row); }},
  };
  std::vector<nb::Tensor> inputs = in.list();
  for (const nb::Tensor& t : {bp, cp, row, block, cols, ones_lead, grid}) inputs.push_back(t);
  for (const PutCase& c : cases) {
    std::string expr = std::string("(a.__setitem__(") + c.key + ", " + c.value + "), a)[1]";
    SCOPED_TRACE(expr);
    nb::Tensor x = in.a.clone();
    c.put(x, in);
    EXPECT_CLOSE(x, oracle::eval(expr, inputs).value(), kExact);
  }
  // Scalars convert to the destination's dtype (truncating into integers), for every dtype.
  for (nb::DType dt : {nb::kInt32, nb::kBool, nb::kFloat16, nb::kUInt8}) {
    SCOPED_TRACE(nb::dtype_name(dt));
    nb::Tensor x = oracle::random_tensor({4, 5}, dt, 36, 0, 9);
    nb::Tensor y = x.clone();
    y.index_put_({in.e}, 2.7);
    EXPECT_CLOSE(y, oracle::eval("(a.__setitem__(b, 2.7), a)[1]", {x, in.e}).value(), kExact);
    y = oracle::strided_copy(x, 2);
    y.index_put_({bp, Slice(1, None)}, 1);
    EXPECT_CLOSE(y, oracle::eval("(a.__setitem__((b, slice(1, None)), 1), a)[1]", {x, bp}).value(), kExact);
  }
}

TEST(Index, IndexSelectMatchesTorch) {
  nb::Tensor a = oracle::random_tensor({4, 5, 6}, nb::kFloat32, 41);
  nb::Tensor i64 = oracle::random_tensor({7}, nb::kInt64, 42, 0, 4);
  nb::Tensor i32 = oracle::random_tensor({3}, nb::kInt32, 43, 0, 5);
  nb::Tensor i0 = nb::tensor(3);
  EXPECT_CLOSE(a.index_select(0, i64), oracle::eval("a.index_select(0, b)", {a, i64}).value(), kExact);
  EXPECT_CLOSE(a.index_select(1, i32), oracle::eval("a.index_select(1, b)", {a, i32}).value(), kExact);
  EXPECT_CLOSE(nb::index_select(oracle::strided_copy(a, 3), -1, oracle::strided_copy(i32, 1)),
               oracle::eval("a.index_select(-1, b)", {a, i32}).value(), kExact);
  EXPECT_CLOSE(a.index_select(2, i0), oracle::eval("a.index_select(2, b)", {a, i0}).value(), kExact);
  EXPECT_CLOSE(a.index_select(1, i64.slice(0, 0, 0)), oracle::eval("a.index_select(1, b[:0])", {a, i64}).value(), kExact);
  nb::Tensor s = nb::tensor(5.5);
  EXPECT_CLOSE(s.index_select(0, nb::tensor({0})), oracle::eval("a.index_select(0, torch.tensor([0]))", {s}).value(),
               kExact);
  nb::Tensor h = oracle::random_tensor({5, 3}, nb::kBFloat16, 44);
  EXPECT_CLOSE(h.index_select(0, i32), oracle::eval("a.index_select(0, b)", {h, i32}).value(), kExact);
}

TEST(Index, GatherMatchesTorch) {
  uint64_t seed = 50;
  for (nb::DType dt : {nb::kFloat32, nb::kInt64, nb::kFloat16, nb::kBool, nb::kInt8, nb::kFloat64}) {
    for (int64_t dim : {0, 1, -1}) {
      SCOPED_TRACE(std::string(nb::dtype_name(dt)) + " dim " + std::to_string(dim));
      nb::Tensor a = oracle::random_tensor({4, 5, 6}, dt, ++seed);
      int64_t n = a.size(dim);
      nb::DimVector shape{3, 4, 5};
      shape[size_t(dim < 0 ? dim + 3 : dim)] = 7;  // the gathered dim may be longer than self's
      nb::Tensor idx = oracle::random_tensor(shape, nb::kInt64, ++seed, 0, double(n));
      std::string expr = "torch.gather(a, " + std::to_string(dim) + ", b)";
      EXPECT_CLOSE(nb::gather(a, dim, idx), oracle::eval(expr, {a, idx}).value(), kExact);
      EXPECT_CLOSE(oracle::strided_copy(a, seed).gather(dim, oracle::strided_copy(idx, seed + 1)),
                   oracle::eval(expr, {a, idx}).value(), kExact);
    }
  }
  nb::Tensor s = nb::tensor(2.5);
  EXPECT_CLOSE(s.gather(0, nb::tensor(0)), oracle::eval("a.gather(0, torch.tensor(0))", {s}).value(), kExact);
  EXPECT_CLOSE(s.gather(0, nb::tensor({0, 0})), oracle::eval("a.gather(0, torch.tensor([0, 0]))", {s}).value(), kExact);
  nb::Tensor a = oracle::random_tensor({3, 4}, nb::kFloat32, 59);
  nb::Tensor empty = nb::zeros({0, 4}, nb::kInt64);
  EXPECT_CLOSE(a.gather(0, empty), oracle::eval("a.gather(0, b)", {a, empty}).value(), kExact);
}

TEST(Index, ScatterMatchesTorch) {
  uint64_t seed = 60;
  for (nb::DType dt : {nb::kFloat32, nb::kInt32, nb::kFloat64, nb::kBFloat16}) {
    for (int64_t dim : {0, 1, -1}) {
      const std::string ds = std::to_string(dim);
      SCOPED_TRACE(std::string(nb::dtype_name(dt)) + " dim " + ds);
      nb::Tensor a = oracle::random_tensor({4, 5, 6}, dt, ++seed);
      nb::Tensor src = oracle::random_tensor({4, 5, 6}, dt, ++seed);
      // Distinct targets along dim (a slice of a permutation), so plain scatter is well defined.
      const char* perm = dim == 0 ? "torch.rand(4, 4, 5).argsort(0)[:3]"
                         : dim == 1 ? "torch.rand(4, 4, 5).argsort(1)[:, :3]"
                                    : "torch.rand(3, 4, 5).argsort(-1)[..., :3]";
      nb::Tensor idx = oracle::eval("(torch.manual_seed(" + std::to_string(seed) + "), " + perm + ")[1]").value();
      std::string args = ds + ", b, c)";
      EXPECT_CLOSE(a.scatter(dim, idx, src), oracle::eval("a.scatter(" + args, {a, idx, src}).value(), kExact);
      EXPECT_CLOSE(nb::scatter(oracle::strided_copy(a, seed), dim, idx, oracle::strided_copy(src, seed + 1)),
                   oracle::eval("a.scatter(" + args, {a, idx, src}).value(), kExact);
      EXPECT_CLOSE(a.scatter(dim, idx, 1.25), oracle::eval("a.scatter(" + ds + ", b, 1.25)", {a, idx}).value(), kExact);
      // Many sources into few targets: accumulation order differs from PyTorch's, so allow rounding.
      nb::Tensor many = oracle::random_tensor({4, 5, 6}, nb::kInt64, ++seed, 0, 2);
      EXPECT_CLOSE(a.scatter_add(dim, many, src), oracle::eval("a.scatter_add(" + args, {a, many, src}).value(),
                   oracle::tolerance_for(dt, 1e-5, 1e-5));
      nb::Tensor x = a.clone();
      x.scatter_add_(dim, many, src);
      x.scatter_(dim, idx, -2);
      EXPECT_CLOSE(x, oracle::eval("a.scatter_add_(" + args + ".scatter_(" + ds + ", d, -2)", {a, many, src, idx}).value(),
                   oracle::tolerance_for(dt, 1e-5, 1e-5));
    }
  }
}

TEST(Index, MaskedFillSelectNonzeroMatchTorch) {
  uint64_t seed = 70;
  for (nb::DType dt : {nb::kFloat32, nb::kInt32, nb::kBool, nb::kFloat16, nb::kUInt8}) {
    SCOPED_TRACE(nb::dtype_name(dt));
    nb::Tensor a = oracle::random_tensor({4, 5, 6}, dt, ++seed);
    const std::vector<std::vector<int64_t>> mask_shapes = {{6}, {5, 1}, {4, 5, 6}, {1}, {}, {2, 1, 1, 6}};
    for (const std::vector<int64_t>& mshape : mask_shapes) {
      nb::Tensor m = oracle::random_tensor(mshape, nb::kBool, ++seed);
      SCOPED_TRACE(m.dim());
      EXPECT_CLOSE(nb::masked_fill(a, m, 2.5), oracle::eval("a.masked_fill(b, 2.5)", {a, m}).value(), kExact);
      EXPECT_CLOSE(a.masked_select(m), oracle::eval("a.masked_select(b)", {a, m}).value(), kExact);
      if (m.dim() > 3) continue;
      nb::Tensor x = oracle::strided_copy(a, seed);
      x.masked_fill_(m, -1);
      EXPECT_CLOSE(x, oracle::eval("a.masked_fill_(b, -1)", {a, m}).value(), kExact);
    }
    nb::Tensor z = oracle::random_tensor({3, 4, 5}, dt, ++seed, -1, 2);  // about a third zeros
    EXPECT_CLOSE(z.nonzero(), oracle::eval("a.nonzero()", {z}).value(), kExact);
    EXPECT_CLOSE(oracle::strided_copy(z, 1).nonzero(), oracle::eval("a.nonzero()", {z}).value(), kExact);
  }
  nb::Tensor s = nb::tensor(3.0), zero = nb::tensor(0.0), empty = nb::zeros({2, 0, 3});
  EXPECT_CLOSE(s.nonzero(), oracle::eval("a.nonzero()", {s}).value(), kExact);
  EXPECT_CLOSE(zero.nonzero(), oracle::eval("a.nonzero()", {zero}).value(), kExact);
  EXPECT_CLOSE(empty.nonzero(), oracle::eval("a.nonzero()", {empty}).value(), kExact);
  nb::Tensor nan = nb::tensor({0.0, std::nan(""), -0.0, 1.0});
  EXPECT_CLOSE(nan.nonzero(), oracle::eval("a.nonzero()", {nan}).value(), kExact);
  // A mask larger than self broadcasts self (out of place only).
  nb::Tensor row = nb::tensor({1.0f, 2.0f, 3.0f});
  nb::Tensor mask = nb::tensor({{true, false, true}, {false, false, true}});
  EXPECT_CLOSE(row.masked_fill(mask, 9), oracle::eval("a.masked_fill(b, 9)", {row, mask}).value(), kExact);
  EXPECT_CLOSE(row.masked_select(mask), oracle::eval("a.masked_select(b)", {row, mask}).value(), kExact);
  EXPECT_CLOSE(s.masked_select(nb::tensor(true)), oracle::eval("a.masked_select(torch.tensor(True))", {s}).value(), kExact);
}

TEST(Index, ErrorsNameTheProblem) {
  Inputs in;
  nb::Tensor m2 = nb::zeros({2, 3});
  // Each error below also raises in PyTorch; nabla's kind is checked against the Python type.
  struct ErrorCase {
    const char* expr;
    const char* torch_type;
    std::string needle;
    std::function<void()> fn;
  };
  const std::vector<ErrorCase> cases = {
      {"a[5]", "IndexError", "index 5 is out of bounds for dimension 0 with size 4", [&] { in.a.index({5}); }},
      {"a[:, -7]", "IndexError", "index -7 is out of bounds for dimension 1 with size 5",
       [&] { in.a.index({Slice(), -7}); }},
      {"torch.zeros(2, 3)[0, 0, 0]", "IndexError", "too many indices for tensor of dimension 2",
       [&] { m2.index({0, 0, 0}); }},
      {"torch.zeros(2, 3)[torch.zeros(2, 3, 1, dtype=torch.bool)]", "IndexError",
       "too many indices for tensor of dimension 2", [&] { m2.index({nb::zeros({2, 3, 1}, nb::kBool)}); }},
      {"a[::0]", "ValueError", "slice step cannot be zero", [&] { in.a.index({Slice(None, None, 0)}); }},
      {"a[torch.tensor([0, 1], dtype=torch.int32)]", "IndexError", "tensors used as indices must be long",
       [&] { in.a.index({nb::tensor({0, 1}).to(nb::kInt32)}); }},
      {"a[torch.tensor([0.0])]", "IndexError", "tensors used as indices must be long",
       [&] { in.a.index({nb::tensor({0.0})}); }},
      {"a[torch.tensor([0, 5])]", "IndexError", "index 5 is out of bounds for dimension 0 with size 4",
       [&] { in.a.index({nb::tensor({0, 5})}); }},
      {"a[1:, torch.tensor([-6])]", "IndexError", "index -6 is out of bounds for dimension 1 with size 5",
       [&] { in.a.index({Slice(1, None), nb::tensor({-6})}); }},
      {"a[torch.ones(3, 5, dtype=torch.bool)]", "IndexError", "The shape of the mask (3, 5) at index 0",
       [&] { in.a.index({nb::ones({3, 5}, nb::kBool)}); }},
      {"a[b, torch.tensor([0, 1])]", "IndexError", "shape mismatch: indexing tensors could not be broadcast",
       [&] { in.a.index({in.b, nb::tensor({0, 1})}); }},
      {"a.index_select(0, torch.tensor([[0]]))", "IndexError", "Index is supposed to be a vector",
       [&] { in.a.index_select(0, nb::tensor({{0}})); }},
      {"a.index_select(0, torch.tensor([4]))", "IndexError", "index 4 is out of bounds for dimension 0 with size 4",
       [&] { in.a.index_select(0, nb::tensor({4})); }},
      {"a.index_select(0, torch.tensor([-1]))", "IndexError", "index -1 is out of bounds",
       [&] { in.a.index_select(0, nb::tensor({-1})); }},
      {"a.index_select(0, torch.tensor([0.0]))", "RuntimeError", "Expected dtype int32 or int64 for index",
       [&] { in.a.index_select(0, nb::tensor({0.0})); }},
      {"a.gather(0, torch.zeros(1, 1, 1, dtype=torch.int32))", "RuntimeError", "gather(): Expected dtype int64",
       [&] { in.a.gather(0, nb::zeros({1, 1, 1}, nb::kInt32)); }},
      {"a.gather(0, torch.zeros(1, 1, dtype=torch.int64))", "RuntimeError", "same number of dimensions",
       [&] { in.a.gather(0, nb::zeros({1, 1}, nb::kInt64)); }},
      {"a.gather(1, torch.zeros(5, 1, 1, dtype=torch.int64))", "RuntimeError", "Size does not match at dimension 0",
       [&] { in.a.gather(1, nb::zeros({5, 1, 1}, nb::kInt64)); }},
      {"a.scatter(0, torch.zeros(1, 1, 1, dtype=torch.int64), torch.ones(1, 1, 1, dtype=torch.float64))",
       "RuntimeError", "Expected self.dtype to be equal to src.dtype",
       [&] { in.a.scatter(0, nb::zeros({1, 1, 1}, nb::kInt64), nb::ones({1, 1, 1}, nb::kFloat64)); }},
      {"a.scatter(0, torch.zeros(1, 1, 7, dtype=torch.int64), torch.ones(1, 1, 7))", "RuntimeError",
       "to be smaller than self", [&] { in.a.scatter(0, nb::zeros({1, 1, 7}, nb::kInt64), nb::ones({1, 1, 7})); }},
      {"a.scatter_add(1, torch.zeros(1, 1, 1, dtype=torch.int32), torch.ones(1, 1, 1))", "RuntimeError",
       "scatter_add(): Expected dtype int64",
       [&] { in.a.scatter_add(1, nb::zeros({1, 1, 1}, nb::kInt32), nb::ones({1, 1, 1})); }},
      {"a.masked_select(torch.ones(6))", "RuntimeError", "expected BoolTensor or ByteTensor for mask",
       [&] { in.a.masked_select(nb::ones({6})); }},
      {"a.masked_fill_(torch.ones(2, 4, 5, 6, dtype=torch.bool), 1.0)", "RuntimeError", "cannot be broadcast",
       [&] { in.a.clone().masked_fill_(nb::ones({2, 4, 5, 6}, nb::kBool), 1.0); }},
      {"a.__setitem__(torch.tensor([0]), torch.ones(5, 6, dtype=torch.float64))", "RuntimeError",
       "Index put requires the source and destination dtypes match",
       [&] { in.a.clone().index_put_({nb::tensor({0})}, nb::ones({5, 6}, nb::kFloat64)); }},
      {"a.__setitem__(torch.tensor([0]), torch.ones(2, 5, 6))", "RuntimeError", "shape mismatch: value tensor",
       [&] { in.a.clone().index_put_({nb::tensor({0})}, nb::ones({2, 5, 6})); }},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.expr);
    oracle::Result r = oracle::eval(c.expr, in.list());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error_type, c.torch_type) << r.error_message;
    if (c.torch_type == std::string("IndexError")) expect_error<nb::IndexError>(c.fn, c.needle);
    if (c.torch_type == std::string("ValueError")) expect_error<nb::ValueError>(c.fn, c.needle);
    if (c.torch_type == std::string("RuntimeError")) expect_error<nb::RuntimeError>(c.fn, c.needle);
  }
  // PyTorch 1.13 accepts both of these (float masks with a warning, a second ellipsis matching no
  // dims); nabla refuses them, as NumPy does the second.
  expect_error<nb::RuntimeError>([&] { in.a.masked_fill(nb::ones({6}), 1.0); }, "only supports boolean masks");
  expect_error<nb::IndexError>([&] { in.a.index({Ellipsis, 1, Ellipsis}); }, "single ellipsis");
  expect_error<nb::ValueError>([&] { in.a.index({Slice(None, None, -1)}); }, "step must be greater than zero");
  expect_error<nb::IndexError>([&] { nb::tensor(1.0).index({0}); }, "too many indices for tensor of dimension 0");
}

TEST(Index, OutOfRangeWritesChangeNothing) {
  // PyTorch raises these as RuntimeError (gather/scatter) or IndexError; nabla raises IndexError
  // for every out-of-range index, and validates all of them before writing any element.
  Inputs in;
  nb::Tensor x = in.a.clone();
  expect_error<nb::IndexError>([&] { x.index_put_({nb::tensor({0, 1, 9})}, 1.0); },
                               "index 9 is out of bounds for dimension 0 with size 4");
  expect_error<nb::IndexError>([&] { x.index_put_({Slice(), nb::tensor({0, 1}), nb::tensor({3, -7})}, nb::ones({2})); },
                               "index -7 is out of bounds for dimension 2 with size 6");
  nb::Tensor idx = nb::zeros({4, 5, 6}, nb::kInt64);
  idx.index_put_({3, 4, 5}, 4);
  expect_error<nb::IndexError>([&] { x.scatter_(0, idx, nb::ones({4, 5, 6})); },
                               "scatter(): index 4 is out of bounds for dimension 0 with size 4");
  expect_error<nb::IndexError>([&] { x.scatter_add_(0, idx, nb::ones({4, 5, 6})); }, "index 4 is out of bounds");
  expect_error<nb::IndexError>([&] { x.scatter_(1, nb::full({1, 1, 1}, -4, nb::kInt64), 0.0); },
                               "index -4 is out of bounds for dimension 1");
  expect_error<nb::IndexError>([&] { x.gather(2, nb::full({1, 1, 1}, 6, nb::kInt64)); },
                               "gather(): index 6 is out of bounds for dimension 2 with size 6");
  EXPECT_CLOSE(x, in.a, kExact);
  EXPECT_TRUE(oracle::eval("a.scatter_(0, torch.tensor([[[2]]]), 1.0)", {in.a}).ok);  // the same op, in range
  expect_error<nb::IndexError>([] { nb::zeros({0}).index({nb::tensor({0})}); }, "out of bounds for dimension 0 with size 0");
  EXPECT_CLOSE(nb::zeros({0, 3}).index({Slice(), nb::tensor({5})}),
               oracle::eval("torch.zeros(0, 3)[:, torch.tensor([5])]").value(), kExact);
}

TEST(Index, ReadOnlyTensorsRefuseWrites) {
  nb::Tensor x = nb::zeros({3, 4});
  x.impl()->storage()->set_read_only(true);
  EXPECT_NO_THROW(x.index({nb::tensor({0, 2})}));
  expect_error<nb::RuntimeError>([&] { x.index_put_({nb::tensor({0})}, 1.0); }, "read-only");
  expect_error<nb::RuntimeError>([&] { x.masked_fill_(nb::ones({4}, nb::kBool), 1.0); }, "read-only");
  expect_error<nb::RuntimeError>([&] { x.scatter_(0, nb::zeros({1, 1}, nb::kInt64), 1.0); }, "read-only");
  expect_error<nb::RuntimeError>([&] { x.index_put_({0}, 1.0); }, "read-only");
}
