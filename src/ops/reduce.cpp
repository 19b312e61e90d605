// Reductions, scans and softmax: PyTorch's dims, dtype and error rules, then the reduce, scan
// and softmax kernels (Note [Reduction kernels]) do the work; and their gradients, written with
// forward ops so that they differentiate again.
#include <algorithm>
#include <cmath>

#include "autograd/function.hpp"
#include "core/kernels/reduce.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// Which dims a reduction folds, one flag per dim; an empty list folds all dims (torch.sum(x, ())).
DimVector reduced_dims(const Tensor& x, IntArrayRef dims, const char* op) {
  DimVector mask(size_t(std::max<int64_t>(x.dim(), 1)), dims.empty() ? 1 : 0);
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(d, x.dim(), op);
    NB_CHECK(!mask[size_t(w)], RuntimeError, op, ": dim ", w, " appears multiple times in the list of dims");
    mask[size_t(w)] = 1;
  }
  return mask;
}

DimVector all_dims(const Tensor& x) { return DimVector(size_t(std::max<int64_t>(x.dim(), 1)), 1); }

DimVector one_dim(const Tensor& x, int64_t dim, const char* op) {
  DimVector mask(size_t(std::max<int64_t>(x.dim(), 1)), 0);
  mask[size_t(wrap_dim(dim, x.dim(), op))] = 1;
  return mask;
}

// max/amax/argmax have no identity: a reduced dim of size 0 is an error, as in PyTorch.
void check_nonempty_dims(const Tensor& x, const DimVector& mask, const char* op) {
  for (int64_t d = 0; d < x.dim(); ++d)
    NB_CHECK(!mask[size_t(d)] || x.size(d) != 0, IndexError, op, "(): Expected reduction dim ", d,
             " to have non-zero size; the input has shape ", shape_str(x.sizes()));
}

void check_floating(const Tensor& x, const char* op, const char* what) {
  NB_CHECK(is_floating(x.dtype()), RuntimeError, op, "(): ", what, "; got ", dtype_name(x.dtype()),
           ". Convert the input with .to(nabla::kFloat32) first");
}

// The keepdim shape (1 on reduced dims) the kernel writes, and the shape returned.
struct ReducedShape {
  DimVector keep, result;
  ReducedShape(const Tensor& x, const DimVector& mask, bool keepdim) {
    for (int64_t d = 0; d < x.dim(); ++d) {
      const bool reduced = mask[size_t(d)];
      keep.push_back(reduced ? 1 : x.size(d));
      if (!reduced || keepdim) result.push_back(reduced ? 1 : x.size(d));
    }
  }
};

// The reduced dims of x (none for a 0-d input), as a list.
DimVector reduced_dim_list(const Tensor& x, const DimVector& mask) {
  DimVector dims;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (mask[size_t(d)]) dims.push_back(d);
  return dims;
}

// The derivative of a product of the inputs along `dim` with respect to each input, where zeros
// forbid dividing the product by the input: the product of the elements before (exclusive cumprod)
// times the product of those after (reversed exclusive cumprod). PyTorch's prod_safe_zeros_backward.
Tensor prod_safe_zeros_backward(const Tensor& g, const Tensor& x, int64_t dim) {
  if (x.numel() == 0) return g.expand(x.sizes());
  DimVector ones_size = x.sizes();
  ones_size[size_t(dim)] = 1;
  const Tensor ones = nabla::ones(ones_size, x.options());
  const int64_t n = x.size(dim);
  Tensor before = cat({ones, x.narrow(dim, 0, n - 1)}, dim).cumprod(dim);
  Tensor after = cat({ones, x.narrow(dim, 1, n - 1).flip({dim})}, dim).cumprod(dim).flip({dim});
  return g * (before * after);
}

