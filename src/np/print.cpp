// str(a) and repr(a) as NumPy's arrayprint.py writes them with the default print options (precision 8,
// threshold 1000, edgeitems 3, linewidth 75, floatmode 'maxprec'), byte for byte. Only the elements that
// are shown are read (a summarised array costs no more than its edges), straight from the strided data.
#include <algorithm>
#include <cmath>
#include <ostream>
#include <type_traits>

#include "np/common.hpp"
#include "np/float_format.hpp"

namespace nabla::np {
namespace {

constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 75;

// The shown positions of each axis: all of them, or the first and last kEdgeItems ("..." between).
struct ShownGrid {
  std::vector<std::vector<int64_t>> positions;
  std::vector<bool> elided;
};

ShownGrid shown_grid(const ndarray& a) {
  const bool summarize = a.size() > kThreshold;
  ShownGrid g;
  for (int64_t n : a.shape()) {
    const bool elide = summarize && n > 2 * kEdgeItems;
    std::vector<int64_t> pos;
    for (int64_t i = 0; i < (elide ? kEdgeItems : n); ++i) pos.push_back(i);
    for (int64_t i = elide ? n - kEdgeItems : n; i < n; ++i) pos.push_back(i);
    g.positions.push_back(std::move(pos));
    g.elided.push_back(elide);
  }
  return g;
}

// The shown elements in row-major order of the grid.
template <typename T>
std::vector<T> shown_values(const ndarray& a, const ShownGrid& g) {
  const Tensor& t = a.tensor();
  const int64_t ndim = t.dim();
  int64_t total = 1;
  for (const auto& p : g.positions) total *= int64_t(p.size());
  std::vector<T> out;
  out.reserve(size_t(total));
  const T* data = static_cast<const T*>(t.data_ptr());
  DimVector at(size_t(ndim), 0);
  for (int64_t n = 0; n < total; ++n) {
    int64_t offset = 0;
    for (int64_t d = 0; d < ndim; ++d) offset += g.positions[d][at[d]] * t.strides()[d];
    out.push_back(data[offset]);
    for (int64_t d = ndim - 1; d >= 0 && ++at[d] == int64_t(g.positions[d].size()); --d) at[d] = 0;
  }
  return out;
}

// FloatingFormat.fillFormat's switch to scientific notation. The ratio of the extremes is a quotient of two
// scalars of the array's type, so it is rounded to that type; the comparisons happen in float64.
bool wants_scientific(double max_val, double min_val, DType dtype) {
  const double ratio = dtype == kFloat16   ? double(float(Half(float(max_val) / float(min_val))))
                       : dtype == kFloat32 ? double(float(max_val) / float(min_val))
                                           : max_val / min_val;
  return max_val >= 1e8 || min_val < 1e-4 || ratio > 1000.0;
}

std::vector<std::string> format_floats(const std::vector<double>& values, DType dtype) {
  std::vector<double> finite;
  double max_val = 0, min_val = INFINITY;
  bool negative_inf = false;
  for (double v : values) {
    if (std::isfinite(v)) {
      finite.push_back(v);
      if (v != 0) max_val = std::max(max_val, std::fabs(v)), min_val = std::min(min_val, std::fabs(v));
    } else if (std::isinf(v) && v < 0) {
      negative_inf = true;
    }
  }
  const bool scientific = max_val > 0 && wants_scientific(max_val, min_val, dtype);
  FloatFormat f;
  int pad_right = 0;
  if (!finite.empty()) {
    const FloatFormat first{.precision = 8, .trim = Trim::kDot};
    int int_len = 0, frac_len = 0, exp_len = 0;
    for (double v : finite) {
      const std::string s = scientific ? format_scientific(v, dtype, first) : format_positional(v, dtype, first);
      const size_t point = s.find('.'), e = s.find('e');
      int_len = std::max(int_len, int(point));
      frac_len = std::max(frac_len, int((e == std::string::npos ? s.size() : e) - point - 1));
      if (e != std::string::npos) exp_len = std::max(exp_len, int(s.size() - e - 2));
    }
    f.pad_left = int_len;
    if (scientific) {
      f = {.precision = frac_len, .min_digits = frac_len, .trim = Trim::kKeep, .pad_left = int_len, .exp_digits = exp_len};
      pad_right = exp_len + 2 + frac_len;
    } else {
      f = {.precision = 8, .min_digits = 0, .trim = Trim::kDot, .pad_left = int_len, .pad_right = frac_len};
      pad_right = frac_len;
    }
  }
  if (finite.size() != values.size()) {
    const int offset = pad_right + 1;
    f.pad_left = std::max({f.pad_left, 3 - offset, 3 + int(negative_inf) - offset});
  }
  std::vector<std::string> cells;
  cells.reserve(values.size());
  for (double v : values) {
    if (!std::isfinite(v)) {
      const std::string word = std::isnan(v) ? "nan" : v < 0 ? "-inf" : "inf";
      const int width = std::max(f.pad_left, 0) + pad_right + 1;
      cells.push_back(std::string(size_t(std::max(width - int(word.size()), 0)), ' ') + word);
    } else {
      cells.push_back(scientific ? format_scientific(v, dtype, f) : format_positional(v, dtype, f));
    }
  }
  return cells;
}

std::vector<std::string> format_cells(const ndarray& a, const ShownGrid& g) {
  return visit_dtype(a.dtype(), [&](auto tag) -> std::vector<std::string> {
    using T = typename decltype(tag)::type;
    std::vector<T> values = shown_values<T>(a, g);
    std::vector<std::string> cells;
    if constexpr (std::is_same_v<T, bool>) {
      for (bool v : values) cells.push_back(v ? (a.ndim() ? " True" : "True") : "False");
    } else if constexpr (std::is_integral_v<T>) {
      size_t width = 0;
      for (T v : values) {
        cells.push_back(std::to_string(+v));
        width = std::max(width, cells.back().size());
      }
      for (auto& c : cells) c.insert(0, width - c.size(), ' ');
    } else {
      std::vector<double> as_double(values.begin(), values.end());
      cells = format_floats(as_double, a.dtype());
    }
    return cells;
  });
}

void rstrip(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
}

// _extendLine: starts a new line when the word would pass the width (unless the line holds only the indent).
void extend_line(std::string& s, std::string& line, const std::string& word, int64_t width, const std::string& indent) {
  if (int64_t(line.size() + word.size()) > width && line.size() > indent.size()) {
    rstrip(line);
    s += line + "\n";
    line = indent;
  }
  line += word;
}

// _formatArray's recursion over the shown grid.
struct Formatter {
  const ShownGrid& grid;
  const std::vector<std::string>& cells;
  std::vector<int64_t> block;  // cells per step along each axis
  std::string separator;

