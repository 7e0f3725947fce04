package tensor_test

import (
	"testing"

	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/tensor/tensortest"
)

func TestCPUConformance(t *testing.T) { tensortest.TestDevice(t, tensor.CPU{}) }