Tensor prod_backward(const Tensor& g, const Tensor& x, const Tensor& y, const DimVector& dims) {
  if (x.dim() == 0) return g;
  if (!(x == 0).any().item<bool>()) return g * (y / x);
  if (dims.size() == 1) return prod_safe_zeros_backward(g, x, dims[0]);
  return prod_safe_zeros_backward(g.reshape({-1}), x.reshape({-1}), 0).view(x.sizes());
}

// max/min over all dims and amax/amin: the gradient is shared evenly among the elements equal to
// the extremum (PyTorch's evenly_distribute_backward and amax's count of maxima).
Tensor extremum_backward(const Tensor& g, const Tensor& x, const Tensor& y, const DimVector& dims) {
  const Tensor selected = (x == y) | (x.isnan() & y.isnan());
  const Tensor count = selected.sum(Dims(IntArrayRef(dims)), /*keepdim=*/true);
  return where(selected, g / count, Scalar(0));
}

// PyTorch's norm_backward; a zero norm gives a zero gradient.
Tensor norm_backward(const Tensor& g, const Tensor& x, const Tensor& norm, double p, const DimVector& dims) {
  const Tensor zero_norm = norm == 0;
  if (p == 0) return zeros_like(x);
  if (p == 1) return x.sign() * g;
  if (p == 2) return g * where(zero_norm, Scalar(0), x / norm);
  if (std::isinf(p)) {
    const Tensor selected = x.abs() == norm;
    return x.sign() * where(selected, g / selected.sum(Dims(IntArrayRef(dims)), /*keepdim=*/true), Scalar(0));
  }
  if (p < 1) {
    const Tensor scaled = where(x == 0, Scalar(0), x.sign() * x.abs().pow(p - 1));
    return scaled * g * norm.pow(1 - p);
  }
  const Tensor scaled = p < 2 ? x.sign() * x.abs().pow(p - 1) : x * x.abs().pow(p - 2);
  return scaled * where(zero_norm, Scalar(0), g / norm.pow(p - 1));
}

Tensor var_backward(const Tensor& g, const Tensor& x, const DimVector& dims, double count, double correction) {
  return (2.0 / (count - correction)) * g * (x - x.mean(Dims(IntArrayRef(dims)), /*keepdim=*/true));
}

// d reduce(x) / dx times g, for an input of shape `sizes`; g and y (the result) have the keepdim
// shape; x is undefined for sum and mean, which do not read it.
Tensor reduction_backward(ReduceOp op, const Tensor& g, IntArrayRef sizes, const Tensor& x, const Tensor& y,
                          const DimVector& dims, double count, const ReduceArgs& args) {
  switch (op) {
    case ReduceOp::kSum: return g.expand(sizes);
    case ReduceOp::kMean: return g.expand(sizes) / count;
    case ReduceOp::kProd: return prod_backward(g, x, y, dims);
    case ReduceOp::kMax: case ReduceOp::kMin: return extremum_backward(g, x, y, dims);
    case ReduceOp::kNorm: return norm_backward(g, x, y, args.p, dims);
    case ReduceOp::kVar: return var_backward(g, x, dims, count, args.correction);
    case ReduceOp::kStd:
      return var_backward(where(y == 0, Scalar(0), g / (y * 2)), x, dims, count, args.correction);
    case ReduceOp::kLogSumExp: return g * (x - y).exp();
    default: fail<RuntimeError>("reduction_backward: the reduction is not differentiable");
  }
}

bool is_differentiable(ReduceOp op) {
  return op != ReduceOp::kAll && op != ReduceOp::kAny && op != ReduceOp::kArgMax && op != ReduceOp::kArgMin;
}

// PyTorch's node names for the overloads that take dims (the all-dims overloads pass theirs).
const char* reduction_grad_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "SumBackward1";
    case ReduceOp::kMean: return "MeanBackward1";
    case ReduceOp::kProd: return "ProdBackward1";
    case ReduceOp::kMax: return "AmaxBackward0";
    case ReduceOp::kMin: return "AminBackward0";
    case ReduceOp::kNorm: return "NormBackward1";
    case ReduceOp::kVar: return "VarBackward0";
    case ReduceOp::kStd: return "StdBackward0";
    default: return "LogsumexpBackward0";
  }
}

