//go:build cuda

package cuda

import (
	"slices"
	"sync"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/tensor/tensortest"
)

// testDevice is GPU 0, opened once for the package's tests.
var testDevice = sync.OnceValue(func() *Device {
	d, err := New(0)
	if err != nil {
		panic(err)
	}
	return d
})

func TestDevice(t *testing.T) {
	d := testDevice()
	t.Logf("%s: %s", d.Name(), d.GPUName())
	tensortest.TestDevice(t, d)
}

// TestCopyStridedHighRank copies a permuted view of rank 8, which copy_strided handles
// by splitting leading axes, and compares with the CPU.
func TestCopyStridedHighRank(t *testing.T) {
	d := testDevice()
	shape := []int{2, 3, 2, 2, 3, 2, 2, 3}
	n := 1
	for _, s := range shape {
		n *= s
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	host := tensor.FromSlice(v, shape...)
	perm := []int{7, 0, 6, 1, 5, 2, 4, 3}
	want := host.Permute(perm...).Clone().Values()
	got := host.To(d).Permute(perm...).Clone().Values()
	if !slices.Equal(got, want) {
		t.Errorf("rank-8 permuted copy differs from the CPU")
	}
	// Overlapping contiguous ranges of one buffer behave like memmove.
	buf := tensor.FromSlice([]float32{0, 1, 2, 3, 4, 5, 6, 7}, 8).To(d)
	buf.Slice(0, 2, 8).CopyFrom(buf.Slice(0, 0, 6))
	if got := buf.Values(); !slices.Equal(got, []float32{0, 1, 0, 1, 2, 3, 4, 5}) {
		t.Errorf("overlapping copy: %v", got)
	}
}

// TestAllocator checks the caching allocator: Free returns blocks to the cache, Alloc
// of the same size class reuses them, EmptyCache releases them, misuse panics.
func TestAllocator(t *testing.T) {
	d := testDevice()
	d.EmptyCache()
	before := d.MemStats()
	b := d.Alloc(1000)
	if got := d.MemStats().InUse - before.InUse; got != bucketBytes(1000) {
		t.Errorf("InUse grew by %d, want %d", got, bucketBytes(1000))
	}
	d.Free(b)
	s := d.MemStats()
	if s.InUse != before.InUse || s.Cached != bucketBytes(1000) {
		t.Errorf("after Free: %+v (before %+v)", s, before)
	}
	b2 := d.Alloc(990) // same size class: reused
	if s := d.MemStats(); s.Cached != 0 {
		t.Errorf("Alloc of the same class did not reuse the cached block: %+v", s)
	}
	x := tensor.FromBuffer(b2, 0, 990)
	d.Fill(x, 3)
	if v := x.Values(); v[0] != 3 || v[989] != 3 {
		t.Errorf("Fill on a reused block: %v %v", v[0], v[989])
	}
	d.Free(b2)
	d.EmptyCache()
	if s := d.MemStats(); s.Cached != 0 || s.InUse != before.InUse {
		t.Errorf("after EmptyCache: %+v", s)
	}
	mustPanic(t, "double Free", func() { d.Free(b2) })
	mustPanic(t, "use after Free", func() { d.Fill(x, 1) })
	mustPanic(t, "CPU buffer", func() { d.Free(tensor.CPU{}.Alloc(3)) })
	mustPanic(t, "FromHost out of range", func() { d.FromHost(d.Alloc(2), 1, []float32{1, 2}) })
	if z := d.Alloc(0); z.Len() != 0 {
		t.Errorf("Alloc(0).Len() = %d", z.Len())
	}
}

// TestTrainingMemoryBounded runs training steps of a small conv net with BatchNorm on
// the GPU, freeing intermediates with Tape.Reset and the previous gradients before
// dropping them, and checks that the memory in use and the cache stop growing after
// the first steps: every step's blocks come back from the cache.
func TestTrainingMemoryBounded(t *testing.T) {
	d := testDevice()
	rng := tensor.NewRNG(3)
	m := nn.NewSequential(
		nn.NewConv(nn.ConvConfig{In: 2, Out: 8, Kernel: []int{3, 3}, Padding: []int{1}}, rng),
		nn.NewBatchNorm(8, nn.BatchNormOptions{}),
		nn.GELU{},
		nn.NewConv(nn.ConvConfig{In: 8, Out: 2, Kernel: []int{3, 3}, Padding: []int{1}}, rng),
	)
	nn.MoveTo(m, d)
	x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, -1, 1, 4, 2, 12, 10).To(d))
	y := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, -1, 1, 4, 2, 12, 10).To(d))
	params := nn.Trainables(m.Params())
	moments := make([][2]*tensor.Tensor, len(params))
	for i, p := range params {
		moments[i] = [2]*tensor.Tensor{tensor.Zeros(d, p.Shape()...), tensor.Zeros(d, p.Shape()...)}
	}
	tp := nn.NewTape()
	var stats []MemStats
	var losses []float32
	for step := 1; step <= 8; step++ {
		tp.Reset()
		nn.ZeroGrads(params)
		loss := tp.MSELoss(m.Forward(tp, x), y)
		tp.Backward(loss)
		losses = append(losses, loss.Value.Item())
		for i, p := range params {
			d.AdamW(p.Value, p.Grad, moments[i][0], moments[i][1], tensor.AdamWParams{
				LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: step})
		}
		stats = append(stats, d.MemStats())
	}
	t.Logf("losses %v", losses)
	t.Logf("memory per step %+v", stats)
	if losses[len(losses)-1] >= losses[0] {
		t.Errorf("loss did not decrease: %v", losses)
	}
	ref := stats[2]
	for i, s := range stats[3:] {
		if s.InUse != ref.InUse || s.InUse+s.Cached != ref.InUse+ref.Cached {
			t.Errorf("step %d: %+v, step 3: %+v: memory grows from step to step (a leak past Tape.Reset)", i+4, s, ref)
		}
	}
}
