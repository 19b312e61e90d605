// operator<< and Tensor::toString: what PyTorch 1.13's str(tensor) shows (torch/_tensor_str.py) with the default
// print options, byte for byte. Only the elements that will be shown are read, straight from the strided data, so
// printing a huge or non-contiguous tensor costs no copy (a CUDA tensor is copied to the CPU first).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "nabla/autograd.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// torch's default PRINT_OPTS.
constexpr int64_t kThreshold = 1000;   // more elements than this: summarise with "..."
constexpr int64_t kEdgeItems = 3;      // elements kept at each end of a summarised dim
constexpr int64_t kLineWidth = 80;

// Which elements print shows: per dim, all indices, or the first and last kEdgeItems with "..." between them.
struct ShownGrid {
  DimVector counts;
  std::vector<bool> elided;
};

ShownGrid shown_grid(const Tensor& t) {
  bool summarize = t.numel() > kThreshold;
  ShownGrid grid;
  for (int64_t size : t.sizes()) {
    bool elide = summarize && size > 2 * kEdgeItems;
    grid.counts.push_back(elide ? 2 * kEdgeItems : size);
    grid.elided.push_back(elide);
  }
  return grid;
}

// Calls visit(value) for every shown element of the CPU tensor `t`, in row-major order of the shown grid.
template <typename T, typename Visit>
void for_each_shown(const Tensor& t, const ShownGrid& grid, Visit&& visit) {
  const int64_t ndim = t.dim();
  // Per dim, the element offset of each shown index, so the walk below only adds.
  std::vector<std::vector<int64_t>> offsets(static_cast<size_t>(ndim));
  for (int64_t d = 0; d < ndim; ++d) {
    for (int64_t j = 0; j < grid.counts[d]; ++j) {
      int64_t index = grid.elided[d] && j >= kEdgeItems ? t.size(d) - 2 * kEdgeItems + j : j;
      offsets[d].push_back(index * t.stride(d));
    }
  }
  const T* data = static_cast<const T*>(t.data_ptr());
  DimVector position(static_cast<size_t>(ndim), 0);
  int64_t total = 1;
  for (int64_t c : grid.counts) total *= c;
  for (int64_t n = 0; n < total; ++n) {
    int64_t offset = 0;
    for (int64_t d = 0; d < ndim; ++d) offset += offsets[d][position[d]];
    visit(data[offset]);
    for (int64_t d = ndim - 1; d >= 0 && ++position[d] == grid.counts[d]; --d) position[d] = 0;
  }
}

// The three ways _Formatter writes a floating value.
enum class FloatMode { kInteger, kFixed, kScientific };

std::string format_float(double v, FloatMode mode) {
  if (std::isnan(v)) return "nan";  // Python drops the sign of a NaN
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[400];  // "%.4f" of the largest double needs 315 chars
  switch (mode) {
    case FloatMode::kInteger: std::snprintf(buf, sizeof buf, "%.0f.", v); break;
    case FloatMode::kFixed: std::snprintf(buf, sizeof buf, "%.4f", v); break;
    case FloatMode::kScientific: std::snprintf(buf, sizeof buf, "%.4e", v); break;
  }
  return buf;
}

// The formatted cells of the shown elements and the column width they share (_Formatter.max_width). A cell may be
// wider than that width: values left out of the width rule (zeros, nan, inf) are not padded and not truncated.
struct Cells {
  std::vector<std::string> text;
  int64_t width = 1;
};

Cells format_floats(const std::vector<double>& values) {
  bool all_integers = true;
  double max_abs = 0, min_abs = INFINITY;
  for (double v : values) {
    if (!std::isfinite(v) || v == 0) continue;
    all_integers = all_integers && v == std::ceil(v);
    max_abs = std::max(max_abs, std::fabs(v));
    min_abs = std::min(min_abs, std::fabs(v));
  }
  bool any_counted = max_abs > 0;
  bool wide_range = any_counted && (max_abs / min_abs > 1000.0 || max_abs > 1.0e8);
  FloatMode mode = !any_counted || (all_integers && !wide_range) ? FloatMode::kInteger
                   : wide_range || min_abs < 1.0e-4 ? FloatMode::kScientific
                                                    : FloatMode::kFixed;
  Cells cells;
  cells.text.reserve(values.size());
  for (double v : values) {
    cells.text.push_back(format_float(v, mode));
    if (std::isfinite(v) && v != 0) cells.width = std::max(cells.width, int64_t(cells.text.back().size()));
  }
  return cells;
}

