package metrics_test

import (
	"fmt"

	"github.com/selfsup/selfsup/metrics"
)

func ExamplePSNR() {
	target := []float32{0, 64, 128, 255}
	pred := []float32{2, 60, 130, 250}
	// MSE = (4 + 16 + 4 + 25) / 4 = 12.25.
	fmt.Printf("MSE %.2f\n", metrics.MSE(pred, target))
	fmt.Printf("PSNR %.4f dB\n", metrics.PSNR(pred, target, 255))
	// Test phase: data range = target max − min = 255 here too.
	fmt.Printf("PSNRTest %.4f dB\n", metrics.PSNRTest(pred, target))
	// Output:
	// MSE 12.25
	// PSNR 37.2494 dB
	// PSNRTest 37.2494 dB
}

func ExampleSSIM() {
	// A 16×16 grayscale ramp, shape (y, x, c), and a copy with a brighter square.
	shape := []int{16, 16, 1}
	target := make([]float32, 16*16)
	for i := range target {
		target[i] = float32(i%16) / 15
	}
	pred := append([]float32(nil), target...)
	for y := 6; y < 10; y++ {
		for x := 6; x < 10; x++ {
			pred[y*16+x] += 0.2
		}
	}
	fmt.Printf("SSIM(x, x) %.4f\n", metrics.SSIM(target, target, shape, 1))
	fmt.Printf("SSIM %.4f\n", metrics.SSIM(pred, target, shape, 1))
	// Output:
	// SSIM(x, x) 1.0000
	// SSIM 0.6887
}
