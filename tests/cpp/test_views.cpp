// Views and creation against PyTorch.
#include "oracle.hpp"

namespace nb = nabla;

TEST(Views, ShareStorageAndMatchTorch) {
  nb::Tensor x = oracle::random_tensor({2, 3, 4}, nb::kFloat32, 1);
  struct Case { const char* expr; std::function<nb::Tensor(const nb::Tensor&)> fn; };
  std::vector<Case> cases = {
      {"a.view(6, 4)", [](const nb::Tensor& t) { return t.view({6, 4}); }},
      {"a.view(-1)", [](const nb::Tensor& t) { return t.view({-1}); }},
      {"a.transpose(0, 2)", [](const nb::Tensor& t) { return t.transpose(0, 2); }},
      {"a.permute(2, 0, 1)", [](const nb::Tensor& t) { return t.permute({2, 0, 1}); }},
      {"a.permute(2, 0, 1).T", [](const nb::Tensor& t) { return t.permute({2, 0, 1}).T(); }},
      {"a[:, 1:, ::2]", [](const nb::Tensor& t) { return t.slice(1, 1, std::nullopt).slice(2, std::nullopt, std::nullopt, 2); }},
      {"a.select(1, -1)", [](const nb::Tensor& t) { return t.select(1, -1); }},
      {"a.narrow(2, 1, 2)", [](const nb::Tensor& t) { return t.narrow(2, 1, 2); }},
      {"a.unsqueeze(1).expand(2, 5, 3, 4)", [](const nb::Tensor& t) { return t.unsqueeze(1).expand({2, 5, 3, 4}); }},
      {"a[:1].squeeze()", [](const nb::Tensor& t) { return t.slice(0, 0, 1).squeeze(); }},
      {"a.flatten(1)", [](const nb::Tensor& t) { return t.flatten(1); }},
      {"a.transpose(0, 1).reshape(3, 8)", [](const nb::Tensor& t) { return t.transpose(0, 1).reshape({3, 8}); }},
      {"a.unfold(2, 2, 1)", [](const nb::Tensor& t) { return t.unfold(2, 2, 1); }},
      {"a.as_strided((3, 2), (1, 4), 2)", [](const nb::Tensor& t) { return t.as_strided({3, 2}, {1, 4}, 2); }},
      {"a[0].diagonal(1)", [](const nb::Tensor& t) { return t.select(0, 0).diagonal(1); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expr);
    nb::Tensor v = c.fn(x);
    EXPECT_CLOSE(v, oracle::eval(c.expr, {x}).value());
  }
  nb::Tensor v = x.view({-1});
  EXPECT_EQ(v.data_ptr(), x.data_ptr());
}

TEST(Views, ViewOfNonContiguousRaises) {
  nb::Tensor x = nb::zeros({3, 4}).t();
  EXPECT_THROW(x.view({12}), nb::RuntimeError);
  EXPECT_NO_THROW(x.reshape({12}));
}

TEST(Creation, MatchesTorch) {
  EXPECT_CLOSE(nb::tensor({1, 2, 3}), oracle::eval("torch.tensor([1, 2, 3])").value());
  EXPECT_CLOSE(nb::tensor({{3.3f}, {4.4f}}), oracle::eval("torch.tensor([[3.3], [4.4]])").value());
  EXPECT_CLOSE(nb::tensor({1.5, 2.0}), oracle::eval("torch.tensor([1.5, 2.0])").value());
  EXPECT_CLOSE(nb::tensor({true, false}), oracle::eval("torch.tensor([True, False])").value());
  EXPECT_CLOSE(nb::arange(10), oracle::eval("torch.arange(10)").value());
  // PyTorch's vector loop rounds some lanes differently (src/ops/creation.cpp): 1 ulp allowed.
  EXPECT_CLOSE(nb::arange(0.5, 3.0, 0.3), oracle::eval("torch.arange(0.5, 3.0, 0.3)").value(), oracle::Tolerance{1.2e-7, 0});
  EXPECT_CLOSE(nb::arange(1, 2.5, 0.1, nb::kFloat64), oracle::eval("torch.arange(1, 2.5, 0.1, dtype=torch.float64)").value(), oracle::Tolerance{2.3e-16, 0});
  EXPECT_CLOSE(nb::linspace(-1, 7, 11), oracle::eval("torch.linspace(-1, 7, 11)").value(), oracle::Tolerance{0, 0});
  EXPECT_CLOSE(nb::linspace(0, 1, 7, nb::kFloat64), oracle::eval("torch.linspace(0, 1, 7, dtype=torch.float64)").value(), oracle::Tolerance{0, 0});
  EXPECT_CLOSE(nb::eye(3, 4), oracle::eval("torch.eye(3, 4)").value());
  EXPECT_CLOSE(nb::full({2, 2}, 7), oracle::eval("torch.full((2, 2), 7)").value());
  EXPECT_CLOSE(nb::full({2}, 2.5), oracle::eval("torch.full((2,), 2.5)").value());
  EXPECT_CLOSE(nb::ones({2, 3}, nb::kInt32), oracle::eval("torch.ones(2, 3, dtype=torch.int32)").value());
}

TEST(Creation, RaggedListRaises) {
  EXPECT_THROW(nb::tensor({{1, 2}, {3}}), nb::ValueError);
}

TEST(Creation, FromBlobRunsDeleterWhenLastViewGoes) {
  static float data[6] = {1, 2, 3, 4, 5, 6};
  int calls = 0;
  {
    nb::Tensor v;
    {
      nb::Tensor t = nb::from_blob(data, {2, 3}, nb::kFloat32, [&](void*) { ++calls; });
      v = t.select(1, 2);
    }
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(v.select(0, 1).item<float>(), 6.0f);
  }
  EXPECT_EQ(calls, 1);
}

TEST(Conversion, CastsMatchTorch) {
  nb::Tensor x = nb::tensor({-2.7, -1.0, 0.0, 0.5, 1.5, 2.5, 300.25});
  for (nb::DType d : {nb::kBool, nb::kUInt8, nb::kInt8, nb::kInt16, nb::kInt32, nb::kInt64, nb::kFloat16,
                      nb::kBFloat16, nb::kFloat64}) {
    SCOPED_TRACE(std::string(nb::dtype_name(d)));
    EXPECT_CLOSE(x.to(d), oracle::eval(std::string("a.to(torch.") + std::string(nb::dtype_name(d)) + ")", {x}).value(),
                 oracle::Tolerance{0, 0});
  }
}
