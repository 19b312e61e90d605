"""nabla.utils: data loading (nabla.utils.data)."""
from . import data
