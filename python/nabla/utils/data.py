"""nabla.utils.data: Dataset, TensorDataset, Subset, random_split and DataLoader, drawing from the random
generators as PyTorch 1.13 does, so a seed gives the same batches. A DataLoader over a TensorDataset (or
Subsets of one) with the default collate runs in C++, one index_select per tensor and batch."""
import collections
import itertools
import math

from .. import _C, _creation
from .._C import Tensor


class Dataset:
    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")


class TensorDataset(Dataset):
    def __init__(self, *tensors):
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: expected tensors, got {type(t).__name__}")
        if any(t.size(0) != tensors[0].size(0) for t in tensors):
            raise ValueError("Size mismatch between tensors: every tensor must have the same first dim")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=_C.default_generator):
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(subset_lengths)):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = _C.randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[offset - length:offset])
            for offset, length in zip(itertools.accumulate(lengths), lengths)]


def default_collate(batch):
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.stack(list(batch), 0)
    if isinstance(elem, bool) or isinstance(elem, int):
        return _C.tensor(batch, dtype=_C.bool if isinstance(elem, bool) else _C.int64)
    if isinstance(elem, float):
        return _C.tensor(batch, dtype=_C.float64)
    if isinstance(elem, str):
        return batch
    if type(elem).__module__ == "numpy":
        return _C.stack([_C.from_numpy(_as_array(b)) for b in batch], 0)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, collections.abc.Sequence):
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numbers, dicts or lists; found {type(elem)}")


def _as_array(x):
    import numpy
    return numpy.asarray(x)


def _tensor_source(dataset):
    """(tensors, indices or None) when `dataset` is a TensorDataset or a chain of Subsets of one."""
    indices = None
    while isinstance(dataset, Subset):
        indices = list(dataset.indices) if indices is None else [dataset.indices[i] for i in indices]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:
        return list(dataset.tensors), indices
    return None


def _random_sampler(n, generator):
    if generator is None:
        seed = int(_creation.empty((), dtype=_C.int64).random_().item())
        generator = _C.Generator()
        generator.manual_seed(seed)
    yield from _C.randperm(n, generator=generator).tolist()
    yield from _C.randperm(n, generator=generator).tolist()[:0]


def _batches(sampler, batch_size, drop_last):
    if drop_last:
        it = iter(sampler)
        while True:
            try:
                yield [next(it) for _ in range(batch_size)]
            except StopIteration:
                return
    batch = []
    for index in sampler:
        batch.append(index)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=2, persistent_workers=False):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.sampler, self.collate_fn, self.generator = sampler, collate_fn, generator
        self._fast = None
        source = _tensor_source(dataset) if collate_fn is None and sampler is None and batch_sampler is None else None
        if source is not None and batch_size is not None:
            tensors, indices = source
            # Over tensors, num_workers threads build the batches ahead (the same batches as without them);
            # a Python dataset's items are fetched on the calling thread, as with num_workers=0.
            self._fast = _C._data.TensorLoader(tensors, indices, batch_size, shuffle, drop_last, generator,
                                               num_workers, prefetch_factor)

    def __len__(self):
        if self._fast is not None:
            return len(self._fast)
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        if self._fast is not None:
            return iter(self._fast)
        _creation.empty((), dtype=_C.int64).random_(generator=self.generator)  # the workers' base seed, as PyTorch draws it
        return self._python_epoch()

    def _python_epoch(self):
        n = len(self.dataset)
        if self.sampler is not None:
            sampler = self.sampler
        elif self.shuffle:
            sampler = _random_sampler(n, self.generator)
        else:
            sampler = range(n)
        collate = self.collate_fn or default_collate
        for batch in _batches(sampler, self.batch_size, self.drop_last):
            yield collate([self.dataset[i] for i in batch])
