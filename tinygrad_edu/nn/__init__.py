"""tinygrad_edu.nn: modules, layers, losses, init and utils with PyTorch's names."""

from . import functional, init, recurrent, rnn_cells, utils
from .containers import ModuleList, Sequential
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool1d, MaxPool2d
from .layers import Dropout, Embedding, Flatten, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter, StateDictError
from .recurrent import GRU, LSTM, RNN, detach_states, truncated_bptt_chunks
from .rnn_cells import GRUCell, LSTMCell, RNNCell

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "StateDictError", "Sequential", "ModuleList",
    "Linear", "Flatten", "Dropout", "Embedding", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax",
    "LogSoftmax", "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "CrossEntropyLoss", "NLLLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss",
    "recurrent", "rnn_cells", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "detach_states",
    "truncated_bptt_chunks",
]
