package tensortest

import (
	"fmt"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// indices returns B·K random integer indices in [0, L) as float32, with repeats.
func indices(seed uint64, B, K, L int) []float32 {
	g := tensor.NewRNG(seed)
	v := make([]float32, B*K)
	for i := range v {
		v[i] = float32(g.IntN(L))
	}
	if K > 1 {
		v[1] = v[0] // a guaranteed repeat
	}
	return v
}

func testIndex(t *testing.T, dev tensor.Device) {
	for _, c := range [][4]int{{1, 1, 1, 1}, {2, 5, 4, 3}, {3, 7, 9, 1}, {2, 49, 12, 768}, {1, 4, 3, 5000}} {
		B, L, K, D := c[0], c[1], c[2], c[3]
		t.Run(fmt.Sprintf("B%d_L%d_K%d_D%d", B, L, K, D), func(t *testing.T) {
			xv, sv := random(31, B*L*D), random(32, B*K*D)
			iv := indices(33, B, K, L)
			gathered := make([]float64, B*K*D)
			scattered := to64(xv) // ScatterAdd accumulates onto x's values
			for b := range B {
				for k := range K {
					j := int(iv[b*K+k])
					for d := range D {
						gathered[(b*K+k)*D+d] = float64(xv[(b*L+j)*D+d])
						scattered[(b*L+j)*D+d] += float64(sv[(b*K+k)*D+d])
					}
				}
			}
			idx := upload(dev, iv, B, K)
			dst := tensor.New(dev, B, K, D)
			dev.Gather(dst, upload(dev, xv, B, L, D), idx)
			AllClose(t, "Gather", dst, gathered, []int{B, K, D}, 0, 0)
			acc := upload(dev, append([]float32{}, xv...), B, L, D)
			dev.ScatterAdd(acc, upload(dev, sv, B, K, D), idx)
			AllClose(t, "ScatterAdd", acc, scattered, []int{B, L, D}, rtol, atol)
		})
	}
}
