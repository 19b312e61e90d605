// nn::functional: pad, conv2d and max_pool2d from differentiable core ops. Both window ops address
// the image through precomputed flat offsets: conv2d gathers the windows into columns with one
// index_select (im2col) and multiplies them by the filters in one batched GEMM; max_pool2d finds
// where each window's maximum is without recording a graph, then gathers it (one scatter in backward).
#include <limits>

#include "nabla/autograd.hpp"
#include "nabla/creation.hpp"
#include "nabla/nn/functional.hpp"
#include "nabla/ops.hpp"
#include "nn/common.hpp"

namespace nabla::nn::functional {
namespace {

std::string pair_str(IntPair p) {
  std::string s = "(";  // appended piecewise: GCC 12 misreports "(" + std::to_string(...) (-Wrestrict)
  s += std::to_string(p.h) + " x " + std::to_string(p.w) + ")";
  return s;
}

void check_positive(IntPair p, const char* op, const char* what, int64_t min) {
  NB_CHECK(p.h >= min && p.w >= min, RuntimeError, op, ": ", what, " must be ", min ? "positive" : "non-negative",
           ", got ", pair_str(p));
}

// Output size of a window op along one dim; 0 when the window does not fit.
int64_t windows_along(int64_t size, int64_t pad, int64_t kernel, int64_t stride, int64_t dilation) {
  const int64_t span = dilation * (kernel - 1) + 1;
  return size + 2 * pad >= span ? (size + 2 * pad - span) / stride + 1 : 0;
}

// Flat offsets into an (height, width) image of every window element: entry (k, oh, ow) for window
// offset k = (i, j) is row * width + col with row = oh * sH + i * dH - pH, col = ow * sW + j * dW - pW,
// or `outside` where that falls in the padding. Shape (kH * kW, oH, oW), int64.
Tensor window_offsets(int64_t height, int64_t width, IntPair kernel, IntPair stride, IntPair padding,
                      IntPair dilation, int64_t outside, Device device) {
  const int64_t out_h = windows_along(height, padding.h, kernel.h, stride.h, dilation.h);
  const int64_t out_w = windows_along(width, padding.w, kernel.w, stride.w, dilation.w);
  Tensor offsets = empty({kernel.h * kernel.w, out_h, out_w}, kInt64);
  int64_t* p = offsets.data_ptr<int64_t>();
  for (int64_t i = 0; i < kernel.h; ++i)
    for (int64_t j = 0; j < kernel.w; ++j)
      for (int64_t oh = 0; oh < out_h; ++oh) {
        const int64_t row = oh * stride.h + i * dilation.h - padding.h;
        for (int64_t ow = 0; ow < out_w; ++ow) {
          const int64_t col = ow * stride.w + j * dilation.w - padding.w;
          *p++ = row >= 0 && row < height && col >= 0 && col < width ? row * width + col : outside;
        }
      }
  return device.is_cpu() ? offsets : offsets.to(device);
}

}  // namespace

Tensor pad(const Tensor& input, IntArrayRef pad, double value) {
  detail::check_defined(input, "pad");
  NB_CHECK(pad.size() % 2 == 0 && int64_t(pad.size()) <= 2 * input.dim(), ValueError,
           "pad: padding length must be even and at most twice the number of dims (", input.dim(), "), got ",
           pad.size(), " values");
  Tensor out = input;
  for (size_t i = 0; i < pad.size() / 2; ++i) {
    const int64_t dim = input.dim() - 1 - int64_t(i), before = pad[2 * i], after = pad[2 * i + 1];
    const int64_t size = out.size(dim);
    NB_CHECK(size + std::min<int64_t>(before, 0) + std::min<int64_t>(after, 0) >= 0, ValueError, "pad: cropping ",
             -std::min<int64_t>(before, 0) - std::min<int64_t>(after, 0), " from dim ", dim, " of size ", size,
             " leaves nothing");
    if (before < 0 || after < 0) {
      const int64_t start = std::max<int64_t>(-before, 0);
      out = out.narrow(dim, start, size - start - std::max<int64_t>(-after, 0));
    }
    if (before <= 0 && after <= 0) continue;
    std::vector<Tensor> parts;
    DimVector shape = out.sizes();
    if (before > 0) shape[dim] = before, parts.push_back(full(shape, value, out.options()));
    parts.push_back(out);
    if (after > 0) shape[dim] = after, parts.push_back(full(shape, value, out.options()));
    out = cat(parts, dim);
  }
  return out;
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntPair stride, IntPair padding,
              IntPair dilation, int64_t groups) {
  detail::check_defined(input, "conv2d");
  detail::check_defined(weight, "conv2d", "weight");
  NB_CHECK(input.dim() == 3 || input.dim() == 4, RuntimeError,
           "conv2d: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of size ",
           detail::list_str(input.sizes()));
  NB_CHECK(weight.dim() == 4, RuntimeError, "conv2d: expected 4-D weight (out_channels, in_channels / groups, kH, kW), got ",
           detail::list_str(weight.sizes()));
  NB_CHECK(groups >= 1, RuntimeError, "conv2d: non-positive groups is not supported (got ", groups, ")");
  check_positive(stride, "conv2d", "stride", 1);
  check_positive(dilation, "conv2d", "dilation", 1);
  check_positive(padding, "conv2d", "padding", 0);
  const Tensor x = input.dim() == 3 ? input.unsqueeze(0) : input;
  const int64_t batch = x.size(0), channels = x.size(1), out_channels = weight.size(0);
  const int64_t group_channels = weight.size(1);
  const IntPair kernel{weight.size(2), weight.size(3)};
  NB_CHECK(channels == group_channels * groups, RuntimeError, "Given groups=", groups, ", weight of size ",
           detail::list_str(weight.sizes()), ", expected input", detail::list_str(input.sizes()), " to have ",
           group_channels * groups, " channels, but got ", channels, " channels instead");
  NB_CHECK(out_channels % groups == 0, RuntimeError, "Given groups=", groups, ", expected weight to be divisible by ",
           groups, " at dimension 0, but got weight of size ", detail::list_str(weight.sizes()), " instead");
  NB_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out_channels), RuntimeError, "Given weight of size ",
           detail::list_str(weight.sizes()), ", expected bias to be 1-dimensional with ", out_channels,
           " elements, but got bias of size ", detail::list_str(bias.sizes()), " instead");
  const IntPair padded{x.size(2) + 2 * padding.h, x.size(3) + 2 * padding.w};
  const IntPair span{dilation.h * (kernel.h - 1) + 1, dilation.w * (kernel.w - 1) + 1};
  NB_CHECK(padded.h >= span.h && padded.w >= span.w, RuntimeError, "Calculated padded input size per channel: ",
           pair_str(padded), ". Kernel size: ", pair_str(span), ". Kernel size can't be greater than actual input size");

  // im2col as one index_select over the flattened image (padding reads a zero appended to each row):
  // columns (N, groups, C/groups * kH * kW, oH * oW), then (groups, O/groups, patch) @ columns.
  const int64_t height = x.size(2), width = x.size(3);
  const Tensor offsets = window_offsets(height, width, kernel, stride, padding, dilation, height * width, x.device());
  const int64_t out_h = offsets.size(1), out_w = offsets.size(2);
  Tensor flat = x.flatten(2);
  if (!(padding == IntPair(0))) flat = cat({flat, zeros({batch, channels, 1}, x.options())}, 2);
  const int64_t patch = group_channels * kernel.h * kernel.w;
  const Tensor columns = flat.index_select(2, offsets.view({-1})).view({batch, groups, patch, out_h * out_w});
  Tensor out = matmul(weight.reshape({groups, out_channels / groups, patch}), columns);
  out = out.view({batch, out_channels, out_h, out_w});
  if (bias.defined()) out = out + bias.view({out_channels, 1, 1});
  return input.dim() == 3 ? out.squeeze(0) : out;
}

