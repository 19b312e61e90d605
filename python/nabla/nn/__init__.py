"""nabla.nn: Module, Parameter, layers and losses (torch.nn)."""
from .parameter import Parameter
from .module import Module
from .layers import (Identity, Linear, Sequential, ModuleList, ModuleDict, ReLU, Sigmoid, Tanh, GELU, SiLU, Softmax,
                     LogSoftmax, Dropout, Flatten, Embedding, LayerNorm, BatchNorm1d, Conv2d, MaxPool2d)
from .loss import MSELoss, L1Loss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss
from . import functional, init, utils
