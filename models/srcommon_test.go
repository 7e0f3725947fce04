package models

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// srArgInt returns the integer constructor argument key of c, def when absent.
func srArgInt(c *fixture.Case, key string, def int) int {
	if _, ok := c.Config()[key]; !ok {
		return def
	}
	v, ok := c.Int(key)
	if !ok {
		panic("models test: constructor argument " + key + " is not an integer")
	}
	return v
}

// srArgScale returns the first entry of an int-or-list constructor argument key (the
// way BiaPy's SR nets read a tuple upscaling factor), def when absent.
func srArgScale(c *fixture.Case, key string, def int) int {
	if _, ok := c.Config()[key]; !ok {
		return def
	}
	v, ok := c.Ints(key, -1)
	if !ok || len(v) == 0 {
		panic("models test: constructor argument " + key + " is not an integer list")
	}
	return v[0]
}

// srTrainStep returns a trainStepCases entry: m on a fixed U(0,1) batch of shape in,
// MSE to a fixed U(0,1) target of the output's shape.
func srTrainStep(m nn.Module, err error, in ...int) (nn.Module, func(tp *nn.Tape) *nn.Var) {
	if err != nil {
		panic(err)
	}
	rng := tensor.NewRNG(7)
	x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, in...))
	y := m.Forward(nil, x) // on the CPU, before BenchmarkTrainStep moves m
	target := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, y.Shape()...).To(testDevice))
	x = nn.NewVar(x.Value.To(testDevice))
	return m, func(tp *nn.Tape) *nn.Var { return tp.MSELoss(m.Forward(tp, x), target) }
}

// srErrorf is fmt.Errorf for the builders.
func srErrorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// srShapeName names a subtest after a shape: [2 3 8] → "2x3x8".
func srShapeName(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}