Tensor max_pool2d(const Tensor& input, IntPair kernel_size, std::optional<IntPair> stride_opt, IntPair padding,
                  IntPair dilation) {
  detail::check_defined(input, "max_pool2d");
  NB_CHECK(input.dim() == 3 || input.dim() == 4, RuntimeError,
           "max_pool2d: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of size ",
           detail::list_str(input.sizes()));
  const IntPair stride = stride_opt.value_or(kernel_size);
  check_positive(kernel_size, "max_pool2d", "kernel_size", 1);
  check_positive(stride, "max_pool2d", "stride", 1);
  check_positive(dilation, "max_pool2d", "dilation", 1);
  check_positive(padding, "max_pool2d", "padding", 0);
  NB_CHECK(padding.h <= kernel_size.h / 2 && padding.w <= kernel_size.w / 2, RuntimeError,
           "pad should be at most half of kernel size, but got pad=", padding.h == padding.w ? std::to_string(padding.h) : pair_str(padding),
           " and kernel_size=", kernel_size.h == kernel_size.w ? std::to_string(kernel_size.h) : pair_str(kernel_size));
  const Tensor x = input.dim() == 3 ? input.unsqueeze(0) : input;
  const int64_t height = x.size(2), width = x.size(3);
  const int64_t out_h = windows_along(height, padding.h, kernel_size.h, stride.h, dilation.h);
  const int64_t out_w = windows_along(width, padding.w, kernel_size.w, stride.w, dilation.w);
  NB_CHECK(out_h > 0 && out_w > 0, RuntimeError, "max_pool2d: Given input size: (", x.size(1), "x", height, "x", width,
           "). Calculated output size: (", x.size(1), "x", out_h, "x", out_w, "). Output size is too small");
  // The windows of the -inf padded image are gathered (one index_select) and scanned without
  // recording a graph for where each maximum is, keeping the first maximum as PyTorch does. The
  // output then gathers those elements, so the gradient goes to them alone.
  const int64_t batch = x.size(0), channels = x.size(1), windows = out_h * out_w;
  const Tensor padded = padding == IntPair(0) ? x
                                              : pad(x, {padding.w, padding.w, padding.h, padding.h},
                                                    -std::numeric_limits<double>::infinity());
  const Tensor source = padded.flatten(2);
  const int64_t padded_width = padded.size(3);
  Tensor argmax;
  {
    NoGradGuard no_grad;
    const Tensor offsets =
        window_offsets(padded.size(2), padded_width, kernel_size, stride, 0, dilation, 0, x.device()).view({-1, windows});
    const Tensor columns = source.detach().index_select(2, offsets.view({-1})).view({batch, channels, -1, windows});
    // chosen: the window offset k of each maximum, as i * dH * Wp + j * dW
    Tensor best = columns.select(2, 0), chosen = zeros(best.sizes(), TensorOptions(kInt64).device(x.device()));
    for (int64_t k = 1; k < offsets.size(0); ++k) {
      const Tensor candidate = columns.select(2, k), greater = candidate > best;
      best = maximum(candidate, best);
      chosen = where(greater, Scalar((k / kernel_size.w) * dilation.h * padded_width + (k % kernel_size.w) * dilation.w),
                     chosen);
    }
    argmax = chosen + offsets.select(0, 0);
  }
  const Tensor out = source.gather(2, argmax).view({batch, channels, out_h, out_w});
  return input.dim() == 3 ? out.squeeze(0) : out;
}

}  // namespace nabla::nn::functional
