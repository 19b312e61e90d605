"""nabla.optim: SGD, Adam, AdamW, RMSprop and lr_scheduler (torch.optim)."""
from .optimizer import Optimizer, SGD, Adam, AdamW, RMSprop
from . import lr_scheduler