bool saves_input(ReduceOp op) { return op != ReduceOp::kSum && op != ReduceOp::kMean; }
bool saves_result(ReduceOp op) {
  return op == ReduceOp::kProd || op == ReduceOp::kMax || op == ReduceOp::kMin || op == ReduceOp::kNorm ||
         op == ReduceOp::kStd || op == ReduceOp::kLogSumExp;
}

void record_reduction(ReduceOp op, const Tensor& x, const Tensor& result, const ReducedShape& shape,
                      const DimVector& mask, const ReduceArgs& args, const char* grad_name) {
  const double count = result.numel() == 0 ? 1 : double(x.numel()) / double(result.numel());
  auto node = make_node(grad_name ? grad_name : reduction_grad_name(op), {&x},
                        [op, count, args, keep = shape.keep, dims = reduced_dim_list(x, mask), sizes = x.sizes()](
                            FunctionNode& n, Grads& g) -> Grads {
    const Tensor y = saves_result(op) ? n.saved(1).reshape(keep) : Tensor();
    return {reduction_backward(op, g[0].reshape(keep), sizes, n.saved(0), y, dims, count, args)};
  });
  node->save(saves_input(op) ? x : Tensor());
  node->save_output(saves_result(op) ? result : Tensor());
  set_history(result, std::move(node));
}

Tensor reduce(ReduceOp op, const Tensor& x, const DimVector& mask, bool keepdim, DType out_dtype,
              const ReduceArgs& args = {}, const char* grad_name = nullptr) {
  const ReducedShape shape(x, mask, keepdim);
  Tensor out = make_empty(shape.keep, out_dtype, x.device());
  reduce_kernel(x.device())(op, *x.impl(), out.impl(), nullptr, args);
  Tensor result = out.view(shape.result);
  if (is_differentiable(op) && is_floating(out_dtype) && grad_needed(x))
    record_reduction(op, x, result, shape, mask, args, grad_name);
  return result;
}

// Values and int64 indices of the first extremum (argmax/argmin and max/min with a dim).
std::tuple<Tensor, Tensor> reduce_with_indices(ReduceOp op, const Tensor& x, const DimVector& mask, bool keepdim,
                                               bool want_values) {
  const ReducedShape shape(x, mask, keepdim);
  Tensor values = want_values ? make_empty(shape.keep, x.dtype(), x.device()) : Tensor();
  Tensor indices = make_empty(shape.keep, kInt64, x.device());
  reduce_kernel(x.device())(op, *x.impl(), want_values ? values.impl() : nullptr, indices.impl(), {});
  if (!want_values) return {values, indices.view(shape.result)};
  Tensor result = values.view(shape.result);
  if (is_floating(x.dtype()) && grad_needed(x)) {
    // The gradient goes to the element each index names (PyTorch's value_selecting_reduction_backward).
    const int64_t dim = x.dim() == 0 ? 0 : reduced_dim_list(x, mask)[0];
    auto node = make_node(op == ReduceOp::kArgMax ? "MaxBackward0" : "MinBackward0", {&x},
                          [dim, keep = shape.keep, sizes = x.sizes()](FunctionNode& n, Grads& g) -> Grads {
      return {zeros(sizes, g[0].options()).scatter(dim, n.saved(0).reshape(keep), g[0].reshape(keep))};
    });
    node->save(indices);
    set_history(result, std::move(node));
  }
  return {result, indices.view(shape.result)};
}

// sum and prod give int64 for bool and integer inputs.
DType accumulated_dtype(DType t) { return is_integral(t, true) ? kInt64 : t; }

