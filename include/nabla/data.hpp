#pragma once
// Datasets and batching, as torch.utils.data: TensorDataset, Subset, random_split and DataLoader,
// with PyTorch 1.13's use of the random generators, so a seed gives the same batches in both.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "nabla/tensor.hpp"

namespace nabla {

class Generator;

namespace data {

// An example is a tuple of tensors (a TensorDataset item); a batch is one tensor per field.
using Example = std::vector<Tensor>;
using Batch = std::vector<Tensor>;
using CollateFn = std::function<Batch(const std::vector<Example>& examples)>;

// An indexable collection of examples. Indices run over [0, size()); negative ones count from
// the end, as Python's do.
class Dataset {
 public:
  virtual ~Dataset();
  virtual int64_t size() const = 0;
  virtual Example get(int64_t index) const = 0;
};

// Examples are the slices along dim 0 of tensors that all have the same first dim.
class TensorDataset : public Dataset {
 public:
  explicit TensorDataset(std::vector<Tensor> tensors);
  int64_t size() const override;
  Example get(int64_t index) const override;  // views of the tensors
  const std::vector<Tensor>& tensors() const { return tensors_; }

 private:
  std::vector<Tensor> tensors_;
};

// The examples of `dataset` at `indices`, in that order (indices are checked, and negative ones
// wrapped, when the Subset is made).
class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<Dataset> dataset, std::vector<int64_t> indices);
  int64_t size() const override { return int64_t(indices_.size()); }
  Example get(int64_t index) const override;
  const std::shared_ptr<Dataset>& dataset() const { return dataset_; }
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<Dataset> dataset_;
  std::vector<int64_t> indices_;
};

// Non-overlapping subsets of the given lengths, which must add up to dataset->size(): the pieces
// of randperm(size, generator) in order (nullptr: the default generator), as PyTorch 1.13 does.
std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<Dataset> dataset, std::vector<int64_t> lengths,
                                                  Generator* generator = nullptr);
// The same with fractions that sum to 1: floor(size * fraction) each, the remainder handed out one
// by one from the first subset on.
std::vector<std::shared_ptr<Subset>> random_split_fractions(std::shared_ptr<Dataset> dataset,
                                                            const std::vector<double>& fractions,
                                                            Generator* generator = nullptr);

// Stacks each field of the examples along a new dim 0 (PyTorch's default_collate for tensors).
Batch default_collate(const std::vector<Example>& examples);

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
  Generator* generator = nullptr;  // nullptr: the default generator
  CollateFn collate;               // empty: default_collate
  // Threads that build batches ahead of the loop, each holding up to prefetch_factor of them; 0 builds
  // each batch when the loop reaches it. Batches, their order and the generators' draws are the same
  // either way; with workers the dataset's get() and the collate function run on several threads at once.
  int64_t num_workers = 0;
  int64_t prefetch_factor = 2;
};

class Prefetcher;

// Batches of a dataset, one epoch per range-for:
//   for (const data::Batch& b : loader) { Tensor x = b[0], y = b[1]; ... }
// Each epoch draws from the generators as PyTorch 1.13's DataLoader does: one int64 for the
// workers' base seed; when shuffling, a randperm from the explicit generator, or without one from
// a fresh generator seeded with an int64 from the default generator; and, as RandomSampler runs
// one more (empty) randperm when it is exhausted, a second randperm at the end of a complete epoch.
// So after the same manual_seed both give the same batches and leave the generators in the same
// state. Over a TensorDataset (or Subsets of one) with the default collate, a batch is one
// index_select per tensor.
class DataLoader {
 public:
  struct Sentinel {};
  class Iterator {
   public:
    const Batch& operator*() const;
    const Batch* operator->() const { return &**this; }
    Iterator& operator++();
    bool operator==(Sentinel) const { return batch_ >= loader_->size(); }
    int64_t batch_index() const { return batch_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, Tensor order, Generator* sampler_generator);
    void exhaust_sampler() const;
    const DataLoader* loader_;
    Tensor order_;  // this epoch's example indices (int64)
    std::shared_ptr<Prefetcher> prefetcher_;  // the workers, when there are any
    Generator* sampler_generator_;  // the explicit generator a shuffling sampler draws from, else nullptr
    int64_t batch_ = 0;
    mutable bool sampler_exhausted_ = false;
    mutable Batch current_;
    mutable bool built_ = false;
  };

  DataLoader(std::shared_ptr<Dataset> dataset, DataLoaderOptions options = {});
  int64_t size() const;  // batches per epoch
  Iterator begin() const;  // starts an epoch
  Sentinel end() const { return {}; }
  const std::shared_ptr<Dataset>& dataset() const { return dataset_; }
  const DataLoaderOptions& options() const { return options_; }

 private:
  Batch make_batch(const Tensor& indices) const;
  std::shared_ptr<Dataset> dataset_;
  DataLoaderOptions options_;
};

}  // namespace data
}  // namespace nabla
