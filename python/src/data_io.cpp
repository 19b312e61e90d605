// Files (nabla::save/load of safetensors, IDX) and the fast path of the Python DataLoader: batches of
// a TensorDataset, or of Subsets of one, drawn with PyTorch 1.13's use of the random generators.
#include "bindings.hpp"
#include "nabla/data.hpp"
#include "nabla/io.hpp"
#include "nabla/random.hpp"
#include "nabla/state_dict.hpp"

namespace nabla::python {
namespace {

// One pass over a DataLoader, with range-for's order: the iterator advances when the next batch
// is asked for, so the generators are drawn from when PyTorch's sampler would draw.
struct Epoch {
  data::DataLoader::Iterator it;
  bool started = false;
};

py::list batch_to_py(const data::Batch& batch) {
  py::list out;
  for (const Tensor& t : batch) out.append(t);
  return out;
}

}  // namespace

py::dict state_dict_to_py(const StateDict& dict) {
  py::dict out;
  for (const auto& [key, value] : dict) out[py::str(key)] = value;
  return out;
}

StateDict state_dict_from_py(py::handle dict) {
  StateDict out;
  for (auto item : py::reinterpret_borrow<py::dict>(dict)) {
    const Tensor* t = tensor_from_py(item.second);
    if (!t) throw py::type_error("state dict entry '" + py::str(item.first).cast<std::string>() + "' is not a Tensor");
    out.insert(item.first.cast<std::string>(), *t);
  }
  return out;
}

void bind_data_io(py::module_& m) {
  m.def("_save", [](py::handle dict, const std::string& path, const std::map<std::string, std::string>& metadata) {
    save(state_dict_from_py(dict), path, metadata);
  });
  m.def("_load", [](const std::string& path) {
    std::map<std::string, std::string> metadata;
    StateDict dict = load(path, &metadata);
    return py::make_tuple(state_dict_to_py(dict), metadata);
  });
  m.def("read_idx", &read_idx, py::arg("path"));

  py::module_ d = m.def_submodule("_data", "nabla::data");
  py::class_<data::DataLoader>(d, "TensorLoader")
      .def(py::init([](std::vector<Tensor> tensors, std::optional<std::vector<int64_t>> indices, int64_t batch_size,
                       bool shuffle, bool drop_last, Generator* generator, int64_t num_workers,
                       int64_t prefetch_factor) {
             std::shared_ptr<data::Dataset> dataset = std::make_shared<data::TensorDataset>(std::move(tensors));
             if (indices) dataset = std::make_shared<data::Subset>(dataset, std::move(*indices));
             data::DataLoaderOptions options;
             options.batch_size = batch_size;
             options.shuffle = shuffle;
             options.drop_last = drop_last;
             options.generator = generator;
             options.num_workers = num_workers;
             options.prefetch_factor = prefetch_factor;
             return new data::DataLoader(std::move(dataset), options);
           }),
           py::arg("tensors"), py::arg("indices"), py::arg("batch_size"), py::arg("shuffle"), py::arg("drop_last"),
           py::arg("generator"), py::arg("num_workers") = 0, py::arg("prefetch_factor") = 2, py::keep_alive<1, 7>())
      .def("__len__", &data::DataLoader::size)
      .def("__iter__", [](const data::DataLoader& loader) { return Epoch{loader.begin()}; }, py::keep_alive<0, 1>());
  py::class_<Epoch>(d, "Epoch")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", [](Epoch& e) {
        if (e.started) ++e.it;
        e.started = true;
        if (e.it == data::DataLoader::Sentinel{}) throw py::stop_iteration();
        return batch_to_py(*e.it);
      });
}

}  // namespace nabla::python