// sum/prod: dtype= casts the input first; the result has that dtype.
Tensor sum_like(ReduceOp op, const Tensor& x, const DimVector& mask, bool keepdim, std::optional<DType> dtype,
                const char* grad_name = nullptr) {
  const Tensor in = dtype ? x.to(*dtype) : x;
  Tensor r = reduce(op, in, mask, keepdim, accumulated_dtype(in.dtype()), {}, grad_name);
  return dtype ? r.to(*dtype) : r;
}

Tensor mean_impl(const Tensor& x, const DimVector& mask, bool keepdim, std::optional<DType> dtype,
                 const char* grad_name = nullptr) {
  NB_CHECK(dtype || is_floating(x.dtype()), RuntimeError,
           "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
           "Got: ", dtype_name(x.dtype()), ". Convert the input with .to(nabla::kFloat32) or pass dtype=nabla::kFloat32");
  NB_CHECK(!dtype || is_floating(*dtype), RuntimeError,
           "mean(): could not infer output dtype. Optional dtype must be either a floating point or complex dtype. "
           "Got: ", dtype_name(*dtype), ". Pass dtype=nabla::kFloat32");
  const Tensor in = dtype ? x.to(*dtype) : x;
  return reduce(ReduceOp::kMean, in, mask, keepdim, in.dtype(), {}, grad_name);
}

Tensor extremum_all(ReduceOp op, const Tensor& x, const char* name) {
  check_defined(x, name);
  NB_CHECK(x.numel() > 0, RuntimeError, name,
           "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the "
           "'dim' argument.");
  return reduce(op, x, all_dims(x), false, x.dtype(), {}, op == ReduceOp::kMax ? "MaxBackward1" : "MinBackward1");
}

std::tuple<Tensor, Tensor> extremum_dim(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim, const char* name) {
  check_defined(x, name);
  const DimVector mask = one_dim(x, dim, name);
  check_nonempty_dims(x, mask, name);
  return reduce_with_indices(op, x, mask, keepdim, true);
}

Tensor extremum_dims(ReduceOp op, const Tensor& x, const Dims& dims, bool keepdim, const char* name) {
  check_defined(x, name);
  const DimVector mask = reduced_dims(x, dims.dims, name);
  check_nonempty_dims(x, mask, name);
  return reduce(op, x, mask, keepdim, x.dtype());
}

Tensor arg_extremum(ReduceOp op, const Tensor& x, std::optional<int64_t> dim, bool keepdim, const char* name) {
  check_defined(x, name);
  NB_CHECK(x.dtype() != kBool, RuntimeError, name, "(): not implemented for bool; convert the input with "
           ".to(nabla::kUInt8) first");
  DimVector mask;
  if (dim) {
    mask = one_dim(x, *dim, name);
    check_nonempty_dims(x, mask, name);
  } else {
    NB_CHECK(x.numel() > 0, IndexError, name,
             "(): Expected reduction dim to be specified for input.numel() == 0.");
    mask = all_dims(x);
  }
  return std::get<1>(reduce_with_indices(op, x, mask, keepdim, false));
}

Tensor var_impl(ReduceOp op, const Tensor& x, const DimVector& mask, double correction, bool keepdim, const char* name) {
  check_floating(x, name, "std and var only support floating point and complex dtypes");
  ReduceArgs args;
  args.correction = correction;
  return reduce(op, x, mask, keepdim, x.dtype(), args);
}

Tensor norm_impl(const Tensor& x, double p, const DimVector& mask, bool keepdim) {
  check_floating(x, "norm", "input dtype should be either floating point or complex");
  ReduceArgs args;
  args.p = p;
  return reduce(ReduceOp::kNorm, x, mask, keepdim, x.dtype(), args);
}

Tensor logical_impl(ReduceOp op, const Tensor& x, const DimVector& mask, bool keepdim) {
  return reduce(op, x, mask, keepdim, x.dtype() == kUInt8 ? kUInt8 : kBool);
}

