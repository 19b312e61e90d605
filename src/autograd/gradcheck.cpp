// gradcheck: analytical gradients (one backward per output element) against central differences.
#include <cmath>

#include "autograd/meta.hpp"
#include "core/check.hpp"
#include "nabla/creation.hpp"
#include "nabla/ops.hpp"
#include "nabla/random.hpp"

namespace nabla::autograd {
namespace {

using Fn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

// The address of the k-th element (row-major order) of a float64 tensor of any strides.
double* element(const Tensor& t, int64_t k) {
  int64_t offset = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    const int64_t size = t.sizes()[size_t(d)];
    offset += (k % size) * t.strides()[size_t(d)];
    k /= size;
  }
  return t.impl()->data_as<double>() + offset;
}

std::vector<Tensor> differentiable_outputs(const std::vector<Tensor>& outputs) {
  std::vector<Tensor> out;
  for (const Tensor& o : outputs)
    if (o.defined() && is_floating(o.dtype())) out.push_back(o);
  return out;
}

// Jacobian columns by finite differences: d outputs / d inputs[i][k].
// Writes the perturbation straight into memory: no in-place op, so no version bump and no graph.
std::vector<double> numerical_column(const Fn& fn, const std::vector<Tensor>& inputs, size_t i, int64_t k, double eps) {
  double* x = element(inputs[i], k);
  const double original = *x;
  auto flat = [](const std::vector<Tensor>& outs) {
    std::vector<double> v;
    for (const Tensor& o : differentiable_outputs(outs)) {
      Tensor c = o.to(kFloat64).contiguous();
      v.insert(v.end(), c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    }
    return v;
  };
  *x = original + eps;
  std::vector<double> plus = flat(fn(inputs));
  *x = original - eps;
  std::vector<double> minus = flat(fn(inputs));
  *x = original;
  for (size_t j = 0; j < plus.size(); ++j) plus[j] = (plus[j] - minus[j]) / (2 * eps);
  return plus;
}

}  // namespace

bool gradcheck(const Fn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  std::vector<Tensor> wrt;
  std::vector<size_t> wrt_index;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad()) continue;
    NB_CHECK(inputs[i].dtype() == kFloat64, ValueError, "gradcheck: input ", i, " has dtype ",
             dtype_name(inputs[i].dtype()), "; finite differences need float64 inputs (x.to(nabla::kFloat64))");
    wrt.push_back(inputs[i]);
    wrt_index.push_back(i);
  }
  NB_CHECK(!wrt.empty(), ValueError, "gradcheck: no input requires grad");

  std::vector<Tensor> outputs = differentiable_outputs(fn(inputs));
  // analytical[w][k][j]: d output-element j / d wrt[w][k]
  std::vector<std::vector<std::vector<double>>> analytical(wrt.size());
  for (size_t w = 0; w < wrt.size(); ++w) analytical[w].assign(size_t(wrt[w].numel()), {});
  for (const Tensor& out : outputs) {
    for (int64_t j = 0; j < out.numel(); ++j) {
      std::vector<Tensor> grads;
      if (out.requires_grad()) {
        Tensor seed = zeros_like(out);
        seed.view({-1})[j].fill_(1);
        grads = autograd::grad({out}, wrt, {seed}, /*retain_graph=*/true, options.check_second_order,
                               /*allow_unused=*/true);
      } else {
        grads.resize(wrt.size());
      }
      for (size_t w = 0; w < wrt.size(); ++w) {
        Tensor g = grads[w].defined() ? grads[w].to(kFloat64).contiguous() : zeros_like(wrt[w]).contiguous();
        NB_CHECK(g.sizes() == wrt[w].sizes(), RuntimeError, "gradcheck: the gradient for input ", wrt_index[w],
                 " has shape ", shape_str(g.sizes()), " but the input has shape ", shape_str(wrt[w].sizes()));
        const double* p = g.data_ptr<double>();
        for (int64_t k = 0; k < g.numel(); ++k) analytical[w][size_t(k)].push_back(p[k]);
      }
    }
  }
  for (size_t w = 0; w < wrt.size(); ++w) {
    for (int64_t k = 0; k < wrt[w].numel(); ++k) {
      std::vector<double> numeric = numerical_column(fn, inputs, wrt_index[w], k, options.eps);
      const std::vector<double>& exact = analytical[w][size_t(k)];
      NB_CHECK(numeric.size() == exact.size(), RuntimeError, "gradcheck: the function's outputs changed size");
      for (size_t j = 0; j < exact.size(); ++j) {
        NB_CHECK(std::abs(exact[j] - numeric[j]) <= options.atol + options.rtol * std::abs(numeric[j]), RuntimeError,
                 "gradcheck: Jacobian mismatch for output element ", j, " with respect to input ", wrt_index[w],
                 ", element ", k, ": analytical ", exact[j], " vs numerical ", numeric[j]);
      }
    }
  }
  if (!options.check_second_order) return true;

  // gradgradcheck: the map (inputs) -> (vector-Jacobian products with fixed random cotangents).
  std::vector<Tensor> cotangents;
  for (const Tensor& o : outputs) cotangents.push_back(randn(o.sizes(), TensorOptions(kFloat64)));
  Fn vjp = [&](const std::vector<Tensor>& xs) {
    std::vector<Tensor> outs = differentiable_outputs(fn(xs));
    std::vector<Tensor> roots, seeds, wrt_now;
    for (size_t o = 0; o < outs.size(); ++o) {
      if (outs[o].requires_grad()) { roots.push_back(outs[o]); seeds.push_back(cotangents[o]); }
    }
    for (size_t idx : wrt_index) wrt_now.push_back(xs[idx]);
    if (roots.empty()) return std::vector<Tensor>{};
    std::vector<Tensor> g = autograd::grad(roots, wrt_now, seeds, true, /*create_graph=*/true, /*allow_unused=*/true);
    std::vector<Tensor> defined;
    for (Tensor& t : g)
      if (t.defined()) defined.push_back(t);
    return defined;
  };
  GradcheckOptions first = options;
  first.check_second_order = false;
  return gradcheck(vjp, inputs, first);
}

}  // namespace nabla::autograd
