package nn

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/tensor"
)

// This file holds the weight initialisations of torch.nn.init. Every function draws on
// the host from a seeded *tensor.RNG and uploads the result to dev, so a seed gives the
// same weights on every device. They reproduce PyTorch's distributions, not its random
// streams: the numbers differ from PyTorch's for the same seed.

// FanInOut returns the fan-in and fan-out of a weight of the given shape, as
// torch.nn.init._calculate_fan_in_and_fan_out computes them: with receptive field
// r = ∏shape[2:], fan_in = shape[1]·r and fan_out = shape[0]·r. For a Linear weight
// [out, in] that is (in, out); for a Conv weight [Cout, Cin/groups, *k] it is
// ((Cin/groups)·∏k, Cout·∏k); for a ConvTranspose weight [Cin, Cout/groups, *k] PyTorch
// reads dim 1, giving fan_in = (Cout/groups)·∏k. A 1-d shape [n] gives (n, n), where
// PyTorch would refuse.
func FanInOut(shape []int) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		panic("nn: FanInOut: scalar shape []")
	case 1:
		return shape[0], shape[0]
	}
	r := 1
	for _, d := range shape[2:] {
		r *= d
	}
	return shape[1] * r, shape[0] * r
}

// Uniform returns a tensor of the given shape on dev with values ~ U(lo, hi)
// (torch.nn.init.uniform_).
func Uniform(dev tensor.Device, rng *tensor.RNG, lo, hi float64, shape ...int) *tensor.Tensor {
	return tensor.RandUniform(dev, rng, lo, hi, shape...)
}

// Normal returns a tensor of the given shape on dev with values ~ N(mean, std²)
// (torch.nn.init.normal_).
func Normal(dev tensor.Device, rng *tensor.RNG, mean, std float64, shape ...int) *tensor.Tensor {
	return tensor.RandNormal(dev, rng, mean, std, shape...)
}

// TruncNormal returns a tensor of the given shape on dev with values from N(mean, std²)
// truncated to [lo, hi] (torch.nn.init.trunc_normal_, as timm and MAE use it with
// std 0.02, lo −2, hi 2).
func TruncNormal(dev tensor.Device, rng *tensor.RNG, mean, std, lo, hi float64, shape ...int) *tensor.Tensor {
	return tensor.RandTruncNormal(dev, rng, mean, std, lo, hi, shape...)
}

// KaimingUniformBound returns the bound b of torch.nn.init.kaiming_uniform_ with
// negative slope a, mode fan_in and nonlinearity leaky_relu: gain = √(2/(1+a²)),
// b = gain·√(3/fanIn). With a = √5 (PyTorch's default for Linear and Conv weights)
// b = 1/√fanIn.
func KaimingUniformBound(fanIn int, a float64) float64 {
	if fanIn <= 0 {
		panic(fmt.Sprintf("nn: KaimingUniformBound: fan_in %d", fanIn))
	}
	gain := math.Sqrt(2 / (1 + a*a))
	return gain * math.Sqrt(3/float64(fanIn))
}

// KaimingUniform returns a weight of the given shape on dev drawn from U(−b, b) with
// b = [KaimingUniformBound](fan_in, a) and fan_in from [FanInOut] (torch.nn.init.
// kaiming_uniform_(w, a=a, mode='fan_in', nonlinearity='leaky_relu')). PyTorch's
// default Linear/Conv/ConvTranspose weight init is a = √5: use [DefaultWeight].
func KaimingUniform(dev tensor.Device, rng *tensor.RNG, a float64, shape ...int) *tensor.Tensor {
	fanIn, _ := FanInOut(shape)
	b := KaimingUniformBound(fanIn, a)
	return Uniform(dev, rng, -b, b, shape...)
}

// KaimingNormal returns a weight of the given shape on dev drawn from N(0, std²) with
// std = √(2/(1+a²))/√fan (torch.nn.init.kaiming_normal_ with nonlinearity
// leaky_relu, a = 0 for ReLU); fan is fan_in, or fan_out when fanOut is true.
func KaimingNormal(dev tensor.Device, rng *tensor.RNG, a float64, fanOut bool, shape ...int) *tensor.Tensor {
	fi, fo := FanInOut(shape)
	fan := fi
	if fanOut {
		fan = fo
	}
	std := math.Sqrt(2/(1+a*a)) / math.Sqrt(float64(fan))
	return Normal(dev, rng, 0, std, shape...)
}

// XavierUniform returns a weight of the given shape on dev drawn from U(−b, b) with
// b = gain·√(6/(fan_in+fan_out)) (torch.nn.init.xavier_uniform_; timm and MAE use it
// for Linear weights with gain 1).
func XavierUniform(dev tensor.Device, rng *tensor.RNG, gain float64, shape ...int) *tensor.Tensor {
	fi, fo := FanInOut(shape)
	b := gain * math.Sqrt(6/float64(fi+fo))
	return Uniform(dev, rng, -b, b, shape...)
}

// DefaultWeight returns the default initial weight PyTorch gives nn.Linear, nn.ConvNd
// and nn.ConvTransposeNd (reset_parameters: kaiming_uniform_(w, a=√5)), i.e.
// U(±1/√fan_in) with fan_in from [FanInOut].
func DefaultWeight(dev tensor.Device, rng *tensor.RNG, shape ...int) *tensor.Tensor {
	return KaimingUniform(dev, rng, math.Sqrt(5), shape...)
}

// DefaultBias returns the default initial bias [n] of nn.Linear and nn.ConvNd:
// U(±1/√fanIn), with fanIn the weight's fan-in from [FanInOut] (0 gives a zero bias,
// as PyTorch's bound 0).
func DefaultBias(dev tensor.Device, rng *tensor.RNG, fanIn, n int) *tensor.Tensor {
	if fanIn <= 0 {
		return tensor.Zeros(dev, n)
	}
	b := 1 / math.Sqrt(float64(fanIn))
	return Uniform(dev, rng, -b, b, n)
}