// A 0-d input is scanned as one element; dim 0 and -1 name it.
template <typename Kernel>
Tensor along_dim(const Tensor& x, int64_t dim, const char* name, DType out_dtype, const Kernel& kernel) {
  const int64_t w = wrap_dim(dim, x.dim(), name);
  const Tensor in = x.dim() == 0 ? x.as_strided({1}, {1}) : x;
  Tensor out = make_empty(in.sizes(), out_dtype, x.device());
  kernel(*in.impl(), *out.impl(), w);
  return x.dim() == 0 ? out.as_strided({}, {}) : out;
}

// out[i] = sum over j >= i of t[j] along dim.
Tensor reversed_cumsum(const Tensor& t, int64_t dim) { return t.flip({dim}).cumsum(dim).flip({dim}); }

// Zeros forbid dividing by the input: input k's gradient is the sum over j >= k of g[j] times the
// product of x[0..j] without x[k]. Quadratic in the dim's size (PyTorch's double-backward path).
Tensor cumprod_backward_with_zeros(const Tensor& g, const Tensor& x, int64_t dim) {
  const int64_t n = x.size(dim);
  std::vector<Tensor> grads;
  grads.reserve(size_t(n));
  for (int64_t k = 0; k < n; ++k) {
    const Tensor before = x.narrow(dim, 0, k).prod(dim, /*keepdim=*/true);
    const Tensor omitted =
        k + 1 < n ? cat({before, before * x.narrow(dim, k + 1, n - k - 1).cumprod(dim)}, dim) : before;
    grads.push_back((g.narrow(dim, k, n - k) * omitted).sum(Dims(dim)));
  }
  return stack(grads, dim);
}

// x and y (the result) are undefined for cumsum, which does not read them.
Tensor scan_backward(ScanOp op, const Tensor& g, const Tensor& x, const Tensor& y, int64_t dim) {
  if (g.dim() == 0 || g.size(dim) <= 1) return g;
  if (op == ScanOp::kSum) return reversed_cumsum(g, dim);
  if (!(x == 0).any().item<bool>()) return reversed_cumsum(y * g, dim) / x;
  return cumprod_backward_with_zeros(g, x, dim);
}

Tensor scan_impl(ScanOp op, const Tensor& x, int64_t dim, std::optional<DType> dtype, const char* name) {
  check_defined(x, name);
  const Tensor in = dtype ? x.to(*dtype) : x;
  Tensor r = along_dim(in, dim, name, accumulated_dtype(in.dtype()), [&](const TensorImpl& i, TensorImpl& o, int64_t d) {
    scan_kernel(in.device())(op, i, o, d);
  });
  if (is_floating(r.dtype()) && grad_needed(in)) {
    const bool sum = op == ScanOp::kSum;
    auto node = make_node(sum ? "CumsumBackward0" : "CumprodBackward0", {&in},
                          [op, d = wrap_dim(dim, in.dim(), name)](FunctionNode& n, Grads& g) -> Grads {
      return {scan_backward(op, g[0], n.saved(0), n.saved(1), d)};
    });
    node->save(sum ? Tensor() : in);
    node->save_output(sum ? Tensor() : r);
    set_history(r, std::move(node));
  }
  return dtype ? r.to(*dtype) : r;
}

