package gemm

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestZZPerf prints GFLOP per CPU-second (robust to machine load).
func TestZZPerf(t *testing.T) {
	for _, s := range [][3]int{{1024, 1024, 1024}, {4096, 768, 768}, {16384, 64, 576}, {256, 256, 256}, {64, 64, 64}, {9, 9, 8}} {
		m, n, k := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(1, 1))
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		for _, kern := range kernels[:1] {
			for _, threads := range []int{1, 2} {
				active = kern
				sgemm(threads, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				reps := max(3, int(3e9/float64(2*m*n*k)))
				c0, w0 := cpuNow(), time.Now()
				for range reps {
					sgemm(threads, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				cpu, wall := cpuNow()-c0, time.Since(w0)
				fl := 2 * float64(m*n*k) * float64(reps)
				fmt.Printf("%dx%dx%d %s t=%d: %.1f GFLOP/cpu-s  (wall %.1f GFLOP/s, cpu/wall %.2f)\n", m, n, k, kern.name, threads, fl/cpu.Seconds()/1e9, fl/wall.Seconds()/1e9, cpu.Seconds()/wall.Seconds())
			}
		}
	}
	active = kernels[0]
}

func TestZZKernel(t *testing.T) {
	for _, kern := range kernels {
		const kc = 256
		r := rand.New(rand.NewPCG(1, 1))
		a, bp := randSlice(r, kc*kern.mr), randSlice(r, kc*kern.nr)
		c := make([]float32, kern.mr*kern.nr)
		reps := 200000
		if kern.name == "generic" {
			reps = 5000
		}
		c0 := cpuNow()
		for range reps {
			kern.fn(kc, a, bp, c, kern.nr, false)
		}
		cpu := cpuNow() - c0
		fmt.Printf("kernel %s: %.1f GFLOP/cpu-s\n", kern.name, 2*float64(kc*kern.mr*kern.nr*reps)/cpu.Seconds()/1e9)
	}
}

func TestZZPack(t *testing.T) {
	const m, k = 1024, 1024
	r := rand.New(rand.NewPCG(1, 1))
	a := randSlice(r, m*k)
	dst := make([]float32, 336*256+1024)
	for _, tr := range []bool{false, true} {
		c0 := cpuNow()
		reps := 50
		for range reps {
			for i := 0; i < m; i += 266 {
				for p := 0; p < k; p += 256 {
					packA(dst, tr, a, k, i, min(266, m-i), p, 256, 14, 1)
				}
			}
		}
		cpu := cpuNow() - c0
		fmt.Printf("packA trans=%v: %.2f ns/elem\n", tr, float64(cpu.Nanoseconds())/float64(reps*m*k))
		bd := make([]float32, 256*1024)
		c0 = cpuNow()
		for range reps {
			for p := 0; p < k; p += 256 {
				packB(bd, tr, a, k, 0, 1024, p, 256, 32, 0, 32)
			}
		}
		cpu = cpuNow() - c0
		fmt.Printf("packB trans=%v: %.2f ns/elem\n", tr, float64(cpu.Nanoseconds())/float64(reps*m*k))
	}
}

func TestZZTune(t *testing.T) {
	for _, s := range [][3]int{{1024, 1024, 1024}, {4096, 768, 768}} {
		m, n, k := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(1, 1))
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		for _, kc := range []int{128, 192, 256, 384, 512} {
			for _, mc := range []int{112, 168, 336, 672} {
				kern := *kernels[0]
				kern.kc, kern.mc = kc, mc
				active = &kern
				sgemm(1, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				reps := max(3, int(2e9/float64(2*m*n*k)))
				c0 := cpuNow()
				for range reps {
					sgemm(1, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				cpu := cpuNow() - c0
				fl := 2 * float64(m*n*k) * float64(reps)
				fmt.Printf("%dx%dx%d kc=%d mc=%d: %.1f GFLOP/cpu-s\n", m, n, k, kc, mc, fl/cpu.Seconds()/1e9)
			}
		}
	}
	active = kernels[0]
}
