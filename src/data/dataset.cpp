#include <cmath>

#include "core/check.hpp"
#include "nabla/data.hpp"
#include "nabla/random.hpp"

namespace nabla::data {
namespace {

int64_t wrap_index(int64_t index, int64_t size, const char* what) {
  NB_CHECK(index >= -size && index < size, IndexError, what, ": index ", index, " is out of range for a dataset of size ", size);
  return index < 0 ? index + size : index;
}

}  // namespace

Dataset::~Dataset() = default;

TensorDataset::TensorDataset(std::vector<Tensor> tensors) : tensors_(std::move(tensors)) {
  NB_CHECK(!tensors_.empty(), ValueError, "TensorDataset: needs at least one tensor");
  for (size_t i = 0; i < tensors_.size(); ++i) {
    NB_CHECK(tensors_[i].defined(), ValueError, "TensorDataset: tensor ", i, " is undefined");
    NB_CHECK(tensors_[i].dim() >= 1, ValueError, "TensorDataset: tensor ", i,
             " is 0-d; each tensor needs a first dim that indexes the examples");
  }
  for (size_t i = 1; i < tensors_.size(); ++i) {
    NB_CHECK(tensors_[i].size(0) == tensors_[0].size(0), ValueError,
             "TensorDataset: size mismatch between tensors: tensor 0 has shape ", shape_str(tensors_[0].sizes()),
             " but tensor ", i, " has shape ", shape_str(tensors_[i].sizes()), "; all need the same first dim");
  }
}

int64_t TensorDataset::size() const { return tensors_[0].size(0); }

Example TensorDataset::get(int64_t index) const {
  const int64_t i = wrap_index(index, size(), "TensorDataset");
  Example example;
  example.reserve(tensors_.size());
  for (const Tensor& t : tensors_) example.push_back(t.select(0, i));
  return example;
}

Subset::Subset(std::shared_ptr<Dataset> dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  NB_CHECK(dataset_, ValueError, "Subset: the dataset is null");
  const int64_t n = dataset_->size();
  for (int64_t& i : indices_) i = wrap_index(i, n, "Subset");
}

Example Subset::get(int64_t index) const {
  return dataset_->get(indices_[size_t(wrap_index(index, size(), "Subset"))]);
}

std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<Dataset> dataset, std::vector<int64_t> lengths,
                                                  Generator* generator) {
  NB_CHECK(dataset, ValueError, "random_split: the dataset is null");
  int64_t total = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    NB_CHECK(lengths[i] >= 0, ValueError, "random_split: length ", i, " is negative (", lengths[i], ")");
    total += lengths[i];
  }
  NB_CHECK(total == dataset->size(), ValueError, "random_split: Sum of input lengths (", total,
           ") does not equal the length of the input dataset (", dataset->size(), ")");
  const Tensor perm = randperm(total, kInt64, generator);
  const int64_t* p = perm.data_ptr<int64_t>();
  std::vector<std::shared_ptr<Subset>> subsets;
  int64_t offset = 0;
  for (int64_t length : lengths) {
    subsets.push_back(std::make_shared<Subset>(dataset, std::vector<int64_t>(p + offset, p + offset + length)));
    offset += length;
  }
  return subsets;
}

std::vector<std::shared_ptr<Subset>> random_split_fractions(std::shared_ptr<Dataset> dataset,
                                                            const std::vector<double>& fractions,
                                                            Generator* generator) {
  NB_CHECK(dataset, ValueError, "random_split: the dataset is null");
  double sum = 0;
  for (double f : fractions) sum += f;
  // Python's math.isclose(sum, 1) with its default rel_tol=1e-9.
  NB_CHECK(std::abs(sum - 1) <= 1e-9 * std::max(std::abs(sum), 1.0) && sum <= 1, ValueError,
           "random_split: fractions must sum to 1, got a sum of ", sum);
  const int64_t n = dataset->size();
  std::vector<int64_t> lengths;
  int64_t assigned = 0;
  for (size_t i = 0; i < fractions.size(); ++i) {
    NB_CHECK(fractions[i] >= 0 && fractions[i] <= 1, ValueError, "random_split: Fraction at index ", i,
             " is not between 0 and 1 (", fractions[i], ")");
    lengths.push_back(int64_t(std::floor(double(n) * fractions[i])));
    assigned += lengths.back();
  }
  for (int64_t i = 0; i < n - assigned; ++i) ++lengths[size_t(i) % lengths.size()];
  return random_split(std::move(dataset), std::move(lengths), generator);
}

}  // namespace nabla::data