Cells format_cells(const Tensor& t, const ShownGrid& grid) {
  return visit_dtype(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {  // bool included
      Cells cells;
      for_each_shown<T>(t, grid, [&](T v) {
        if constexpr (std::is_same_v<T, bool>) cells.text.push_back(v ? "True" : "False");
        else cells.text.push_back(std::to_string(+v));  // unary + prints int8/uint8 as numbers
        cells.width = std::max(cells.width, int64_t(cells.text.back().size()));
      });
      return cells;
    } else {
      std::vector<double> values;
      for_each_shown<T>(t, grid, [&](T v) { values.push_back(double(opmath_t<T>(v))); });
      return format_floats(values);
    }
  });
}

// _tensor_str_with_formatter: nested brackets, rows wrapped at kLineWidth, "..." for the elided middles.
class Layout {
 public:
  Layout(const Cells& cells, const ShownGrid& grid, std::string& out) : cells_(cells), grid_(grid), out_(out) {}

  void nested(size_t d, int64_t indent) {
    if (d + 1 == grid_.counts.size()) return row(d, indent);
    std::string separator = ",";
    separator.append(grid_.counts.size() - d - 1, '\n').append(size_t(indent + 1), ' ');
    out_ += '[';
    for (int64_t j = 0; j < grid_.counts[d]; ++j) {
      if (j > 0) out_ += separator;
      if (grid_.elided[d] && j == kEdgeItems) out_.append("...").append(separator);
      nested(d + 1, indent + 1);
    }
    out_ += ']';
  }

  void scalar() { cell(); }

 private:
  void cell() {
    const std::string& text = cells_.text[next_++];
    if (int64_t(text.size()) < cells_.width) out_.append(size_t(cells_.width) - text.size(), ' ');
    out_ += text;
  }

  void row(size_t d, int64_t indent) {
    // Python floors (linewidth - indent) / (width + 2); at least one element per line.
    const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / (cells_.width + 2));
    const std::string line_break = ",\n" + std::string(size_t(indent + 1), ' ');
    out_ += '[';
    int64_t item = 0;  // position among the printed items, " ..." included
    auto separate = [&] {
      if (item > 0) out_ += item % per_line == 0 ? line_break : ", ";
      ++item;
    };
    for (int64_t j = 0; j < grid_.counts[d]; ++j) {
      if (grid_.elided[d] && j == kEdgeItems) {
        separate();
        out_ += " ...";
      }
      separate();
      cell();
    }
    out_ += ']';
  }

  const Cells& cells_;
  const ShownGrid& grid_;
  std::string& out_;
  size_t next_ = 0;
};

// _add_suffixes: ", suffix" while the last line stays within kLineWidth, else a new line indented under "tensor(".
void add_suffixes(std::string& s, const std::vector<std::string>& suffixes, int64_t indent) {
  size_t newline = s.rfind('\n');
  int64_t last_line_len = newline == std::string::npos ? int64_t(s.size()) + 2 : int64_t(s.size() - newline) + 1;
  for (const std::string& suffix : suffixes) {
    int64_t len = int64_t(suffix.size());
    if (last_line_len + len + 2 > kLineWidth) {
      s += ",\n" + std::string(size_t(indent), ' ') + suffix;
      last_line_len = indent + len;
    } else {
      s += ", " + suffix;
      last_line_len += len + 2;
    }
  }
  s += ')';
}

}  // namespace

std::string Tensor::toString() const {
  if (!defined()) return "[ Tensor (undefined) ]";
  NoGradGuard no_grad;  // formatting reads values; it records nothing
  const std::string prefix = "tensor(";
  const int64_t indent = int64_t(prefix.size());
  std::string s = prefix;
  std::vector<std::string> suffixes;
  if (!device().is_cpu()) suffixes.push_back("device='" + device().str() + "'");
  const std::string dtype_suffix = "dtype=torch." + std::string(dtype_name(dtype()));
  if (numel() == 0) {
    // Nothing shows the dtype of an empty tensor, so torch names any but float32; the shape when it is not (0,).
    s += "[]";
    if (dim() != 1) suffixes.push_back("size=" + shape_str(sizes()));
    if (dtype() != kFloat32) suffixes.push_back(dtype_suffix);
  } else {
    if (dtype() != kFloat32 && dtype() != kInt64 && dtype() != kBool) suffixes.push_back(dtype_suffix);
    const Tensor host = cpu();
    const ShownGrid grid = shown_grid(host);
    const Cells cells = format_cells(host, grid);
    Layout layout(cells, grid, s);
    if (dim() == 0) layout.scalar();
    else layout.nested(0, indent);
  }
  // As torch does: a non-leaf names the node that made it; a leaf says it requires grad.
  if (const Node* fn = grad_fn()) suffixes.push_back("grad_fn=<" + std::string(fn->name()) + ">");
  else if (requires_grad()) suffixes.push_back("requires_grad=True");
  add_suffixes(s, suffixes, indent);
  return s;
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.toString(); }

}  // namespace nabla
