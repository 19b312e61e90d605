"""Creation functions taking sizes as f(2, 3), f((2, 3)) or f(size=(2, 3)), as torch's do."""
import operator

from . import _C


def _sizes(size, size_kw):
    if size_kw is not None:
        return tuple(size_kw) if not isinstance(size_kw, int) else (size_kw,)
    if len(size) == 1 and not isinstance(size[0], int) and hasattr(size[0], "__len__"):
        return tuple(size[0])
    return size


def _sized(make):
    def f(*size, size_kw=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          generator=None, **kwargs):
        if "size" in kwargs:
            size_kw = kwargs.pop("size")
        if kwargs:
            raise TypeError(f"{make.__name__[1:]}() got unexpected keyword arguments {sorted(kwargs)}")
        if out is not None:
            raise TypeError(f"{make.__name__[1:]}(): out= is not supported")
        return make(_sizes(size, size_kw), dtype, device, requires_grad, generator)

    f.__name__ = f.__qualname__ = make.__name__[1:]
    return f


zeros, ones, empty, rand, randn = (_sized(_C._zeros), _sized(_C._ones), _sized(_C._empty), _sized(_C._rand),
                                   _sized(_C._randn))


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """randint(high, size) or randint(low, high, size)."""
    args = list(args)
    if size is not None:
        args.append(size)
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError("randint() expects (high, size) or (low, high, size)")
    return _C._randint(_int_arg(low, "low"), _int_arg(high, "high"), (size,) if isinstance(size, int) else tuple(size),
                       dtype, device, requires_grad, generator)


def _int_arg(value, name):
    """An integer argument, as torch takes it: a float (5.5, inf) is a TypeError, not truncated."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"randint(): argument '{name}' must be int, not {type(value).__name__}") from None
