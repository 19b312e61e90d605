#pragma once
// Optimizers (torch.optim): SGD, Adam, AdamW and RMSprop over parameter groups, with PyTorch 1.13's
// arithmetic (float32 and float64 results equal its single-tensor implementations bit for bit),
// and the learning-rate schedulers of torch.optim.lr_scheduler.
//
//   nb::optim::SGD optimizer(model->parameters(), /*lr=*/0.01);
//   nb::optim::Adam adam(model->parameters(), nb::optim::AdamOptions{.lr = 1e-3, .weight_decay = 1e-4});
//   nb::optim::SGD groups({{backbone->parameters()}, {head->parameters(), nb::optim::SGDOptions{.lr = 0.1}}},
//                         nb::optim::SGDOptions{.lr = 0.01, .momentum = 0.9});
//   nb::optim::lr_scheduler::StepLR scheduler(optimizer, /*step_size=*/30);
//   optimizer.zero_grad(); loss.backward(); optimizer.step(); scheduler.step();
//
// step() updates every parameter of every group in one fused kernel call, so a step costs about
// as much as reading and writing the parameters once, however many tensors there are.
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "nabla/state_dict.hpp"
#include "nabla/tensor.hpp"

namespace nabla::optim {

// Hyper-parameters, with PyTorch's names and defaults. SGD's lr has no default, as in PyTorch.
struct SGDOptions {
  double lr = std::numeric_limits<double>::quiet_NaN();
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};
struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;
};
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled: param *= 1 - lr * weight_decay
  bool amsgrad = false;
  bool maximize = false;
};
struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  bool maximize = false;
};

// One group's options; std::monostate means "the optimizer's defaults" until the group is added.
using GroupOptions = std::variant<std::monostate, SGDOptions, AdamOptions, AdamWOptions, RMSpropOptions>;

struct ParamGroup {
  ParamGroup(std::vector<Tensor> params) : params(std::move(params)) {}
  ParamGroup(std::vector<Tensor> params, GroupOptions options) : params(std::move(params)), options(options) {}

  std::vector<Tensor> params;
  GroupOptions options;
  // The lr the first scheduler attached to the optimizer started from (PyTorch's group['initial_lr']).
  std::optional<double> initial_lr;

  double lr() const;
  void set_lr(double lr);
  // The options as the optimizer's type; TypeError when they are another optimizer's.
  template <typename Options>
  Options& options_as() {
    if (auto* o = std::get_if<Options>(&options)) return *o;
    throw_wrong_options();
  }
  template <typename Options>
  const Options& options_as() const {
    return const_cast<ParamGroup*>(this)->options_as<Options>();
  }

 private:
  [[noreturn]] void throw_wrong_options() const;
};

// The base of all optimizers. Its state is kept per parameter, in the order of the groups.
class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter with a defined grad(); parameters without one are skipped.
  virtual void step();
  // Re-evaluates the loss with grad mode on (closure typically zeroes grads, runs forward and
  // backward), then steps; returns the closure's loss.
  Tensor step(const std::function<Tensor()>& closure);
  // set_to_none: drop each grad (the default, as in PyTorch 2); otherwise zero it in place.
  void zero_grad(bool set_to_none = true);

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // Validates the group (floating leaf tensors, not already in another group, valid options) and
  // appends it; options left as std::monostate take the optimizer's defaults.
  void add_param_group(ParamGroup group);
  const GroupOptions& defaults() const { return defaults_; }
  const char* name() const { return name_; }

  // "state.<i>.<buffer>" (i numbers the parameters across groups; buffers shared, not copied) and
  // "state.<i>.step" for the parameters that have state; "param_groups.<g>.<option>" as 0-d
  // float64/bool tensors (betas: a (2,) float64 tensor) and "param_groups.<g>.params" (int64 indices).
  StateDict state_dict() const;
  // Strict: every key must be known, none required missing, shapes must match. Raises ValueError
  // naming the key and leaves the optimizer unchanged on any error. State is copied and converted
  // to each parameter's dtype and device.
  void load_state_dict(const StateDict& dict);

  // Per-parameter state (buffers by the optimizer's slot order; see state_dict's names).
  struct ParamState {
    Tensor param;    // the parameter the state belongs to (a new tensor in its slot starts afresh)
    double step = 0;
    Tensor buffers[3];
  };

 protected:
  Optimizer(const char* name, GroupOptions defaults, std::vector<ParamGroup> groups);

 private:
  struct Scratch;
  const char* name_;
  GroupOptions defaults_;
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<ParamState>> state_;  // state_[g][i] belongs to groups_[g].params[i]
  std::unique_ptr<Scratch> scratch_;            // reused by step(): no allocation per step
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr);
  SGD(std::vector<Tensor> params, SGDOptions options);
  SGD(std::vector<ParamGroup> groups, SGDOptions defaults);
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, AdamOptions options = {});
  Adam(std::vector<Tensor> params, double lr);
  Adam(std::vector<ParamGroup> groups, AdamOptions defaults);
};

class AdamW : public Optimizer {
 public:
  explicit AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  AdamW(std::vector<Tensor> params, double lr);
  AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults);
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
  RMSprop(std::vector<Tensor> params, double lr);
  RMSprop(std::vector<ParamGroup> groups, RMSpropOptions defaults);
};

namespace lr_scheduler {

// PyTorch's chainable schedulers: constructing one records each group's initial_lr and takes the
// first step (epoch 0); step() advances one epoch and writes the new lr into every group.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  void step();
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  // Called at the end of each derived constructor (PyTorch's _initial_step).
  void initial_step() { step(); }
  // The new lr of each group at last_epoch_, from the groups' current lrs (the recursive form).
  virtual std::vector<double> get_lr() const = 0;
  std::vector<double> current_lrs() const;

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int64_t last_epoch_ = -1;
  std::vector<double> last_lr_;
};

class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  std::vector<double> get_lr() const override;
  int64_t step_size_;
  double gamma_;
};

class MultiStepLR : public LRScheduler {
 public:
  // A milestone listed k times multiplies the lr by gamma^k when reached.
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 private:
  std::vector<double> get_lr() const override;
  std::vector<int64_t> milestones_;
  double gamma_;
};

class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  std::vector<double> get_lr() const override;
  double gamma_;
};

class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

 private:
  std::vector<double> get_lr() const override;
  int64_t T_max_;
  double eta_min_;
};

class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);

 private:
  std::vector<double> get_lr() const override;
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

}  // namespace lr_scheduler
}  // namespace nabla::optim
