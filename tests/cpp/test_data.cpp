// Datasets and the DataLoader against torch.utils.data of PyTorch 1.13: the same seeds give the
// same splits and batch orders and leave the generators in the same state.
#include <chrono>
#include <iostream>
#include <filesystem>

#include "nabla/data.hpp"
#include "nabla/io.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
using test_support::raises;
namespace data = nabla::data;

namespace {


// Forwards to another dataset, hiding its type: the DataLoader then takes its general path.
class Opaque : public data::Dataset {
 public:
  explicit Opaque(std::shared_ptr<data::Dataset> inner) : inner_(std::move(inner)) {}
  int64_t size() const override { return inner_->size(); }
  data::Example get(int64_t index) const override { return inner_->get(index); }

 private:
  std::shared_ptr<data::Dataset> inner_;
};

std::vector<data::Batch> collect(const data::DataLoader& loader) {
  std::vector<data::Batch> batches;
  for (const data::Batch& b : loader) batches.push_back(b);
  return batches;
}

nb::Tensor concat_field(const std::vector<data::Batch>& batches, size_t field) {
  std::vector<nb::Tensor> parts;
  for (const data::Batch& b : batches) parts.push_back(b[field]);
  return nb::cat(parts);
}

}  // namespace

TEST(DataTensorDataset, ItemsAreViewsAndErrorsAreClear) {
  const nb::Tensor x = oracle::random_tensor({5, 3}, nb::kFloat32, 1), y = nb::arange(5);
  data::TensorDataset ds({x, y});
  EXPECT_EQ(ds.size(), 5);
  const data::Example e = ds.get(2);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_CLOSE(e[0], oracle::eval("a[2]", {x}).value());
  EXPECT_EQ(e[0].data_ptr(), x.select(0, 2).data_ptr());
  EXPECT_EQ(e[1].item<int64_t>(), 2);
  EXPECT_EQ(ds.get(-1)[1].item<int64_t>(), 4);
  EXPECT_TRUE(raises<nb::IndexError>([&] { ds.get(5); }, "TensorDataset: index 5 is out of range for a dataset of size 5"));
  EXPECT_TRUE(raises<nb::IndexError>([&] { ds.get(-6); }, "index -6 is out of range"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::TensorDataset({x, nb::arange(4)}); },
                                     "tensor 0 has shape (5, 3) but tensor 1 has shape (4,)"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::TensorDataset({nb::tensor(1.0)}); }, "is 0-d"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::TensorDataset({}); }, "at least one tensor"));

  auto base = std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{x, y});
  data::Subset sub(base, {4, 0, -2});
  EXPECT_EQ(sub.size(), 3);
  EXPECT_EQ(sub.get(0)[1].item<int64_t>(), 4);
  EXPECT_EQ(sub.get(2)[1].item<int64_t>(), 3);
  EXPECT_TRUE(raises<nb::IndexError>([&] { sub.get(3); }, "Subset: index 3 is out of range for a dataset of size 3"));
  EXPECT_TRUE(raises<nb::IndexError>([&] { data::Subset(base, {0, 5}); }, "Subset: index 5 is out of range"));
}

