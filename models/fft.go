package models

import (
	"fmt"
	"math"
	"sync"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// This file holds DFCAN's Fourier power spectrum, composed from differentiable tape
// ops: the DFT of a real tensor along an axis is a product with the cosine and sine
// DFT matrices, so the gradient follows from MatMul's.

// dftMats holds the shifted DFT matrices of one length n: Cos[i, m] = cos(2π·k·m/n)
// and Sin[i, m] = sin(2π·k·m/n) with k = (i + n/2) mod n, so that output row i is
// frequency k in the order BiaPy's fftshift2d/3d leaves it (cat(X[n/2:], X[:n/2])).
type dftMats struct {
	Cos, Sin *nn.Var // [n, n], constants
}

var (
	dftMu    sync.Mutex
	dftCache = map[int]dftMats{}
)

// shiftedDFT returns the (cached, CPU) shifted DFT matrices of length n.
func shiftedDFT(n int) dftMats {
	dftMu.Lock()
	defer dftMu.Unlock()
	if m, ok := dftCache[n]; ok {
		return m
	}
	c := make([]float32, n*n)
	s := make([]float32, n*n)
	for i := range n {
		k := (i + n/2) % n
		for m := range n {
			// Reduce k·m mod n first so the angle stays small and exact.
			a := 2 * math.Pi * float64((k*m)%n) / float64(n)
			c[i*n+m] = float32(math.Cos(a))
			s[i*n+m] = float32(math.Sin(a))
		}
	}
	mats := dftMats{Cos: nn.NewVar(tensor.FromSlice(c, n, n)), Sin: nn.NewVar(tensor.FromSlice(s, n, n))}
	dftCache[n] = mats
	return mats
}

// dftDevKey identifies a copy of a DFT matrix on a device.
type dftDevKey struct {
	v   *nn.Var
	dev tensor.Device
}

// dftDevCache holds the copies of the cached DFT matrices on other devices, made once
// per device so that a training step neither copies them again nor leaks the copies.
var dftDevCache = map[dftDevKey]*nn.Var{}

// onDevice returns the constant v (a cached DFT matrix) on dev: v itself when it lives
// there, else its cached copy on dev.
func onDevice(v *nn.Var, dev tensor.Device) *nn.Var {
	if v.Device() == dev {
		return v
	}
	dftMu.Lock()
	defer dftMu.Unlock()
	k := dftDevKey{v, dev}
	if c, ok := dftDevCache[k]; ok {
		return c
	}
	c := nn.NewVar(v.Value.To(dev))
	dftDevCache[k] = c
	return c
}

// applyAlong returns M·x along axis (out[…, i, …] = Σ_m M[i, m]·x[…, m, …]) for
// M: [n, n] and x with x.Shape()[axis] = n.
func applyAlong(tp *nn.Tape, mat, x *nn.Var, axis int) *nn.Var {
	xs := x.Shape()
	n := xs[axis]
	if axis == len(xs)-1 {
		return tp.MatMul(x, mat, false, true)
	}
	p, q := 1, 1
	for _, d := range xs[:axis] {
		p *= d
	}
	for _, d := range xs[axis+1:] {
		q *= d
	}
	y := tp.MatMul(mat, tp.Reshape(x, p, n, q), false, false)
	return tp.Reshape(y, xs...)
}

// halfSwap returns BiaPy's fftshift of one axis: cat(x[n/2:], x[:n/2]).
func halfSwap(tp *nn.Tape, x *nn.Var, axis int) *nn.Var {
	n := x.Shape()[axis]
	if n < 2 {
		return x
	}
	return tp.Concat(axis, tp.Slice(x, axis, n/2, n), tp.Slice(x, axis, 0, n/2))
}

// fourierPower returns DFCAN's spectrum of x: [N, C, *s] (2 or 3 spatial axes) →
// the same shape: shift((|fftn(x, dim=(2, 3))| + 1e-8)^gamma), where the DFT runs
// over axes 2 and 3 only (BiaPy's dim=(2, 3), also for volumes) and shift is
// fftshift2d/fftshift3d, cat(x[n/2:], x[:n/2]) on every spatial axis.
func fourierPower(tp *nn.Tape, x *nn.Var, gamma float32) *nn.Var {
	r := x.Value.Rank()
	if r != 4 && r != 5 {
		panic(fmt.Sprintf("models: fourierPower: x %v, want [N, C, H, W] or [N, C, D, H, W]", x.Shape()))
	}
	dev := x.Device()
	if r == 5 {
		// The last axis is only shifted, which commutes with the DFT of the others.
		x = halfSwap(tp, x, 4)
	}
	// First DFT axis (3) on the real input: re = C·x, im = S·x (im is the negated
	// imaginary part, which the magnitude ignores).
	m3 := shiftedDFT(x.Shape()[3])
	c3, s3 := onDevice(m3.Cos, dev), onDevice(m3.Sin, dev)
	re := applyAlong(tp, c3, x, 3)
	im := applyAlong(tp, s3, x, 3)
	// Second DFT axis (2): (C − iS)(re − i·im) = C·re − S·im − i(C·im + S·re).
	m2 := shiftedDFT(x.Shape()[2])
	c2, s2 := onDevice(m2.Cos, dev), onDevice(m2.Sin, dev)
	re2 := tp.Sub(applyAlong(tp, c2, re, 2), applyAlong(tp, s2, im, 2))
	im2 := tp.Add(applyAlong(tp, c2, im, 2), applyAlong(tp, s2, re, 2))
	// |X| = √(re² + im²); the 1e-30 (below float32 resolution for any |X| > 1e-15)
	// keeps the gradient finite at an exact zero, where PyTorch's abs gives 0.
	mag := tp.Sqrt(tp.AddScalar(tp.Add(tp.Square(re2), tp.Square(im2)), 1e-30))
	// (|X| + 1e-8)^gamma = exp(gamma·ln(|X| + 1e-8)).
	return tp.Exp(tp.Scale(tp.Log(tp.AddScalar(mag, 1e-8)), gamma))
}
