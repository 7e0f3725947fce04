//go:build cuda

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// TestBatchNormAct compares the fused BatchNormAct and BatchNormActBackward with the
// CPU's BatchNorm followed by Unary (and UnaryBackward followed by
// BatchNormBackward), for each fused activation, in train and eval mode, with and
// without the affine parameters.
func TestBatchNormAct(t *testing.T) {
	d := testDevice()
	cpu := tensor.CPU{}
	rng := rand.New(rand.NewPCG(5, 6))
	const n, c, s = 3, 5, 37
	const eps = 1e-5
	for _, act := range []struct {
		op    tensor.UnaryOp
		alpha float32
	}{{tensor.ReLU, 0}, {tensor.LeakyReLU, 0.2}, {tensor.ELU, 1}, {tensor.ELU, 0.5}} {
		for _, train := range []bool{true, false} {
			for _, affine := range []bool{true, false} {
				t.Run(fmt.Sprintf("%v_alpha%v_train%v_affine%v", act.op, act.alpha, train, affine), func(t *testing.T) {
					x, dy := randTensor(rng, n, c, s), randTensor(rng, n, c, s)
					var w, b *tensor.Tensor
					if affine {
						w, b = randTensor(rng, c), randTensor(rng, c)
					}
					mean, variance := randTensor(rng, c), randTensor(rng, c)
					vd := variance.Data()
					for i := range vd {
						vd[i] = vd[i]*vd[i] + 0.5
					}
					// CPU reference: z = BN(x), y = act(z); dz = act'(z)·dy, then BN backward.
					cm, cv := mean.Clone(), variance.Clone()
					z := tensor.New(cpu, n, c, s)
					cpu.BatchNorm(z, cm, cv, x, w, b, eps, train)
					y := tensor.New(cpu, n, c, s)
					cpu.Unary(act.op, y, z, act.alpha)
					dz := tensor.New(cpu, n, c, s)
					cpu.UnaryBackward(act.op, dz, dy, z, y, act.alpha)
					dx := tensor.New(cpu, n, c, s)
					var dw, db *tensor.Tensor
					if affine {
						dw, db = tensor.New(cpu, c), tensor.New(cpu, c)
					}
					cpu.BatchNormBackward(dx, dw, db, dz, x, w, cm, cv, eps, train)

					gm, gv := mean.To(d), variance.To(d)
					gw, gb := toDev(w, d), toDev(b, d)
					gx, gdy := x.To(d), dy.To(d)
					gy := tensor.New(d, n, c, s)
					d.BatchNormAct(gy, gm, gv, gx, gw, gb, eps, train, act.op, act.alpha)
					compareConv(t, "BatchNormAct", gy.Values(), y.Data(), false)
					compareConv(t, "BatchNormAct mean", gm.Values(), cm.Data(), false)
					compareConv(t, "BatchNormAct variance", gv.Values(), cv.Data(), false)
					gdx := tensor.New(d, n, c, s)
					var gdw, gdb *tensor.Tensor
					if affine {
						gdw, gdb = tensor.New(d, c), tensor.New(d, c)
					}
					d.BatchNormActBackward(gdx, gdw, gdb, gdy, gx, gw, gb, gm, gv, eps, train, act.op, act.alpha)
					compareConv(t, "BatchNormActBackward dx", gdx.Values(), dx.Data(), false)
					if affine {
						compareConv(t, "BatchNormActBackward dw", gdw.Values(), dw.Data(), false)
						compareConv(t, "BatchNormActBackward db", gdb.Values(), db.Data(), false)
					}
				})
			}
		}
	}
	if d.BatchNormActOK(tensor.GELU) {
		t.Error("BatchNormActOK(GELU) = true: GELU is not fused")
	}
}

func toDev(t *tensor.Tensor, d *Device) *tensor.Tensor {
	if t == nil {
		return nil
	}
	return t.To(d)
}
