// rand, randn, randint, randperm, *_like, bernoulli and the in-place random fills, with
// PyTorch 1.13's checks and range arithmetic; the kernels (src/cpu/random.cpp) draw the values.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/float_traits.hpp"
#include "core/kernels/random.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

Generator& resolve(Generator* gen) { return gen ? *gen : default_generator(); }

template <typename T> inline constexpr int kDigits =
    std::is_same_v<T, double> ? 53 : std::is_same_v<T, float> ? 24 : std::is_same_v<T, Half> ? 11 : 8;

// Runs `fill(impl)` on self's device; a device without random kernels (CUDA) gets the values
// drawn on the CPU and copied over.
template <typename Slot, typename Fill>
void fill_on_device(Tensor& self, const Slot& slot, const Fill& fill) {
  if (self.numel() == 0) return;
  if (self.device().is_cpu() || slot.has(self.device().type)) {
    fill(*self.impl(), self.device());
    return;
  }
  Tensor staged = make_empty(self.sizes(), self.dtype(), Device(kCPU));
  fill(*staged.impl(), staged.device());
  self.copy_(staged);
}

void check_floating(const Tensor& t, const char* op) {
  NB_CHECK(t.is_floating_point(), RuntimeError, op, ": expected a floating point tensor, but got dtype ",
           dtype_name(t.dtype()));
}

// PyTorch's update_from / update_to: moves a bound inward to the nearest integer that survives
// the cast to T, so that casting a drawn integer never lands outside [from, to).
template <typename T>
int64_t cast_through(int64_t v) {
  if constexpr (std::is_same_v<T, double>) return int64_t(double(v));
  else return int64_t(float(T(float(v))));
}
template <typename T>
int64_t update_from(int64_t from) {
  const int64_t from_plus_1 = cast_through<T>(from + 1);
  if (from_plus_1 < from) {
    int64_t a = std::abs(from + 1);
    int n = 0;
    while (a >>= 1) ++n;
    from = from_plus_1 + (int64_t(1) << (n - kDigits<T> + 1));
  }
  return from;
}
template <typename T>
int64_t update_to(int64_t to) {
  const int64_t to_minus_1 = cast_through<T>(to - 1);
  if (to_minus_1 >= to) {
    int64_t a = std::abs(to - 1);
    int n = 0;
    while (a >>= 1) ++n;
    to = to_minus_1 - (int64_t(1) << (n - kDigits<T> + 1));
  }
  return to;
}

void check_from_to_in_range(int64_t from, int64_t to_inc, DType dtype) {
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    double lo, hi;
    if constexpr (kIsFloat<T>) {
      lo = -max_finite<T>();
      hi = max_finite<T>();
    } else {
      lo = double(std::numeric_limits<T>::lowest());
      hi = double(std::numeric_limits<T>::max());
    }
    NB_CHECK(double(from) >= lo && double(from) <= hi, RuntimeError, "random_: from is out of bounds for ", dtype_name(dtype));
    NB_CHECK(double(to_inc) >= lo && double(to_inc) <= hi, RuntimeError, "random_: to - 1 is out of bounds for ",
             dtype_name(dtype));
  });
}

// The dtype's largest integer that random_(from) may produce (PyTorch's to_inc).
int64_t default_to_inc(DType dtype, int64_t& from) {
  return visit_dtype(dtype, [&](auto tag) -> int64_t {
    using T = typename decltype(tag)::type;
    if constexpr (kIsFloat<T>) {
      const int64_t to_inc = int64_t(1) << kDigits<T>;
      from = update_from<T>(from);
      NB_CHECK(from < to_inc, RuntimeError, "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
               "casted to dtype, but got from=", from, " > to_inc=", to_inc);
      return to_inc;
    } else if constexpr (std::is_same_v<T, bool>) {
      return 1;
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      return std::numeric_limits<int64_t>::max();
    } else {
      return int64_t(std::numeric_limits<T>::max());
    }
  });
}

