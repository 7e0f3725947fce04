//go:build !linux

package tensor

// adviseHuge does nothing here: huge-page advice is Linux's madvise.
func adviseHuge(s []float32) error { return nil }
