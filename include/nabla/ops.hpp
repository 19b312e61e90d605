#pragma once
// The functional API: every op as a free function, named as in torch.*.
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "nabla/tensor.hpp"

namespace nabla {

// Type promotion, as torch.result_type / torch.promote_types / torch.can_cast.
DType promote_types(DType a, DType b);
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);
bool can_cast(DType from, DType to);
DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b);

// Unary.
#define NB_UNARY_FN(name) Tensor name(const Tensor& x);
NB_UNARY_FN(neg) NB_UNARY_FN(abs) NB_UNARY_FN(sign) NB_UNARY_FN(exp) NB_UNARY_FN(expm1)
NB_UNARY_FN(log) NB_UNARY_FN(log1p) NB_UNARY_FN(log2) NB_UNARY_FN(sqrt) NB_UNARY_FN(rsqrt)
NB_UNARY_FN(sin) NB_UNARY_FN(cos) NB_UNARY_FN(tan) NB_UNARY_FN(tanh) NB_UNARY_FN(sigmoid)
NB_UNARY_FN(relu) NB_UNARY_FN(silu) NB_UNARY_FN(erf) NB_UNARY_FN(floor) NB_UNARY_FN(ceil)
NB_UNARY_FN(round) NB_UNARY_FN(trunc) NB_UNARY_FN(reciprocal) NB_UNARY_FN(logical_not)
NB_UNARY_FN(bitwise_not) NB_UNARY_FN(isnan) NB_UNARY_FN(isinf) NB_UNARY_FN(square)
#undef NB_UNARY_FN
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);

// Binary.
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor div(const Tensor& a, const Tensor& b, const std::string& rounding_mode = "");
Tensor div(const Tensor& a, const Scalar& b, const std::string& rounding_mode = "");
#define NB_BINARY_FN(name)                          \
  Tensor name(const Tensor& a, const Tensor& b);    \
  Tensor name(const Tensor& a, const Scalar& b);
NB_BINARY_FN(mul) NB_BINARY_FN(floor_divide) NB_BINARY_FN(remainder) NB_BINARY_FN(fmod)
NB_BINARY_FN(pow) NB_BINARY_FN(maximum) NB_BINARY_FN(minimum) NB_BINARY_FN(atan2)
NB_BINARY_FN(eq) NB_BINARY_FN(ne) NB_BINARY_FN(lt) NB_BINARY_FN(le) NB_BINARY_FN(gt) NB_BINARY_FN(ge)
NB_BINARY_FN(logical_and) NB_BINARY_FN(logical_or) NB_BINARY_FN(logical_xor)
NB_BINARY_FN(bitwise_and) NB_BINARY_FN(bitwise_or) NB_BINARY_FN(bitwise_xor)
NB_BINARY_FN(bitwise_left_shift) NB_BINARY_FN(bitwise_right_shift)
#undef NB_BINARY_FN
Tensor pow(const Scalar& base, const Tensor& exponent);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, const Scalar& b);

// Reductions and scans.
Tensor sum(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor sum(const Tensor& x, Dims dims, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, Dims dims, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor max(const Tensor& x);
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& x, Dims dims, bool keepdim = false);
Tensor amin(const Tensor& x, Dims dims, bool keepdim = false);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// All dims with correction 1; var(x, {}, correction) gives another correction over all dims.
Tensor var(const Tensor& x);
Tensor var(const Tensor& x, Dims dims, double correction = 1, bool keepdim = false);
Tensor std(const Tensor& x);
Tensor std(const Tensor& x, Dims dims, double correction = 1, bool keepdim = false);
Tensor norm(const Tensor& x, double p = 2);
Tensor norm(const Tensor& x, double p, Dims dims, bool keepdim = false);
Tensor all(const Tensor& x);
Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& x);
Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor logsumexp(const Tensor& x, Dims dims, bool keepdim = false);
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);

// Linear algebra.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, const Scalar& beta = 1, const Scalar& alpha = 1);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);

// Indexing, joining, ordering.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
Tensor flip(const Tensor& x, IntArrayRef dims);
Tensor roll(const Tensor& x, IntArrayRef shifts, IntArrayRef dims);
std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false);
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false);
std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);
// torch.unique: sorted unique values, plus inverse indices and counts when asked.
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& x, bool sorted = true, bool return_inverse = false,
                                          bool return_counts = false, std::optional<int64_t> dim = std::nullopt);

}  // namespace nabla