TEST(DataRandomSplit, MatchesTorch) {
  const std::vector<std::vector<int64_t>> splits = {{3, 7}, {10, 0, 5}, {1, 1, 1, 1, 96}, {0}};
  for (uint64_t seed : {0, 1, 42, 1234}) {
    for (const auto& lengths : splits) {
      int64_t n = 0;
      std::string list;
      for (int64_t l : lengths) n += l, list += std::to_string(l) + ",";
      auto ds = std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{nb::zeros({n})});
      for (bool explicit_generator : {false, true}) {
        SCOPED_TRACE(std::to_string(seed) + " [" + list + "] explicit=" + std::to_string(explicit_generator));
        const std::string s = std::to_string(seed);
        const oracle::Result r = oracle::exec(
            "from torch.utils.data import random_split\ntorch.manual_seed(99)\n" +
            (explicit_generator ? "g = torch.Generator().manual_seed(" + s + ")\nparts = random_split(range(" + std::to_string(n) + "), [" + list + "], generator=g)\n"
                                : "torch.manual_seed(" + s + ")\nparts = random_split(range(" + std::to_string(n) + "), [" + list + "])\n") +
            "result = [torch.tensor(sum([list(p.indices) for p in parts], []), dtype=torch.int64), "
            "torch.tensor([len(p) for p in parts]), torch.rand(3)]");
        ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
        nb::manual_seed(99);
        nb::Generator g(seed);
        if (!explicit_generator) nb::manual_seed(seed);
        const auto parts = data::random_split(ds, lengths, explicit_generator ? &g : nullptr);
        std::vector<int64_t> indices, sizes;
        for (const auto& p : parts) {
          indices.insert(indices.end(), p->indices().begin(), p->indices().end());
          sizes.push_back(p->size());
        }
        EXPECT_CLOSE(nb::tensor(indices, nb::kInt64).view({-1}), r.outputs[0]);
        EXPECT_CLOSE(nb::tensor(sizes), r.outputs[1]);
        EXPECT_CLOSE(nb::rand({3}), r.outputs[2], oracle::Tolerance{0, 0});
      }
    }
  }
  // Fractions, remainder handed out from the first split on.
  auto ds = std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{nb::zeros({31})});
  nb::Generator g(5);
  const auto parts = data::random_split_fractions(ds, {0.3, 0.3, 0.4}, &g);
  const oracle::Result r = oracle::exec(
      "from torch.utils.data import random_split\n"
      "parts = random_split(range(31), [0.3, 0.3, 0.4], generator=torch.Generator().manual_seed(5))\n"
      "result = [torch.tensor(list(p.indices), dtype=torch.int64) for p in parts]");
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  ASSERT_EQ(parts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_CLOSE(nb::tensor(parts[i]->indices(), nb::kInt64), r.outputs[i]);

  EXPECT_TRUE(raises<nb::ValueError>([&] { data::random_split(ds, {10, 20}); }, "Sum of input lengths (30) does not equal the length of the input dataset (31)"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::random_split(ds, {32, -1}); }, "length 1 is negative"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::random_split_fractions(ds, {0.5, 0.6}); }, "must sum to 1"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::random_split_fractions(ds, {1.5, -0.5}); }, "Fraction at index 0 is not between 0 and 1"));
}

TEST(DataLoader, Int64DrawMatchesTorch) {
  // The DataLoader's seeds are torch.empty((), dtype=torch.int64).random_(): values in [0, 2^63).
  for (uint64_t seed : {0, 7, 123456789}) {
    nb::manual_seed(seed);
    nb::Tensor t = nb::empty({4}, nb::kInt64);
    t.random_(0, std::nullopt);
    const oracle::Result r = oracle::exec("torch.manual_seed(" + std::to_string(seed) +
                                          ")\nresult = torch.stack([torch.empty((), dtype=torch.int64).random_() for _ in range(4)])");
    ASSERT_TRUE(r.ok) << r.error_message;
    EXPECT_CLOSE(t, r.outputs[0]);
  }
}

