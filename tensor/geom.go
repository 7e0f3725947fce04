package tensor

import (
	"fmt"
	"slices"
)

// ConvGeom is the geometry of a sliding window over 1–3 spatial axes, shared by
// convolution (through [Device.Im2Col]) and pooling. Every slice has one entry per
// spatial axis, in (D,) H, W order. Build it with [NewConvGeom], which checks the
// values and computes Out.
type ConvGeom struct {
	In       []int // input spatial size
	Kernel   []int // window size
	Stride   []int // step between windows
	Pad      []int // zero padding on both sides of each axis
	Dilation []int // spacing between kernel taps
	Out      []int // output spatial size: ⌊(In + 2·Pad − Dilation·(Kernel−1) − 1)/Stride⌋ + 1
}

// NewConvGeom returns the geometry for the given input size, kernel, stride, padding
// and dilation. stride, pad and dilation may be nil (1, 0, 1) or have one entry that
// applies to every axis. It panics if the window does not fit.
func NewConvGeom(in, kernel, stride, pad, dilation []int) ConvGeom {
	n := len(in)
	if n < 1 || n > 3 || len(kernel) != n {
		panic(fmt.Sprintf("tensor: NewConvGeom: input %v kernel %v: need 1–3 spatial axes of equal count", in, kernel))
	}
	g := ConvGeom{
		In:       slices.Clone(in),
		Kernel:   slices.Clone(kernel),
		Stride:   expandAxes("stride", stride, n, 1),
		Pad:      expandAxes("pad", pad, n, 0),
		Dilation: expandAxes("dilation", dilation, n, 1),
		Out:      make([]int, n),
	}
	for i := range n {
		if g.Kernel[i] < 1 || g.Stride[i] < 1 || g.Dilation[i] < 1 || g.Pad[i] < 0 {
			panic(fmt.Sprintf("tensor: NewConvGeom: bad kernel %v stride %v pad %v dilation %v", g.Kernel, g.Stride, g.Pad, g.Dilation))
		}
		span := g.Dilation[i]*(g.Kernel[i]-1) + 1
		if g.In[i]+2*g.Pad[i] < span {
			panic(fmt.Sprintf("tensor: NewConvGeom: input %v padded by %v is smaller than kernel %v dilated by %v", g.In, g.Pad, g.Kernel, g.Dilation))
		}
		g.Out[i] = (g.In[i]+2*g.Pad[i]-span)/g.Stride[i] + 1
	}
	return g
}

func expandAxes(name string, v []int, n, def int) []int {
	out := make([]int, n)
	switch len(v) {
	case 0:
		for i := range out {
			out[i] = def
		}
	case 1:
		for i := range out {
			out[i] = v[0]
		}
	case n:
		copy(out, v)
	default:
		panic(fmt.Sprintf("tensor: NewConvGeom: %s %v for %d spatial axes", name, v, n))
	}
	return out
}

// Dims returns the number of spatial axes.
func (g ConvGeom) Dims() int { return len(g.In) }

// InSize returns ∏In, the number of input positions per channel.
func (g ConvGeom) InSize() int { return prod(g.In) }

// OutSize returns ∏Out, the number of output positions per channel.
func (g ConvGeom) OutSize() int { return prod(g.Out) }

// KernelSize returns ∏Kernel, the number of taps per channel.
func (g ConvGeom) KernelSize() int { return prod(g.Kernel) }

func prod(v []int) int {
	p := 1
	for _, d := range v {
		p *= d
	}
	return p
}
