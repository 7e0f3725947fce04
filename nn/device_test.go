package nn

import (
	"runtime/debug"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// testDevice is the device the fixture tests run their modules on: the CPU, unless a
// build with the cuda tag sets it from the DEVICE environment variable
// (device_cuda_test.go: DEVICE=cuda runs them on GPU 0). Modules are built on the CPU,
// loaded with the fixture's parameters, then moved with nn.MoveTo; inputs are uploaded
// with To(testDevice) and results compared on the host through Values.
var testDevice tensor.Device = tensor.CPU{}

// failOnPanic, deferred at the top of a fixture test, turns a panic into a failure of
// that test when the tests run on a device other than the CPU, so that one op missing
// on the GPU does not abort the whole run. On the CPU panics propagate as before.
func failOnPanic(t testing.TB) {
	if _, cpu := testDevice.(tensor.CPU); cpu {
		return
	}
	if r := recover(); r != nil {
		stack := debug.Stack()
		if len(stack) > 4000 {
			stack = stack[:4000]
		}
		t.Fatalf("panic on %s: %v\n%s", testDevice.Name(), r, stack)
	}
}

// syncDevice waits for the queued kernels of devices that run asynchronously (the GPU),
// so benchmark timings cover the work.
func syncDevice(dev tensor.Device) {
	if s, ok := dev.(interface{ Synchronize() }); ok {
		s.Synchronize()
	}
}
