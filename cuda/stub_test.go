//go:build !cuda

package cuda

import (
	"strings"
	"testing"
)

func TestStubNew(t *testing.T) {
	d, err := New(0)
	if d != nil || err == nil || !strings.Contains(err.Error(), "without the cuda build tag") {
		t.Errorf("New(0) = %v, %v; want nil and the no-cuda error", d, err)
	}
	if Enabled {
		t.Error("Enabled is true without the cuda tag")
	}
	var nilDev *Device
	if err := nilDev.Close(); err == nil {
		t.Error("Close: no error")
	}
}
