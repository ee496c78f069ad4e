"""tinygrad_edu.nn: modules, layers, losses, init and utils with PyTorch's names."""

from . import functional, init, utils
from .containers import ModuleList, Sequential
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool1d, MaxPool2d
from .layers import Dropout, Embedding, Flatten, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter, StateDictError

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "StateDictError", "Sequential", "ModuleList",
    "Linear", "Flatten", "Dropout", "Embedding", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax",
    "LogSoftmax", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "CrossEntropyLoss", "NLLLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss",
]