Tensor softmax_impl(const Tensor& x, int64_t dim, std::optional<DType> dtype, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_defined(x, name);
  const Tensor in = dtype ? x.to(*dtype) : x;
  NB_CHECK(is_floating(in.dtype()), RuntimeError, name, "(): expected a floating point input, got ",
           dtype_name(in.dtype()), "; pass dtype=nabla::kFloat32 or convert the input with .to(nabla::kFloat32)");
  Tensor out = along_dim(in, dim, name, in.dtype(), [&](const TensorImpl& i, TensorImpl& o, int64_t d) {
    softmax_kernel(in.device())(i, o, d, log);
  });
  if (grad_needed(in)) {
    auto node = make_node(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {&in},
                          [log, d = wrap_dim(dim, in.dim(), name)](FunctionNode& n, Grads& g) -> Grads {
      const Tensor y = n.saved(0);
      if (log) return {g[0] - y.exp() * g[0].sum(Dims(d), /*keepdim=*/true)};
      return {y * (g[0] - (g[0] * y).sum(Dims(d), /*keepdim=*/true))};
    });
    node->save_output(out);
    set_history(out, std::move(node));
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, std::optional<DType> dtype) {
  check_defined(x, "sum");
  return sum_like(ReduceOp::kSum, x, all_dims(x), false, dtype, "SumBackward0");
}
Tensor sum(const Tensor& x, Dims dims, bool keepdim, std::optional<DType> dtype) {
  check_defined(x, "sum");
  return sum_like(ReduceOp::kSum, x, reduced_dims(x, dims.dims, "sum"), keepdim, dtype);
}

Tensor mean(const Tensor& x, std::optional<DType> dtype) {
  check_defined(x, "mean");
  return mean_impl(x, all_dims(x), false, dtype, "MeanBackward0");
}
Tensor mean(const Tensor& x, Dims dims, bool keepdim, std::optional<DType> dtype) {
  check_defined(x, "mean");
  return mean_impl(x, reduced_dims(x, dims.dims, "mean"), keepdim, dtype);
}

Tensor prod(const Tensor& x, std::optional<DType> dtype) {
  check_defined(x, "prod");
  return sum_like(ReduceOp::kProd, x, all_dims(x), false, dtype, "ProdBackward0");
}
Tensor prod(const Tensor& x, int64_t dim, bool keepdim, std::optional<DType> dtype) {
  check_defined(x, "prod");
  return sum_like(ReduceOp::kProd, x, one_dim(x, dim, "prod"), keepdim, dtype);
}

Tensor max(const Tensor& x) { return extremum_all(ReduceOp::kMax, x, "max"); }
Tensor min(const Tensor& x) { return extremum_all(ReduceOp::kMin, x, "min"); }
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extremum_dim(ReduceOp::kArgMax, x, dim, keepdim, "max");
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extremum_dim(ReduceOp::kArgMin, x, dim, keepdim, "min");
}
Tensor amax(const Tensor& x, Dims dims, bool keepdim) { return extremum_dims(ReduceOp::kMax, x, dims, keepdim, "amax"); }
Tensor amin(const Tensor& x, Dims dims, bool keepdim) { return extremum_dims(ReduceOp::kMin, x, dims, keepdim, "amin"); }
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extremum(ReduceOp::kArgMax, x, dim, keepdim, "argmax");
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extremum(ReduceOp::kArgMin, x, dim, keepdim, "argmin");
}

Tensor var(const Tensor& x) { return var(x, Dims(IntArrayRef()), 1, false); }
Tensor var(const Tensor& x, Dims dims, double correction, bool keepdim) {
  check_defined(x, "var");
  return var_impl(ReduceOp::kVar, x, reduced_dims(x, dims.dims, "var"), correction, keepdim, "var");
}
Tensor std(const Tensor& x) { return std(x, Dims(IntArrayRef()), 1, false); }
Tensor std(const Tensor& x, Dims dims, double correction, bool keepdim) {
  check_defined(x, "std");
  return var_impl(ReduceOp::kStd, x, reduced_dims(x, dims.dims, "std"), correction, keepdim, "std");
}

Tensor norm(const Tensor& x, double p) {
  check_defined(x, "norm");
  return norm_impl(x, p, all_dims(x), false);
}
Tensor norm(const Tensor& x, double p, Dims dims, bool keepdim) {
  check_defined(x, "norm");
  return norm_impl(x, p, reduced_dims(x, dims.dims, "norm"), keepdim);
}

Tensor all(const Tensor& x) {
  check_defined(x, "all");
  return logical_impl(ReduceOp::kAll, x, all_dims(x), false);
}
Tensor all(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined(x, "all");
  return logical_impl(ReduceOp::kAll, x, one_dim(x, dim, "all"), keepdim);
}
Tensor any(const Tensor& x) {
  check_defined(x, "any");
  return logical_impl(ReduceOp::kAny, x, all_dims(x), false);
}
Tensor any(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined(x, "any");
  return logical_impl(ReduceOp::kAny, x, one_dim(x, dim, "any"), keepdim);
}

