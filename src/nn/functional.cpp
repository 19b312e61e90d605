// nn::functional: activations, linear, dropout, flatten, embedding.
#include "nabla/nn/functional.hpp"

#include "nabla/creation.hpp"
#include "nabla/ops.hpp"
#include "nn/common.hpp"

namespace nabla::nn::functional {

Tensor relu(const Tensor& input) { return nabla::relu(input); }
Tensor gelu(const Tensor& input, const std::string& approximate) { return nabla::gelu(input, approximate); }
Tensor sigmoid(const Tensor& input) { return nabla::sigmoid(input); }
Tensor tanh(const Tensor& input) { return nabla::tanh(input); }
Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return nabla::softmax(input, dim, dtype);
}
Tensor log_softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return nabla::log_softmax(input, dim, dtype);
}

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  NB_CHECK(input.defined() && weight.defined(), ValueError, "linear: input and weight must be defined tensors");
  NB_CHECK(weight.dim() == 2, RuntimeError, "linear: weight must be 2-D (out_features, in_features), got shape ",
           detail::list_str(weight.sizes()));
  NB_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1), RuntimeError, "linear: input of shape ",
           detail::list_str(input.sizes()), " cannot be multiplied by weight of shape ",
           detail::list_str(weight.sizes()), ".T (", input.dim() ? input.size(-1) : 0, " != ", weight.size(1), ")");
  NB_CHECK(!bias.defined() || (bias.dim() <= 1 && (bias.numel() == weight.size(0) || bias.numel() == 1)),
           RuntimeError, "linear: bias of shape ", detail::list_str(bias.sizes()), " does not match ",
           weight.size(0), " output features");
  // One GEMM with the bias folded in, as PyTorch does for the 2-D case.
  if (input.dim() == 2 && bias.defined()) return addmm(bias, input, weight.t());
  Tensor out = matmul(input, weight.t());
  return bias.defined() ? out + bias : out;
}

Tensor dropout(const Tensor& input, double p, bool training) {
  detail::check_defined(input, "dropout");
  NB_CHECK(p >= 0 && p <= 1, ValueError, "dropout probability has to be between 0 and 1, but got ", p);
  if (p == 0 || !training || input.numel() == 0) return input;
  if (p == 1) return input * zeros({}, input.options());
  // PyTorch's CPU recipe (bernoulli_(1 - p), then / (1 - p), then one multiply), so the same seed
  // gives the same mask and the same values.
  Tensor noise = empty(input.sizes(), input.options());
  noise.bernoulli_(1 - p);
  noise.div_(1 - p);
  return input * noise;
}

Tensor flatten(const Tensor& input, int64_t start_dim, int64_t end_dim) { return input.flatten(start_dim, end_dim); }

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
  detail::check_defined(input, "embedding");
  detail::check_defined(weight, "embedding", "weight");
  NB_CHECK(input.dtype() == kInt64 || input.dtype() == kInt32, RuntimeError,
           "embedding: expected indices of dtype int64 or int32, but got ", dtype_name(input.dtype()),
           "; convert them with .to(nabla::kInt64)");
  NB_CHECK(weight.dim() == 2, RuntimeError, "embedding: weight must be 2-D (num_embeddings, embedding_dim), got ",
           detail::list_str(weight.sizes()));
  const int64_t num = weight.size(0);
  if (padding_idx) {
    NB_CHECK(*padding_idx >= -num && *padding_idx < num, ValueError, "embedding: padding_idx ", *padding_idx,
             " must be within num_embeddings (", num, ")");
    if (*padding_idx < 0) *padding_idx += num;
  }
  Tensor rows;
  try {
    rows = weight.index_select(0, input.reshape({-1}));
  } catch (const IndexError& e) {
    throw IndexError(std::string("embedding: index out of range in weight of ") + std::to_string(num) + " rows: " +
                     e.what());
  }
  DimVector shape = input.sizes();
  shape.push_back(weight.size(1));
  Tensor out = rows.view(shape);
  if (padding_idx && out.requires_grad()) {
    // Same values; the rows picked by padding_idx come from a detached copy, so no gradient reaches it.
    Tensor is_padding = (input == *padding_idx).unsqueeze(-1);
    out = where(is_padding, out.detach(), out);
  }
  return out;
}

}  // namespace nabla::nn::functional
