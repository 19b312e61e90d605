#include <algorithm>
#include <cstdint>

#include "core/check.hpp"
#include "data/prefetcher.hpp"
#include "nabla/creation.hpp"
#include "nabla/data.hpp"
#include "nabla/ops.hpp"
#include "nabla/random.hpp"

namespace nabla::data {
namespace {

// How many batches the workers may build ahead: num_workers x prefetch_factor, which huge options overflow.
int64_t saturating_product(int64_t a, int64_t b) {
  int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? INT64_MAX : product;
}

// `torch.empty((), dtype=torch.int64).random_(generator=gen).item()`: a value in [0, 2^63).
int64_t draw_int64(Generator* gen) {
  Tensor t = empty({}, kInt64);
  t.random_(0, std::nullopt, gen);
  return t.item<int64_t>();
}

// The TensorDataset under `dataset`, looking through Subsets, with `indices` (int64, contiguous)
// mapped to its own indices; nullptr when there is none.
const TensorDataset* tensor_source(const Dataset* dataset, Tensor& indices) {
  while (const auto* subset = dynamic_cast<const Subset*>(dataset)) {
    Tensor mapped = empty({indices.numel()}, kInt64);
    const int64_t* in = indices.data_ptr<int64_t>();
    int64_t* out = mapped.data_ptr<int64_t>();
    const std::vector<int64_t>& map = subset->indices();
    for (int64_t i = 0; i < indices.numel(); ++i) out[i] = map[size_t(in[i])];
    indices = std::move(mapped);
    dataset = subset->dataset().get();
  }
  return dynamic_cast<const TensorDataset*>(dataset);
}

// The example indices of batch `b`: a view of the epoch's order.
Tensor batch_indices(const Tensor& order, int64_t batch_size, int64_t b) {
  const int64_t start = b * batch_size;
  return order.narrow(0, start, std::min(batch_size, order.numel() - start));
}

}  // namespace

Batch default_collate(const std::vector<Example>& examples) {
  NB_CHECK(!examples.empty(), ValueError, "default_collate: no examples to collate");
  const size_t fields = examples[0].size();
  for (size_t i = 1; i < examples.size(); ++i)
    NB_CHECK(examples[i].size() == fields, ValueError, "default_collate: example 0 has ", fields, " tensors but example ",
             i, " has ", examples[i].size(), "; each example in a batch should have the same number of tensors");
  Batch batch;
  std::vector<Tensor> column(examples.size());
  for (size_t f = 0; f < fields; ++f) {
    for (size_t i = 0; i < examples.size(); ++i) column[i] = examples[i][f];
    batch.push_back(stack(column, 0));
  }
  return batch;
}

DataLoader::DataLoader(std::shared_ptr<Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  NB_CHECK(dataset_, ValueError, "DataLoader: the dataset is null");
  NB_CHECK(options_.batch_size > 0, ValueError, "DataLoader: batch_size should be a positive integer value, but got batch_size=",
           options_.batch_size);
  NB_CHECK(!options_.shuffle || dataset_->size() > 0, ValueError,
           "DataLoader: shuffle needs a non-empty dataset (RandomSampler's num_samples should be a positive integer value, but got num_samples=0)");
  NB_CHECK(options_.num_workers >= 0, ValueError, "DataLoader: num_workers option should be non-negative (got ",
           options_.num_workers, "); use num_workers=0 to build the batches on the calling thread");
  NB_CHECK(options_.prefetch_factor > 0, ValueError, "DataLoader: prefetch_factor should be a positive integer (got ",
           options_.prefetch_factor, ")");
}

int64_t DataLoader::size() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() const {
  Generator* gen = options_.generator;
  draw_int64(gen);  // PyTorch draws the workers' base seed even without workers
  const int64_t n = dataset_->size();
  if (!options_.shuffle) return Iterator(this, arange(n), nullptr);
  if (gen) return Iterator(this, randperm(n, kInt64, gen), gen);
  // RandomSampler without a generator seeds a fresh one from the default generator.
  Generator epoch_generator(uint64_t(draw_int64(nullptr)));
  return Iterator(this, randperm(n, kInt64, &epoch_generator), nullptr);
}

Batch DataLoader::make_batch(const Tensor& indices) const {
  if (!options_.collate) {
    Tensor source_indices = indices;
    if (const TensorDataset* source = tensor_source(dataset_.get(), source_indices)) {
      Batch batch;
      for (const Tensor& t : source->tensors()) batch.push_back(index_select(t, 0, source_indices.to(t.device())));
      return batch;
    }
  }
  std::vector<Example> examples;
  examples.reserve(size_t(indices.numel()));
  const int64_t* p = indices.data_ptr<int64_t>();
  for (int64_t i = 0; i < indices.numel(); ++i) examples.push_back(dataset_->get(p[i]));
  return options_.collate ? options_.collate(examples) : default_collate(examples);
}

DataLoader::Iterator::Iterator(const DataLoader* loader, Tensor order, Generator* sampler_generator)
    : loader_(loader), order_(std::move(order)), sampler_generator_(sampler_generator) {
  const DataLoaderOptions& o = loader_->options_;
  if (loader_->size() == 0) exhaust_sampler();
  else if (o.num_workers > 0)
    prefetcher_ = std::make_shared<Prefetcher>(o.num_workers, saturating_product(o.num_workers, o.prefetch_factor),
                                               loader_->size(),
                                               [loader, order = order_](int64_t b) {
                                                 return loader->make_batch(batch_indices(order, loader->options_.batch_size, b));
                                               });
}

// RandomSampler.__iter__ ends with `yield from torch.randperm(n, generator=generator).tolist()[:0]`:
// a randperm whose values go unused, drawn when the loader asks for the index after the last one.
void DataLoader::Iterator::exhaust_sampler() const {
  if (sampler_exhausted_) return;
  sampler_exhausted_ = true;
  if (sampler_generator_) randperm(order_.numel(), kInt64, sampler_generator_);
}

const Batch& DataLoader::Iterator::operator*() const {
  const int64_t batches = loader_->size();
  NB_CHECK(batch_ < batches, IndexError, "DataLoader: the epoch has only ", batches, " batches");
  if (!built_) {
    const int64_t b = loader_->options_.batch_size;
    // A short last batch is known to be short only once the sampler has run dry.
    if (order_.numel() - batch_ * b < b) exhaust_sampler();
    current_ = prefetcher_ ? prefetcher_->take(batch_) : loader_->make_batch(batch_indices(order_, b, batch_));
    built_ = true;
  }
  return current_;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++batch_;
  built_ = false;
  current_.clear();
  if (batch_ == loader_->size()) exhaust_sampler();
  return *this;
}

}  // namespace nabla::data
