package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/selfsup/selfsup/tensor"
)

// newGPU opens GPU number id as a tensor.Device; nil in builds without GPU support
// (a GPU build sets it from a file with the cuda build tag).
var newGPU func(id int) (tensor.Device, error)

// errNoGPU is the error of -gpu in a build without GPU support.
var errNoGPU = errors.New("-gpu: selfsup was built without GPU support (rebuild with -tags cuda on a machine with CUDA, or leave -gpu out to run on the CPU)")

// device returns the device -gpu asks for: nil (the CPU) when gpu is empty.
func device(gpu string) (tensor.Device, error) {
	if gpu == "" {
		return nil, nil
	}
	id, err := strconv.Atoi(gpu)
	if err != nil || id < 0 {
		return nil, fmt.Errorf("-gpu %q: want a GPU number such as 0", gpu)
	}
	if newGPU == nil {
		return nil, errNoGPU
	}
	d, err := newGPU(id)
	if err != nil {
		return nil, fmt.Errorf("-gpu %d: %w", id, err)
	}
	return d, nil
}