void finish(Tensor& t, const TensorOptions& o) {
  if (o.requires_grad_) t.requires_grad_(true);
}

// empty_like with PyTorch's preserve_format: a non-overlapping, dense input's strides are kept
// (so the draws land in the same memory order as torch's); anything else gets contiguous strides.
Tensor empty_preserving_strides(const Tensor& t) {
  const int64_t nd = t.dim();
  DimVector order;
  for (int64_t d = 0; d < nd; ++d)
    if (t.size(d) > 1) order.push_back(d);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return t.stride(a) < t.stride(b); });
  int64_t expected = 1;
  for (int64_t d : order) {
    if (t.stride(d) != expected) return make_empty(t.sizes(), t.dtype(), t.device());
    expected *= t.size(d);
  }
  return make_empty({t.numel()}, t.dtype(), t.device()).as_strided(t.sizes(), t.strides(), 0);
}

}  // namespace

Tensor& Tensor::uniform_(double from, double to, Generator* gen) {
  check_defined(*this, "uniform_");
  check_floating(*this, "uniform_");
  visit_dtype(dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kIsFloat<T>) {
      const double hi = max_finite<T>();
      NB_CHECK(from >= -hi && from <= hi, RuntimeError, "uniform_: from is out of bounds for ", dtype_name(dtype()));
      NB_CHECK(to >= -hi && to <= hi, RuntimeError, "uniform_: to is out of bounds for ", dtype_name(dtype()));
      NB_CHECK(from <= to, RuntimeError, "uniform_ expects to return a [from, to) range, but found from=", from,
               " > to=", to);
      NB_CHECK(to - from <= hi, RuntimeError, "uniform_ expects to-from <= the largest ", dtype_name(dtype()),
               ", but found to=", to, " and from=", from);
    }
  });
  begin_write(*this, "uniform_");
  Generator& g = resolve(gen);
  fill_on_device(*this, uniform_kernel, [&](TensorImpl& t, Device d) { uniform_kernel(d)(t, from, to, g); });
  return *this;
}

Tensor& Tensor::normal_(double mean, double std, Generator* gen) {
  check_defined(*this, "normal_");
  check_floating(*this, "normal_");
  NB_CHECK(std >= 0.0, RuntimeError, "normal_ expects std >= 0.0, but found std ", std);
  begin_write(*this, "normal_");
  Generator& g = resolve(gen);
  fill_on_device(*this, normal_kernel, [&](TensorImpl& t, Device d) { normal_kernel(d)(t, mean, std, g); });
  return *this;
}

Tensor& Tensor::random_(int64_t from, std::optional<int64_t> to, Generator* gen) {
  check_defined(*this, "random_");
  uint64_t range = 0;  // 0: the full 64-bit range
  if (to) {
    int64_t end = *to;
    NB_CHECK(from < end, RuntimeError, "random_ expects 'from' to be less than 'to', but got from=", from, " >= to=", end);
    visit_dtype(dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (kIsFloat<T>) {
        from = update_from<T>(from);
        end = update_to<T>(end);
        NB_CHECK(from < end, RuntimeError, "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, "
                 "but got from=", from, " >= to=", end);
      }
    });
    check_from_to_in_range(from, end - 1, dtype());
    range = uint64_t(end) - uint64_t(from);
  } else if (from != std::numeric_limits<int64_t>::min()) {
    const int64_t to_inc = default_to_inc(dtype(), from);
    check_from_to_in_range(from, to_inc, dtype());
    range = uint64_t(to_inc) - uint64_t(from) + 1;
  } else {
    const DType d = dtype();
    NB_CHECK(d == kInt64 || d == kFloat64 || d == kFloat32 || d == kBFloat16, RuntimeError,
             "random_ over the full int64 range handles only int64, float64, float32 and bfloat16, got ", dtype_name(d));
  }
  begin_write(*this, "random_");
  Generator& g = resolve(gen);
  fill_on_device(*this, random_from_to_kernel,
                 [&](TensorImpl& t, Device d) { random_from_to_kernel(d)(t, range, from, g); });
  return *this;
}

