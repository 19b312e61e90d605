#pragma once
// Random fills. Every kernel draws from the generator it is given, under the generator's mutex,
// in the order PyTorch's CPU kernels draw, so that a seed gives PyTorch's numbers.
#include "core/dispatch.hpp"
#include "nabla/core/tensor_impl.hpp"
#include "nabla/random.hpp"

namespace nabla {

// self[...] = uniform in [from, to); self is a floating tensor, any strides.
using UniformFn = void (*)(TensorImpl& self, double from, double to, Generator& gen);
// self[...] = normal(mean, std); self is a floating tensor, any strides.
using NormalFn = void (*)(TensorImpl& self, double mean, double std, Generator& gen);
// self[...] = base + draw % range; range == 0 stands for the full 2^64 range (base ignored).
using RandomFromToFn = void (*)(TensorImpl& self, uint64_t range, int64_t base, Generator& gen);
// out (1-D, n elements, any dtype that holds n) = a random permutation of 0..n-1.
using RandpermFn = void (*)(TensorImpl& out, Generator& gen);
// self[...] = (uniform < p) with a scalar p.
using BernoulliScalarFn = void (*)(TensorImpl& self, double p, Generator& gen);
// self[...] = (uniform < p[...]); p is a floating tensor of self's shape (possibly expanded).
using BernoulliTensorFn = void (*)(TensorImpl& self, const TensorImpl& p, Generator& gen);

inline constinit KernelSlot<UniformFn> uniform_kernel("uniform");
inline constinit KernelSlot<NormalFn> normal_kernel("normal");
inline constinit KernelSlot<RandomFromToFn> random_from_to_kernel("random_from_to");
inline constinit KernelSlot<RandpermFn> randperm_kernel("randperm");
inline constinit KernelSlot<BernoulliScalarFn> bernoulli_scalar_kernel("bernoulli_scalar");
inline constinit KernelSlot<BernoulliTensorFn> bernoulli_tensor_kernel("bernoulli_tensor");

}  // namespace nabla
