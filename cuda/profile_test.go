package cuda

import (
	"strings"
	"testing"
	"time"
)

func TestProfiler(t *testing.T) {
	p := newProfiler()
	p.add("gemm/sgemm64_nn", 3*time.Millisecond)
	p.add("conv/im2col", time.Millisecond)
	p.add("gemm/sgemm64_nn", time.Millisecond)
	got := p.snapshot()
	want := []ProfileEntry{
		{Name: "gemm/sgemm64_nn", Count: 2, Total: 4 * time.Millisecond},
		{Name: "conv/im2col", Count: 1, Total: time.Millisecond},
	}
	if len(got) != len(want) {
		t.Fatalf("snapshot %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if m := got[0].Mean(); m != 2*time.Millisecond {
		t.Errorf("mean %v, want 2ms", m)
	}
	var sb strings.Builder
	WriteProfile(&sb, got, 1)
	out := sb.String()
	if !strings.Contains(out, "gemm/sgemm64_nn") || strings.Contains(out, "conv/im2col") || !strings.Contains(out, "5.000") {
		t.Errorf("WriteProfile top 1:\n%s", out)
	}
	p.reset()
	if n := len(p.snapshot()); n != 0 {
		t.Errorf("after reset: %d entries", n)
	}
}