  std::string format(size_t axis, int64_t base, const std::string& indent, int64_t width) const {
    if (axis == grid.positions.size()) return cells[size_t(base)];
    const std::string next_indent = indent + " ";
    const int64_t next_width = width - 1;
    const int64_t count = int64_t(grid.positions[axis].size());
    const bool summary = grid.elided[axis];
    const int64_t leading = summary ? kEdgeItems : 0, trailing = summary ? kEdgeItems : count;
    auto item = [&](int64_t i) { return format(axis + 1, base + i * block[axis], next_indent, next_width); };
    std::string sep_stripped = separator;
    rstrip(sep_stripped);
    std::string s;
    if (axis + 1 == grid.positions.size()) {
      const int64_t elem_width = width - std::max<int64_t>(int64_t(sep_stripped.size()), 1);
      std::string line = indent;
      for (int64_t i = 0; i < leading; ++i) {
        extend_line(s, line, item(i), elem_width, indent);
        line += separator;
      }
      if (summary) {
        extend_line(s, line, "...", elem_width, indent);
        line += separator;
      }
      for (int64_t i = trailing; i > 1; --i) {
        extend_line(s, line, item(count - i), elem_width, indent);
        line += separator;
      }
      extend_line(s, line, item(count - 1), elem_width, indent);
      s += line;
    } else {
      const std::string line_sep = sep_stripped + std::string(grid.positions.size() - axis - 1, '\n');
      for (int64_t i = 0; i < leading; ++i) s += indent + item(i) + line_sep;
      if (summary) s += indent + "..." + line_sep;
      for (int64_t i = trailing; i > 1; --i) s += indent + item(count - i) + line_sep;
      s += indent + item(count - 1);
    }
    std::string out = "[";
    out.append(s, indent.size());
    out += ']';
    return out;
  }
};

std::string array2string(const ndarray& a, const std::string& separator, const std::string& prefix, int64_t width) {
  if (a.size() == 0) return "[]";
  const ShownGrid grid = shown_grid(a);
  const std::vector<std::string> cells = format_cells(a, grid);
  Formatter f{grid, cells, std::vector<int64_t>(grid.positions.size(), 1), separator};
  for (size_t d = grid.positions.size(); d-- > 1;) f.block[d - 1] = f.block[d] * int64_t(grid.positions[d].size());
  return f.format(0, 0, std::string(prefix.size() + 1, ' '), width);
}

std::string scalar_str(const ndarray& a) {
  const void* data = a.data();
  return visit_dtype(a.dtype(), [&](auto tag) -> std::string {
    using T = typename decltype(tag)::type;
    const T v = *static_cast<const T*>(data);
    if constexpr (std::is_same_v<T, bool>) return v ? "True" : "False";
    else if constexpr (std::is_integral_v<T>) return std::to_string(+v);
    else return format_float_scalar(double(v), a.dtype());
  });
}

}  // namespace

std::string str(const ndarray& a) {
  check_defined(a, "str");
  if (a.ndim() == 0) return scalar_str(a);
  return array2string(a, " ", "", kLineWidth);
}

std::string repr(const ndarray& a) {
  check_defined(a, "repr");
  // Only the default integer, float64 and bool leave their dtype implied, and only when not empty.
  const bool implied = (a.dtype() == kInt64 || a.dtype() == kFloat64 || a.dtype() == kBool) && a.size() > 0;
  const std::string prefix = "array(", suffix = implied ? ")" : ",";
  const std::string body = a.size() > 0 || (a.ndim() == 1)
                               ? array2string(a, ", ", prefix, kLineWidth - int64_t(suffix.size()))
                               : "[], shape=" + tuple_repr(a.shape());
  std::string out = prefix + body + suffix;
  if (implied) return out;
  const std::string dtype_str = "dtype=" + std::string(dtype_name(a.dtype())) + ")";
  const size_t newline = out.rfind('\n');
  const size_t last_line = out.size() - (newline == std::string::npos ? 0 : newline + 1);
  const bool wrap = int64_t(last_line + dtype_str.size() + 1) > kLineWidth;
  if (wrap) {
    out += '\n';
    out.append(prefix.size(), ' ');
  } else {
    out += ' ';
  }
  return out + dtype_str;
}

std::ostream& operator<<(std::ostream& os, const ndarray& a) { return os << str(a); }

}  // namespace nabla::np
