package tensor

import (
	"os"
	"testing"
)

func TestAdviseHuge(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("kernel without transparent huge pages")
	}
	for _, n := range []int{1 << 10, 1 << 20, 3 << 20, 16 << 20} { // 4 KiB … 64 MiB
		if err := adviseHuge(make([]float32, n)); err != nil {
			t.Errorf("%d floats: %v", n, err)
		}
	}
}