TEST(DataLoader, BatchOrderMatchesTorch) {
  // Two epochs (the first possibly abandoned after `stop_after` batches); with an explicit
  // generator the loop body draws from it too, which pins down when the loader draws.
  struct Config {
    int64_t n, batch_size;
    bool shuffle, drop_last;
    int64_t stop_after = -1;
  };
  const std::vector<Config> configs = {{10, 3, true, false}, {10, 3, true, true}, {9, 3, true, false},
                                       {100, 16, true, false}, {7, 7, true, false}, {5, 8, true, true},
                                       {10, 4, false, false}, {0, 4, false, false}, {10, 3, true, false, 2}};
  for (const Config& c : configs) {
    for (uint64_t seed : {0, 3, 2024}) {
      for (bool explicit_generator : {false, true}) {
        SCOPED_TRACE("n=" + std::to_string(c.n) + " bs=" + std::to_string(c.batch_size) + " shuffle=" + std::to_string(c.shuffle) +
                     " drop_last=" + std::to_string(c.drop_last) + " stop_after=" + std::to_string(c.stop_after) +
                     " seed=" + std::to_string(seed) + " explicit=" + std::to_string(explicit_generator));
        const std::string py = "from torch.utils.data import TensorDataset, DataLoader\n"
                               "torch.manual_seed(" + std::to_string(seed) + ")\n"
                               "g = torch.Generator().manual_seed(" + std::to_string(seed + 17) + ") if " +
                               (explicit_generator ? "True" : "False") + " else None\n"
                               "dl = DataLoader(TensorDataset(torch.arange(" + std::to_string(c.n) + ")), batch_size=" +
                               std::to_string(c.batch_size) + ", shuffle=" + (c.shuffle ? "True" : "False") +
                               ", drop_last=" + (c.drop_last ? "True" : "False") + ", generator=g)\n"
                               "order, sizes, draws = [torch.zeros(0, dtype=torch.int64)], [len(dl)], [torch.zeros(0)]\n"
                               "for epoch in range(2):\n"
                               "    for i, (b,) in enumerate(dl):\n"
                               "        order.append(b)\n"
                               "        sizes.append(len(b))\n"
                               "        if g: draws.append(torch.rand(1, generator=g))\n"
                               "        if epoch == 0 and i + 1 == " + std::to_string(c.stop_after) + ": break\n"
                               "result = [torch.cat(order), torch.tensor(sizes), torch.cat(draws), torch.rand(3), "
                               "torch.rand(2, generator=g) if g else torch.zeros(2)]\n";
        const oracle::Result r = oracle::exec(py);
        ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
        nb::manual_seed(seed);
        nb::Generator g(seed + 17);
        data::DataLoaderOptions options;
        options.batch_size = c.batch_size;
        options.shuffle = c.shuffle;
        options.drop_last = c.drop_last;
        options.generator = explicit_generator ? &g : nullptr;
        data::DataLoader loader(std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{nb::arange(c.n)}), options);
        std::vector<nb::Tensor> order = {nb::zeros({0}, nb::kInt64)}, draws = {nb::zeros({0})};
        std::vector<int64_t> sizes = {loader.size()};
        for (int epoch = 0; epoch < 2; ++epoch) {
          int64_t i = 0;
          for (const data::Batch& b : loader) {
            order.push_back(b[0]);
            sizes.push_back(b[0].size(0));
            if (explicit_generator) draws.push_back(nb::rand({1}, {}, &g));
            if (epoch == 0 && ++i == c.stop_after) break;
          }
        }
        EXPECT_CLOSE(nb::cat(order), r.outputs[0]);
        EXPECT_CLOSE(nb::tensor(sizes), r.outputs[1]);
        EXPECT_CLOSE(nb::cat(draws), r.outputs[2], oracle::Tolerance{0, 0});
        EXPECT_CLOSE(nb::rand({3}), r.outputs[3], oracle::Tolerance{0, 0});
        EXPECT_CLOSE(explicit_generator ? nb::rand({2}, {}, &g) : nb::zeros({2}), r.outputs[4], oracle::Tolerance{0, 0});
      }
    }
  }
  EXPECT_TRUE(raises<nb::ValueError>([] {
    data::DataLoader(std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{nb::zeros({0})}), {.shuffle = true});
  }, "num_samples=0"));
}

