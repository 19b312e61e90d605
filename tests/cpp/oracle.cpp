#include "oracle.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

namespace nb = nabla;

namespace oracle {
namespace {

class Process {
 public:
  Process() {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("oracle: pipe failed");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      ::close(to_child[1]);
      ::close(from_child[0]);
      const char* script = NABLA_SOURCE_DIR "/tests/oracle/oracle.py";
      execl("/usr/bin/python3", "python3", script, nullptr);
      _exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = fdopen(to_child[1], "w");
    out_ = fdopen(from_child[0], "r");
  }
  ~Process() {
    fclose(in_);
    fclose(out_);
    waitpid(pid_, nullptr, 0);
  }
  void send(const std::string& s) {
    fwrite(s.data(), 1, s.size(), in_);
    fflush(in_);
  }
  std::string line() {
    std::string s;
    char buf[65536];
    while (fgets(buf, sizeof buf, out_)) {
      s += buf;
      if (!s.empty() && s.back() == '\n') {
        s.pop_back();
        return s;
      }
    }
    throw std::runtime_error("oracle: the Python process ended (is python3-torch installed?)");
  }

 private:
  pid_t pid_;
  FILE* in_;
  FILE* out_;
};

Process& process() {
  static Process p;
  return p;
}

std::string hex(const void* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s(2 * n, '0');
  auto* b = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[b[i] >> 4];
    s[2 * i + 1] = digits[b[i] & 15];
  }
  return s;
}

std::string unhex(const std::string& h) {
  std::string s(h.size() / 2, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = char(std::stoi(h.substr(2 * i, 2), nullptr, 16));
  return s;
}

std::string encode(const nb::Tensor& t) {
  nb::Tensor c = t.contiguous();
  std::ostringstream os;
  os << nb::dtype_name(t.dtype()) << ' ' << t.dim();
  for (int64_t s : t.sizes()) os << ' ' << s;
  os << ' ' << hex(c.data_ptr(), c.nbytes()) << '\n';
  return os.str();
}

nb::DType dtype_from(const std::string& name) {
  for (int i = 0; i < nb::kNumDTypes; ++i)
    if (nb::dtype_name(nb::DType(i)) == name) return nb::DType(i);
  throw std::runtime_error("oracle: unknown dtype " + name);
}

nb::Tensor decode(const std::string& line) {
  std::istringstream is(line);
  std::string dtype;
  int64_t ndim;
  is >> dtype >> ndim;
  nb::DimVector sizes(static_cast<size_t>(ndim));
  for (auto& s : sizes) is >> s;
  std::string data;
  is >> data;
  nb::Tensor t = nb::empty(sizes, dtype_from(dtype));
  std::string raw = unhex(data);
  if (raw.size() != t.nbytes()) throw std::runtime_error("oracle: bad payload for " + line.substr(0, 40));
  std::copy(raw.begin(), raw.end(), static_cast<char*>(t.data_ptr()));
  return t;
}

std::string request(const char* mode, const std::string& expr, const std::vector<nb::Tensor>& inputs) {
  std::string msg = std::string(mode) + ' ' + std::to_string(inputs.size()) + '\n';
  for (const auto& t : inputs) msg += encode(t);
  msg += expr + '\n';
  process().send(msg);
  return process().line();
}

}  // namespace

const nb::Tensor& Result::value() const {
  if (!ok || outputs.size() != 1) {
    ADD_FAILURE() << "oracle: expected one value, PyTorch raised " << error_type << ": " << error_message;
    static nb::Tensor empty = nb::zeros({0});
    return empty;
  }
  return outputs[0];
}

Result eval(const std::string& expr, const std::vector<nb::Tensor>& inputs) {
  std::string head = request("EVAL", expr, inputs);
  Result r;
  if (head.rfind("ERR ", 0) == 0) {
    size_t sp = head.find(' ', 4);
    r.error_type = head.substr(4, sp - 4);
    r.error_message = unhex(head.substr(sp + 1));
    return r;
  }
  r.ok = true;
  int n = std::stoi(head.substr(3));
  for (int i = 0; i < n; ++i) r.outputs.push_back(decode(process().line()));
  return r;
}

Result exec(const std::string& statements, const std::vector<nb::Tensor>& inputs) {
  // The protocol carries one line of expression: the statements travel hex-encoded.
  return eval("(lambda g: (exec(bytes.fromhex('" + hex(statements.data(), statements.size()) +
                  "').decode(), g), g['result'])[1])(dict(globals()))",
              inputs);
}

std::string str(const std::string& expr, const std::vector<nb::Tensor>& inputs) {
  std::string head = request("STR", expr, inputs);
  if (head.rfind("STR ", 0) != 0) {
    ADD_FAILURE() << "oracle: " << expr << " raised " << head;
    return "";
  }
  return unhex(head.substr(4));
}

Tolerance tolerance_for(nb::DType dtype, double rtol32, double atol32) {
  switch (dtype) {
    case nb::kFloat16: return {std::max(rtol32, 1e-3), std::max(atol32, 1e-3)};
    case nb::kBFloat16: return {std::max(rtol32, 1.6e-2), std::max(atol32, 1e-2)};
    case nb::kFloat64: return {rtol32 * 1e-7 > 1e-13 ? rtol32 * 1e-7 : 1e-13, atol32 * 1e-7};
    default: return {rtol32, atol32};
  }
}

::testing::AssertionResult close(const nb::Tensor& actual, const nb::Tensor& expected, std::optional<Tolerance> tol) {
  if (actual.dtype() != expected.dtype())
    return ::testing::AssertionFailure() << "dtype " << nb::dtype_name(actual.dtype()) << " != expected "
                                         << nb::dtype_name(expected.dtype());
  if (!(actual.sizes() == expected.sizes()))
    return ::testing::AssertionFailure() << "shape mismatch: got " << actual.dim() << "-d numel " << actual.numel()
                                         << ", expected " << expected.dim() << "-d numel " << expected.numel();
  Tolerance t = tol.value_or(tolerance_for(actual.dtype()));
  nb::Tensor a = actual.to(nb::kFloat64).contiguous(), e = expected.to(nb::kFloat64).contiguous();
  if (!nb::is_floating(actual.dtype())) {
    a = actual.to(nb::kInt64).contiguous();
    e = expected.to(nb::kInt64).contiguous();
    // uint64 past 2^63 does not survive int64 conversion: compare its bits.
    if (actual.dtype() == nb::kUInt64) {
      a = actual.contiguous();
      e = expected.contiguous();
    }
    const int64_t *pa = static_cast<const int64_t*>(a.data_ptr()), *pe = static_cast<const int64_t*>(e.data_ptr());
    for (int64_t i = 0; i < a.numel(); ++i)
      if (pa[i] != pe[i])
        return ::testing::AssertionFailure() << "element " << i << ": got " << pa[i] << ", expected " << pe[i];
    return ::testing::AssertionSuccess();
  }
  const double *pa = a.data_ptr<double>(), *pe = e.data_ptr<double>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = pa[i], y = pe[i];
    if (std::isnan(x) && std::isnan(y)) continue;
    if (std::isinf(y) || std::isinf(x)) {
      if (x == y) continue;
    } else if (std::fabs(x - y) <= t.atol + t.rtol * std::fabs(y)) {
      continue;
    }
    return ::testing::AssertionFailure() << "element " << i << ": got " << x << ", expected " << y << " (rtol "
                                         << t.rtol << ", atol " << t.atol << ")";
  }
  return ::testing::AssertionSuccess();
}

nb::Tensor random_tensor(nb::IntArrayRef sizes, nb::DType dtype, uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  nb::Tensor t = nb::empty(sizes, nb::kFloat64);
  double* p = t.data_ptr<double>();
  bool integral = !nb::is_floating(dtype);
  if (dtype == nb::kBool) lo = 0, hi = 2;
  if (integral && !nb::is_signed(dtype) && lo < 0) lo = 0;
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = integral ? std::floor(u(rng)) : u(rng);
  return t.to(dtype);
}

nb::Tensor strided_copy(const nb::Tensor& t, uint64_t seed) {
  if (t.dim() == 0) return t.clone();
  if (t.dim() >= 2 && seed % 2 == 0) return t.transpose(0, 1).contiguous().transpose(0, 1);
  // Every other element of a buffer twice as long in the last dim.
  nb::DimVector big = t.sizes();
  big[big.size() - 1] *= 2;
  nb::Tensor buf = nb::zeros(big, t.dtype());
  nb::Tensor view = buf.slice(-1, 0, std::nullopt, 2);
  view.copy_(t);
  return view;
}

}  // namespace oracle
