// Reductions, scans and softmax: PyTorch's dims, dtype and error rules, then the reduce, scan
// and softmax kernels (Note [Reduction kernels]) do the work.
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

Tensor reduce(ReduceOp op, const Tensor& x, const DimVector& mask, bool keepdim, DType out_dtype,
              const ReduceArgs& args = {}) {
  const ReducedShape shape(x, mask, keepdim);
  Tensor out = make_empty(shape.keep, out_dtype, x.device());
  reduce_kernel(x.device())(op, *x.impl(), out.impl(), nullptr, args);
  return out.view(shape.result);
}

// Values and int64 indices of the first extremum (argmax/argmin and max/min with a dim).
std::tuple<Tensor, Tensor> reduce_with_indices(ReduceOp op, const Tensor& x, const DimVector& mask, bool keepdim,
                                               bool want_values) {
  const ReducedShape shape(x, mask, keepdim);
  Tensor values = want_values ? make_empty(shape.keep, x.dtype(), x.device()) : Tensor();
  Tensor indices = make_empty(shape.keep, kInt64, x.device());
  reduce_kernel(x.device())(op, *x.impl(), want_values ? values.impl() : nullptr, indices.impl(), {});
  return {want_values ? values.view(shape.result) : values, indices.view(shape.result)};
}

// sum and prod give int64 for bool and integer inputs.
DType accumulated_dtype(DType t) { return is_integral(t, true) ? kInt64 : t; }

// sum/prod: dtype= casts the input first; the result has that dtype.
Tensor sum_like(ReduceOp op, const Tensor& x, const DimVector& mask, bool keepdim, std::optional<DType> dtype) {
  const Tensor in = dtype ? x.to(*dtype) : x;
  Tensor r = reduce(op, in, mask, keepdim, accumulated_dtype(in.dtype()));
  return dtype ? r.to(*dtype) : r;
}

Tensor mean_impl(const Tensor& x, const DimVector& mask, bool keepdim, std::optional<DType> dtype) {
  NB_CHECK(dtype || is_floating(x.dtype()), RuntimeError,
           "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
           "Got: ", dtype_name(x.dtype()), ". Convert the input with .to(nabla::kFloat32) or pass dtype=nabla::kFloat32");
  NB_CHECK(!dtype || is_floating(*dtype), RuntimeError,
           "mean(): could not infer output dtype. Optional dtype must be either a floating point or complex dtype. "
           "Got: ", dtype_name(*dtype), ". Pass dtype=nabla::kFloat32");
  const Tensor in = dtype ? x.to(*dtype) : x;
  return reduce(ReduceOp::kMean, in, mask, keepdim, in.dtype());
}

Tensor extremum_all(ReduceOp op, const Tensor& x, const char* name) {
  check_defined(x, name);
  NB_CHECK(x.numel() > 0, RuntimeError, name,
           "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the "
           "'dim' argument.");
  return reduce(op, x, all_dims(x), false, x.dtype());
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

Tensor scan_impl(ScanOp op, const Tensor& x, int64_t dim, std::optional<DType> dtype, const char* name) {
  check_defined(x, name);
  const Tensor in = dtype ? x.to(*dtype) : x;
  Tensor r = along_dim(in, dim, name, accumulated_dtype(in.dtype()), [&](const TensorImpl& i, TensorImpl& o, int64_t d) {
    scan_kernel(in.device())(op, i, o, d);
  });
  return dtype ? r.to(*dtype) : r;
}

Tensor softmax_impl(const Tensor& x, int64_t dim, std::optional<DType> dtype, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_defined(x, name);
  const Tensor in = dtype ? x.to(*dtype) : x;
  NB_CHECK(is_floating(in.dtype()), RuntimeError, name, "(): expected a floating point input, got ",
           dtype_name(in.dtype()), "; pass dtype=nabla::kFloat32 or convert the input with .to(nabla::kFloat32)");
  return along_dim(in, dim, name, in.dtype(), [&](const TensorImpl& i, TensorImpl& o, int64_t d) {
    softmax_kernel(in.device())(i, o, d, log);
  });
}

}  // namespace

Tensor sum(const Tensor& x, std::optional<DType> dtype) {
  check_defined(x, "sum");
  return sum_like(ReduceOp::kSum, x, all_dims(x), false, dtype);
}
Tensor sum(const Tensor& x, Dims dims, bool keepdim, std::optional<DType> dtype) {
  check_defined(x, "sum");
  return sum_like(ReduceOp::kSum, x, reduced_dims(x, dims.dims, "sum"), keepdim, dtype);
}

Tensor mean(const Tensor& x, std::optional<DType> dtype) {
  check_defined(x, "mean");
  return mean_impl(x, all_dims(x), false, dtype);
}
Tensor mean(const Tensor& x, Dims dims, bool keepdim, std::optional<DType> dtype) {
  check_defined(x, "mean");
  return mean_impl(x, reduced_dims(x, dims.dims, "mean"), keepdim, dtype);
}

Tensor prod(const Tensor& x, std::optional<DType> dtype) {
  check_defined(x, "prod");
  return sum_like(ReduceOp::kProd, x, all_dims(x), false, dtype);
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

Tensor var(const Tensor& x, double correction) {
  check_defined(x, "var");
  return var_impl(ReduceOp::kVar, x, all_dims(x), correction, false, "var");
}
Tensor var(const Tensor& x, Dims dims, double correction, bool keepdim) {
  check_defined(x, "var");
  return var_impl(ReduceOp::kVar, x, reduced_dims(x, dims.dims, "var"), correction, keepdim, "var");
}
Tensor std(const Tensor& x, double correction) {
  check_defined(x, "std");
  return var_impl(ReduceOp::kStd, x, all_dims(x), correction, false, "std");
}
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
Tensor Tensor::var(double correction) const { return nabla::var(*this, correction); }
Tensor Tensor::var(Dims dims, double correction, bool keepdim) const {
  return nabla::var(*this, std::move(dims), correction, keepdim);
}
Tensor Tensor::std(double correction) const { return nabla::std(*this, correction); }
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
