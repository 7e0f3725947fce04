package tensortest

import (
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// adamRef is torch.optim.AdamW's update in float64.
func adamRef(p, g, m, v []float64, h tensor.AdamWParams) {
	lr, b1, b2 := float64(h.LR), float64(h.Beta1), float64(h.Beta2)
	eps, wd, step := float64(h.Eps), float64(h.WeightDecay), float64(h.Step)
	for i := range p {
		p[i] *= 1 - lr*wd
		m[i] = b1*m[i] + (1-b1)*g[i]
		v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
		mHat := m[i] / (1 - math.Pow(b1, step))
		denom := math.Sqrt(v[i]/(1-math.Pow(b2, step))) + eps // √v̂ + eps
		p[i] -= lr * mHat / denom
	}
}

func testAdamW(t *testing.T, dev tensor.Device) {
	cases := []struct {
		name  string
		shape []int
		h     tensor.AdamWParams
	}{
		{"default", []int{3, 1, 5, 7}, tensor.AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}},
		{"large-lr-eps", []int{1}, tensor.AdamWParams{LR: 0.05, Beta1: 0.8, Beta2: 0.95, Eps: 1e-3, WeightDecay: 0.05}},
		{"no-decay", []int{300, 70}, tensor.AdamWParams{LR: 0.01, Beta1: 0.9, Beta2: 0.99, Eps: 1e-6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := numel(c.shape)
			pv := random(41, n)
			p64, m64, v64 := to64(pv), make([]float64, n), make([]float64, n)
			p := upload(dev, append([]float32{}, pv...), c.shape...)
			m, v := tensor.Zeros(dev, c.shape...), tensor.Zeros(dev, c.shape...)
			for step := 1; step <= 5; step++ {
				gv := random(uint64(50+step), n)
				h := c.h
				h.Step = step
				adamRef(p64, to64(gv), m64, v64, h)
				dev.AdamW(p, upload(dev, gv, c.shape...), m, v, h)
			}
			AllClose(t, "AdamW p", p, p64, c.shape, rtol, atol)
			AllClose(t, "AdamW m", m, m64, c.shape, rtol, atol)
			AllClose(t, "AdamW v", v, v64, c.shape, rtol, 1e-8)
		})
	}
}