Tensor& Tensor::bernoulli_(double p, Generator* gen) {
  check_defined(*this, "bernoulli_");
  NB_CHECK(p >= 0 && p <= 1, RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=", p);
  begin_write(*this, "bernoulli_");
  Generator& g = resolve(gen);
  fill_on_device(*this, bernoulli_scalar_kernel, [&](TensorImpl& t, Device d) { bernoulli_scalar_kernel(d)(t, p, g); });
  return *this;
}

Tensor rand(IntArrayRef sizes, const TensorOptions& options, Generator* gen) {
  Tensor t = empty(sizes, TensorOptions(options.dtype_or(kFloat32)).device(options.device_));
  t.uniform_(0, 1, gen);
  finish(t, options);
  return t;
}

Tensor randn(IntArrayRef sizes, const TensorOptions& options, Generator* gen) {
  Tensor t = empty(sizes, TensorOptions(options.dtype_or(kFloat32)).device(options.device_));
  t.normal_(0, 1, gen);
  finish(t, options);
  return t;
}

Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, const TensorOptions& options, Generator* gen) {
  NB_CHECK(low < high, RuntimeError, "randint: expected low < high, but got low=", low, " >= high=", high,
           " for size ", shape_str(sizes));
  Tensor t = empty(sizes, TensorOptions(options.dtype_or(kInt64)).device(options.device_));
  t.random_(low, high, gen);
  finish(t, options);
  return t;
}

Tensor randint(int64_t high, IntArrayRef sizes, const TensorOptions& options, Generator* gen) {
  return randint(0, high, sizes, options, gen);
}

Tensor randperm(int64_t n, const TensorOptions& options, Generator* gen) {
  NB_CHECK(n >= 0, RuntimeError, "randperm: n must be non-negative, got ", n);
  const DType dtype = options.dtype_or(kInt64);
  NB_CHECK(dtype != kBool && dtype != kBFloat16, RuntimeError, "randperm: not implemented for dtype ", dtype_name(dtype));
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kIsFloat<T>) {
      NB_CHECK(n <= (int64_t(1) << kDigits<T>) + 1, RuntimeError, "randperm: n cannot be greater than 2^", kDigits<T>,
               "+1 for ", dtype_name(dtype), " type");
    }
  });
  Tensor t = empty({n}, TensorOptions(dtype).device(options.device_));
  Generator& g = resolve(gen);
  fill_on_device(t, randperm_kernel, [&](TensorImpl& impl, Device d) { randperm_kernel(d)(impl, g); });
  finish(t, options);
  return t;
}

Tensor rand_like(const Tensor& t, Generator* gen) {
  check_defined(t, "rand_like");
  Tensor out = empty_preserving_strides(t);
  out.uniform_(0, 1, gen);
  return out;
}

Tensor randn_like(const Tensor& t, Generator* gen) {
  check_defined(t, "randn_like");
  Tensor out = empty_preserving_strides(t);
  out.normal_(0, 1, gen);
  return out;
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  check_defined(p, "bernoulli");
  check_floating(p, "bernoulli");
  Tensor out = make_empty(p.sizes(), p.dtype(), p.device());
  if (out.numel() == 0) return out;
  NB_CHECK(logical_and(ge(p, 0), le(p, 1)).all().item<bool>(), RuntimeError,
           "bernoulli: every probability in p must be in [0, 1] (got a value outside it, or NaN); clamp p first");
  Generator& g = resolve(gen);
  if (p.device().is_cpu() || bernoulli_tensor_kernel.has(p.device().type)) {
    bernoulli_tensor_kernel(p.device())(*out.impl(), *p.impl(), g);
    return out;
  }
  Tensor p_cpu = p.cpu();
  Tensor staged = make_empty(p.sizes(), p.dtype(), Device(kCPU));
  bernoulli_tensor_kernel(Device(kCPU))(*staged.impl(), *p_cpu.impl(), g);
  out.copy_(staged);
  return out;
}

}  // namespace nabla
