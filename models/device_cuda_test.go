//go:build cuda

package models

import (
	"fmt"
	"os"

	"github.com/selfsup/selfsup/cuda"
)

// With the cuda tag, DEVICE=cuda runs the fixture tests on GPU 0.
func init() {
	if os.Getenv("DEVICE") != "cuda" {
		return
	}
	d, err := cuda.New(0)
	if err != nil {
		panic(fmt.Sprintf("DEVICE=cuda: %v", err))
	}
	testDevice = d
}