// Integer and bool inputs give the default float dtype, as in PyTorch.
Tensor logsumexp(const Tensor& x, Dims dims, bool keepdim) {
  check_defined(x, "logsumexp");
  const Tensor in = is_floating(x.dtype()) ? x : x.to(kFloat32);
  return reduce(ReduceOp::kLogSumExp, in, reduced_dims(x, dims.dims, "logsumexp"), keepdim, in.dtype());
}

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return scan_impl(ScanOp::kSum, x, dim, dtype, "cumsum");
}
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return scan_impl(ScanOp::kProd, x, dim, dtype, "cumprod");
}

Tensor softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) { return softmax_impl(x, dim, dtype, false); }
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<DType> dtype) { return softmax_impl(x, dim, dtype, true); }

Tensor Tensor::sum(std::optional<DType> dtype) const { return nabla::sum(*this, dtype); }
Tensor Tensor::sum(Dims dims, bool keepdim, std::optional<DType> dtype) const {
  return nabla::sum(*this, std::move(dims), keepdim, dtype);
}
Tensor Tensor::mean(std::optional<DType> dtype) const { return nabla::mean(*this, dtype); }
Tensor Tensor::mean(Dims dims, bool keepdim, std::optional<DType> dtype) const {
  return nabla::mean(*this, std::move(dims), keepdim, dtype);
}
Tensor Tensor::prod(std::optional<DType> dtype) const { return nabla::prod(*this, dtype); }
Tensor Tensor::prod(int64_t dim, bool keepdim, std::optional<DType> dtype) const {
  return nabla::prod(*this, dim, keepdim, dtype);
}
Tensor Tensor::max() const { return nabla::max(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return nabla::max(*this, dim, keepdim); }
Tensor Tensor::min() const { return nabla::min(*this); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return nabla::min(*this, dim, keepdim); }
Tensor Tensor::amax(Dims dims, bool keepdim) const { return nabla::amax(*this, std::move(dims), keepdim); }
Tensor Tensor::amin(Dims dims, bool keepdim) const { return nabla::amin(*this, std::move(dims), keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return nabla::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return nabla::argmin(*this, dim, keepdim); }
Tensor Tensor::var() const { return nabla::var(*this); }
Tensor Tensor::var(Dims dims, double correction, bool keepdim) const {
  return nabla::var(*this, std::move(dims), correction, keepdim);
}
Tensor Tensor::std() const { return nabla::std(*this); }
Tensor Tensor::std(Dims dims, double correction, bool keepdim) const {
  return nabla::std(*this, std::move(dims), correction, keepdim);
}
Tensor Tensor::norm(double p) const { return nabla::norm(*this, p); }
Tensor Tensor::norm(double p, Dims dims, bool keepdim) const { return nabla::norm(*this, p, std::move(dims), keepdim); }
Tensor Tensor::all() const { return nabla::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return nabla::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return nabla::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return nabla::any(*this, dim, keepdim); }
Tensor Tensor::logsumexp(Dims dims, bool keepdim) const { return nabla::logsumexp(*this, std::move(dims), keepdim); }
Tensor Tensor::cumsum(int64_t dim, std::optional<DType> dtype) const { return nabla::cumsum(*this, dim, dtype); }
Tensor Tensor::cumprod(int64_t dim, std::optional<DType> dtype) const { return nabla::cumprod(*this, dim, dtype); }
Tensor Tensor::softmax(int64_t dim, std::optional<DType> dtype) const { return nabla::softmax(*this, dim, dtype); }
Tensor Tensor::log_softmax(int64_t dim, std::optional<DType> dtype) const {
  return nabla::log_softmax(*this, dim, dtype);
}

}  // namespace nabla
