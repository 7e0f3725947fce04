//go:build !cuda

package cuda

import (
	"errors"

	"github.com/selfsup/selfsup/tensor"
)

// Enabled reports whether this build has GPU support (the cuda build tag).
const Enabled = false

// errNoCUDA is what every entry point returns in a build without the cuda tag.
var errNoCUDA = errors.New("cuda: selfsup was built without the cuda build tag (rebuild with -tags cuda)")

// deviceMethods gives the stub Device the tensor.Device method set; it is never set,
// because New never returns a Device in this build.
type deviceMethods = tensor.Device

// Device is the GPU device. In this build (no cuda tag) it cannot be created: [New]
// always fails, so its methods are unreachable.
type Device struct {
	deviceMethods
}

// New returns an error: this build has no GPU support.
func New(ordinal int) (*Device, error) { return nil, errNoCUDA }

// Close returns the no-GPU error.
func (d *Device) Close() error { return errNoCUDA }

// Ordinal is unreachable in this build.
func (d *Device) Ordinal() int { panic(errNoCUDA) }

// GPUName is unreachable in this build.
func (d *Device) GPUName() string { panic(errNoCUDA) }

// Synchronize is unreachable in this build.
func (d *Device) Synchronize() { panic(errNoCUDA) }

// EmptyCache is unreachable in this build.
func (d *Device) EmptyCache() { panic(errNoCUDA) }

// MemStats is unreachable in this build.
func (d *Device) MemStats() MemStats { panic(errNoCUDA) }

// ResetPeak is unreachable in this build.
func (d *Device) ResetPeak() { panic(errNoCUDA) }

// SetTF32 is unreachable in this build.
func (d *Device) SetTF32(on bool) { panic(errNoCUDA) }

// TF32 is unreachable in this build.
func (d *Device) TF32() bool { panic(errNoCUDA) }

// SetProfile is unreachable in this build.
func (d *Device) SetProfile(on bool) { panic(errNoCUDA) }

// Profiling is unreachable in this build.
func (d *Device) Profiling() bool { panic(errNoCUDA) }

// ResetProfile is unreachable in this build.
func (d *Device) ResetProfile() { panic(errNoCUDA) }

// Profile is unreachable in this build.
func (d *Device) Profile() []ProfileEntry { panic(errNoCUDA) }

// ConvForward is unreachable in this build (see [tensor.ImplicitConver]).
func (d *Device) ConvForward(y, x, w *tensor.Tensor, g tensor.ConvGeom, groups int) {
	panic(errNoCUDA)
}

// ConvInputGrad is unreachable in this build (see [tensor.ImplicitConver]).
func (d *Device) ConvInputGrad(dx, dy, w *tensor.Tensor, g tensor.ConvGeom, groups int) {
	panic(errNoCUDA)
}

// ConvFilterGrad is unreachable in this build (see [tensor.ImplicitConver]).
func (d *Device) ConvFilterGrad(dw, x, dy *tensor.Tensor, g tensor.ConvGeom, groups int, beta float32) {
	panic(errNoCUDA)
}

// ConvForwardBias is unreachable in this build (see [tensor.ConvBiasForwarder]).
func (d *Device) ConvForwardBias(y, x, w, b *tensor.Tensor, g tensor.ConvGeom, groups int) {
	panic(errNoCUDA)
}

// BatchNormActOK is unreachable in this build (see [tensor.BatchNormActer]).
func (d *Device) BatchNormActOK(act tensor.UnaryOp) bool { panic(errNoCUDA) }

// BatchNormAct is unreachable in this build (see [tensor.BatchNormActer]).
func (d *Device) BatchNormAct(dst, mean, variance, x, w, b *tensor.Tensor, eps float32, train bool, act tensor.UnaryOp, alpha float32) {
	panic(errNoCUDA)
}

// BatchNormActBackward is unreachable in this build (see [tensor.BatchNormActer]).
func (d *Device) BatchNormActBackward(dx, dw, db, dy, x, w, b, mean, variance *tensor.Tensor, eps float32, train bool, act tensor.UnaryOp, alpha float32) {
	panic(errNoCUDA)
}
