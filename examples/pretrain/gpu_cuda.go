//go:build cuda

package main

import (
	"github.com/selfsup/selfsup/cuda"
	"github.com/selfsup/selfsup/tensor"
)

// init wires -gpu to the CUDA device in builds with the cuda tag.
func init() {
	newGPU = func(id int) (tensor.Device, error) {
		d, err := cuda.New(id)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}
