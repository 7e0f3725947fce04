package tensor

import (
	"strings"
	"testing"
)

func TestTrackingCPU(t *testing.T) {
	d := NewTrackingCPU()
	if d.Name() != "cpu-tracking" {
		t.Fatalf("Name = %q", d.Name())
	}
	a := FromSlice([]float32{1, -2, 3, -4, 5, -6}, 2, 3).To(d)
	if a.Device() != Device(d) || a.Buffer().Device() != Device(d) {
		t.Fatalf("device of a tracked tensor is %s", a.Device().Name())
	}
	if a.To(d) != a {
		t.Fatal("To(same tracking device) copied")
	}
	b := New(d, 2, 3)
	d.Unary(ReLU, b, a, 0)
	c := a.Transpose(0, 1).Contiguous() // a CPU kernel over a strided view
	if bufs, el := d.Live(); bufs != 3 || el != 18 {
		t.Fatalf("Live = %d buffers, %d elements; want 3, 18", bufs, el)
	}
	for i, want := range []float32{1, 0, 3, 0, 5, 0} {
		if got := b.Values()[i]; got != want {
			t.Fatalf("ReLU[%d] = %v, want %v", i, got, want)
		}
	}
	if got := c.Values(); got[1] != -4 {
		t.Fatalf("transpose copy = %v", got)
	}
	host := b.To(CPU{})
	if host.Device() != Device(CPU{}) {
		t.Fatalf("To(CPU) gave %s", host.Device().Name())
	}
	b.Device().Free(b.Buffer())
	if bufs, el := d.Live(); bufs != 2 || el != 12 {
		t.Fatalf("after Free: Live = %d buffers, %d elements; want 2, 12", bufs, el)
	}

	t.Run("double free panics", func(t *testing.T) {
		defer wantPanic(t, "freed twice")
		d.Free(b.Buffer())
	})
	t.Run("foreign buffer panics", func(t *testing.T) {
		defer wantPanic(t, "not allocated by this device")
		d.Free(host.Buffer())
	})
	t.Run("other tracker's buffer panics", func(t *testing.T) {
		defer wantPanic(t, "not allocated by this device")
		d.Free(New(NewTrackingCPU(), 4).Buffer())
	})
	t.Run("sites", func(t *testing.T) {
		d.TraceAllocs(true)
		x := Zeros(d, 7)
		d.TraceAllocs(false)
		sites := d.LiveSites()
		if len(sites) != 1 || !strings.Contains(sites[0], "7 elements") || !strings.Contains(sites[0], "TestTrackingCPU") {
			t.Fatalf("LiveSites = %q", sites)
		}
		d.Free(x.Buffer())
		if len(d.LiveSites()) != 0 {
			t.Fatalf("LiveSites after Free = %q", d.LiveSites())
		}
	})
}

func wantPanic(t *testing.T, substr string) {
	t.Helper()
	r := recover()
	if r == nil {
		t.Fatal("no panic")
	}
	if s, _ := r.(string); !strings.Contains(s, substr) {
		t.Fatalf("panic %v, want it to mention %q", r, substr)
	}
}
