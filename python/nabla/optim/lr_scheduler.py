"""torch.optim.lr_scheduler's schedulers over nabla's C++ ones (closed forms as in PyTorch 1.13)."""
from .. import _C

_optim = _C._optim


class LRScheduler:
    def __init__(self, optimizer, impl):
        self.optimizer, self._impl = optimizer, impl

    def step(self, epoch=None):
        if epoch is not None:
            raise NotImplementedError("step(epoch) is deprecated in PyTorch and not supported; call step()")
        self._impl.step()

    def get_last_lr(self):
        return list(self._impl.get_last_lr())

    @property
    def last_epoch(self):
        return self._impl.last_epoch


_LRScheduler = LRScheduler


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1, verbose=False):
        super().__init__(optimizer, _optim.StepLR(optimizer._impl, step_size, gamma))


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1, verbose=False):
        super().__init__(optimizer, _optim.MultiStepLR(optimizer._impl, list(milestones), gamma))


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma, last_epoch=-1, verbose=False):
        super().__init__(optimizer, _optim.ExponentialLR(optimizer._impl, gamma))


class CosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0, last_epoch=-1, verbose=False):
        super().__init__(optimizer, _optim.CosineAnnealingLR(optimizer._impl, T_max, eta_min))


class LinearLR(LRScheduler):
    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1, verbose=False):
        super().__init__(optimizer, _optim.LinearLR(optimizer._impl, start_factor, end_factor, total_iters))
