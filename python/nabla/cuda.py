"""nabla.cuda: this build has no CUDA backend."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    pass


def manual_seed_all(seed):
    pass


def synchronize(device=None):
    pass


def current_device():
    raise RuntimeError("nabla was built without CUDA")