TEST(DataLoader, FastPathGeneralPathAndCollateAgree) {
  const nb::Tensor x = oracle::random_tensor({10, 2, 3}, nb::kFloat32, 3), y = nb::arange(10) * 10;
  auto tensors = std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{x, y});
  auto opaque = std::make_shared<Opaque>(tensors);
  for (bool drop_last : {false, true}) {
    data::DataLoaderOptions options;
    options.batch_size = 4;
    options.drop_last = drop_last;
    const auto fast = collect(data::DataLoader(tensors, options));
    const auto general = collect(data::DataLoader(opaque, options));
    ASSERT_EQ(fast.size(), drop_last ? 2u : 3u);
    ASSERT_EQ(general.size(), fast.size());
    for (size_t i = 0; i < fast.size(); ++i) {
      ASSERT_EQ(fast[i].size(), 2u);
      const nb::Tensor idx = nb::arange(int64_t(4 * i), std::min<int64_t>(10, 4 * int64_t(i) + 4));
      EXPECT_CLOSE(fast[i][0], oracle::eval("a[b]", {x, idx}).value());
      EXPECT_CLOSE(general[i][0], fast[i][0]);
      EXPECT_CLOSE(general[i][1], fast[i][1]);
    }
  }
  // Shuffled, through a Subset (fast path) and the same Subset hidden (general path): same batches.
  auto subset = std::make_shared<data::Subset>(tensors, std::vector<int64_t>{9, 1, 4, 7, 2, 0, 5});
  data::DataLoaderOptions shuffled;
  shuffled.batch_size = 3;
  shuffled.shuffle = true;
  nb::Generator g1(11), g2(11);
  shuffled.generator = &g1;
  const auto fast = collect(data::DataLoader(subset, shuffled));
  shuffled.generator = &g2;
  const auto general = collect(data::DataLoader(std::make_shared<Opaque>(subset), shuffled));
  ASSERT_EQ(fast.size(), 3u);
  EXPECT_CLOSE(concat_field(fast, 0), concat_field(general, 0));
  EXPECT_CLOSE(concat_field(fast, 1), concat_field(general, 1));
  EXPECT_CLOSE(std::get<0>(concat_field(fast, 1).sort(0)), nb::tensor({0, 10, 20, 40, 50, 70, 90}));

  // A custom collate receives the examples of each batch.
  data::DataLoaderOptions custom;
  custom.batch_size = 3;
  custom.collate = [](const std::vector<data::Example>& examples) {
    nb::Tensor total = nb::zeros({}, nb::kInt64);
    for (const data::Example& e : examples) total = total + e[1];
    return data::Batch{total, nb::tensor({int64_t(examples.size())})};
  };
  const auto sums = collect(data::DataLoader(tensors, custom));
  ASSERT_EQ(sums.size(), 4u);
  EXPECT_EQ(sums[0][0].item<int64_t>(), 30);
  EXPECT_EQ(sums[3][0].item<int64_t>(), 90);
  EXPECT_EQ(sums[3][1].item<int64_t>(), 1);

  // Errors.
  data::DataLoaderOptions zero;
  zero.batch_size = 0;
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::DataLoader(tensors, zero); }, "batch_size should be a positive integer value, but got batch_size=0"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::DataLoader(nullptr); }, "dataset is null"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { data::default_collate({{x[0], y[0]}, {x[1]}}); }, "example 0 has 2 tensors but example 1 has 1"));
  data::DataLoader two(tensors, {.batch_size = 5});
  auto it = two.begin();
  ++it;
  EXPECT_FALSE(it == two.end());
  ++it;
  EXPECT_TRUE(it == two.end());
  EXPECT_TRUE(raises<nb::IndexError>([&] { *it; }, "the epoch has only 2 batches"));
}

TEST(DataFashionMnist, ShuffledEpochCoversTrainingSet) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const nb::Tensor images = nb::read_idx(dir + "train-images-idx3-ubyte.gz").view({60000, 784}).to(nb::kFloat32) / 255.0;
  const nb::Tensor labels = nb::read_idx(dir + "train-labels-idx1-ubyte.gz").to(nb::kInt64);
  nb::manual_seed(0);
  data::DataLoader loader(std::make_shared<data::TensorDataset>(std::vector<nb::Tensor>{images, labels}),
                          {.batch_size = 128, .shuffle = true});
  EXPECT_EQ(loader.size(), 469);
  const auto start = std::chrono::steady_clock::now();
  int64_t batches = 0, examples = 0;
  nb::Tensor label_sum = nb::zeros({}, nb::kInt64);
  for (const data::Batch& b : loader) {
    ++batches;
    examples += b[0].size(0);
    label_sum = label_sum + b[1].sum();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ timing ] one shuffled epoch of Fashion-MNIST (60000x784 float32, batch 128): " << seconds * 1e3 << " ms\n";
  EXPECT_EQ(batches, 469);
  EXPECT_EQ(examples, 60000);
  EXPECT_EQ(label_sum.item<int64_t>(), labels.sum().item<int64_t>());
}
