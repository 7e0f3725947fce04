package data

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestPercentile(t *testing.T) {
	ramp := make([]float32, 10) // 0..9
	for i := range ramp {
		ramp[i] = float32(i)
	}
	cases := []struct {
		name string
		vals []float32
		q    float64
		want float64 // np.percentile
	}{
		{"median even", []float32{4, 1, 3, 2}, 50, 2.5},
		{"q0", []float32{4, 1, 3, 2}, 0, 1},
		{"q100", []float32{4, 1, 3, 2}, 100, 4},
		{"q25", []float32{4, 1, 3, 2}, 25, 1.75},
		{"q99.8 ramp", ramp, 99.8, 8.982},
		{"q2 ramp", ramp, 2, 0.18},
		{"single", []float32{7}, 30, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Percentile(c.vals, c.q); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("Percentile(%v, %v) = %v, want %v", c.vals, c.q, got, c.want)
			}
		})
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("Percentile of nothing is not NaN")
	}
}

func ptr(v float64) *float64 { return &v }

func TestNormalizationValidate(t *testing.T) {
	cases := []struct {
		name string
		n    Normalization
		want string // error substring, "" for none
	}{
		{"zero value", Normalization{}, "normalization type"},
		{"typo", Normalization{Type: "zmuv"}, "normalization type"},
		{"div", Normalization{Type: NormDiv}, ""},
		{"bad lower", Normalization{Type: NormDiv, PercentileClip: true, LowerPerc: -1, UpperPerc: 99}, "lower percentile"},
		{"bad upper", Normalization{Type: NormDiv, PercentileClip: true, LowerPerc: 1, UpperPerc: 101}, "upper percentile"},
		{"fixed bounds", Normalization{Type: NormDiv, PercentileClip: true, LowerPerc: -1, UpperPerc: -1, LowerValue: ptr(0), UpperValue: ptr(1)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.n.Validate()
			if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("Validate() = %v, want error containing %q", err, c.want)
			}
		})
	}
}

func TestNormalizeAndUndo(t *testing.T) {
	img := func(dt DType, vals ...float32) *Image {
		return &Image{Data: vals, Shape: []int{1, len(vals), 1}, DType: dt}
	}
	cases := []struct {
		name       string
		n          Normalization
		in         *Image
		want       []float32 // normalised
		wantUndone []float32
	}{
		{"div uint16 small max divides by 255", Normalization{Type: NormDiv}, img(Uint16, 0, 51, 255),
			[]float32{0, 0.2, 1}, []float32{0, 51, 255}},
		{"div uint8 above 255 impossible, uint16 300 uses 65535", Normalization{Type: NormDiv}, img(Uint16, 0, 300),
			[]float32{0, 300 * float32(1.0/65535)}, []float32{0, 300}},
		{"scale_range undo is BiaPy's x·max+min", Normalization{Type: NormScaleRange}, img(Uint8, 10, 20, 30),
			[]float32{0, 10 / float32(20+1e-6), 20 / float32(20+1e-6)}, []float32{10, 24, 39}}, // 0.49999997·30+10 truncates to 24
		{"zmuv float keeps values", Normalization{Type: NormZeroMeanUnitVar}, img(Float32, 1, 3),
			[]float32{-1 / float32(1+1e-6), 1 / float32(1+1e-6)}, []float32{1, 3}},
		{"zmuv int adds |min|", Normalization{Type: NormZeroMeanUnitVar}, img(Int16, -4, 4),
			[]float32{-4 / float32(4+1e-6), 4 / float32(4+1e-6)}, []float32{0, 8}},
		{"zmuv int adds |min| even when positive", Normalization{Type: NormZeroMeanUnitVar}, img(Uint8, 10, 30),
			[]float32{-10 / float32(10+1e-6), 10 / float32(10+1e-6)}, []float32{20, 40}},
		{"zmuv fixed stats", Normalization{Type: NormZeroMeanUnitVar, Mean: ptr(1), Std: ptr(2)}, img(Float32, 1, 5),
			[]float32{0, 4 / float32(2+1e-6)}, []float32{1, 5}},
		{"fixed clip bounds truncated for integers", Normalization{Type: NormDiv, PercentileClip: true, LowerValue: ptr(10.7), UpperValue: ptr(200.9)},
			img(Uint8, 0, 100, 255), []float32{10 * float32(1.0/255), 100 * float32(1.0/255), 200 * float32(1.0/255)}, []float32{10, 100, 200}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, st, err := c.n.Normalize(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.DType != Float32 {
				t.Errorf("normalised dtype %v", out.DType)
			}
			assertClose(t, "normalised", out.Data, c.want, 1e-6, 1e-7)
			back := st.Undo(out)
			if back.DType != c.in.DType {
				t.Errorf("undone dtype %v, want %v", back.DType, c.in.DType)
			}
			assertClose(t, "undone", back.Data, c.wantUndone, 0, 1e-4)
		})
	}
}

func TestNormalizePercentileClip(t *testing.T) {
	vals := make([]float32, 101)
	for i := range vals {
		vals[i] = float32(i)
	}
	vals[100] = 10000 // outlier
	n := Normalization{Type: NormScaleRange, PercentileClip: true, LowerPerc: 1, UpperPerc: 99}
	st, err := n.Measure(&Image{Data: vals, Shape: []int{1, 101, 1}, DType: Float32})
	if err != nil {
		t.Fatal(err)
	}
	if st.LowerBound != 1 || st.UpperBound != 99 || st.Min != 1 || st.Max != 99 || !st.Clip {
		t.Errorf("stats %+v, want clip [1, 99] and range [1, 99]", st)
	}
}

func TestAstype(t *testing.T) {
	cases := []struct {
		v    float32
		d    DType
		want float32
	}{
		{281, Uint8, 25}, {256, Uint8, 0}, {-1, Uint8, 255}, {3.9, Uint8, 3}, {-3.9, Int8, -3},
		{70000, Uint16, 70000 - 65536}, {40000, Int16, 40000 - 65536}, {1.5, Float32, 1.5},
		{float32(math.NaN()), Uint16, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v_%v", c.v, c.d), func(t *testing.T) {
			if got := astype(c.v, c.d); got != c.want {
				t.Errorf("astype(%v, %v) = %v, want %v", c.v, c.d, got, c.want)
			}
		})
	}
}

func TestApplyToPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "ApplyTo") {
			t.Errorf("panic %v", r)
		}
	}()
	NormStats{Type: NormDiv, DivValue: 255}.ApplyTo(make([]float32, 2), make([]float32, 3))
}

func ExampleNormalization() {
	// A 2×2 uint8 image, one channel ([Y, X, C]).
	img := &Image{Data: []float32{0, 51, 102, 255}, Shape: []int{2, 2, 1}, DType: Uint8}

	norm := Normalization{Type: NormZeroMeanUnitVar}
	out, stats, err := norm.Normalize(img)
	if err != nil {
		panic(err)
	}
	fmt.Printf("zmuv: mean %.2f std %.4f → %.4f\n", stats.Mean, stats.Std, out.Data)

	norm = Normalization{Type: NormDiv}
	out, stats, err = norm.Normalize(img)
	if err != nil {
		panic(err)
	}
	fmt.Printf("div by %v → %.2f\n", stats.DivValue, out.Data)
	back := stats.Undo(out) // back to the original range and dtype
	fmt.Println(back.Data, back.DType)
	// Output:
	// zmuv: mean 102.00 std 95.4123 → [-1.0690 -0.5345 0.0000 1.6036]
	// div by 255 → [0.00 0.20 0.40 1.00]
	// [0 51 102 255] uint8
}
