from .net import *
from .blocks import ConvBlock
