package nn

import (
	"strconv"

	"github.com/selfsup/selfsup/tensor"
)

// ParamKind tells what a state_dict entry is.
type ParamKind int

// The kinds of state_dict entries.
const (
	Trainable ParamKind = iota // learned by the optimiser
	Frozen                     // a parameter kept fixed (requires_grad=False in PyTorch)
	Buffer                     // running statistics and counters (BatchNorm)
)

// Param is one named state_dict entry of a module: a PyTorch-style dotted name
// ("blocks.3.attn.qkv.weight") and its Var.
type Param struct {
	Name string // PyTorch state_dict key
	*Var
	Kind ParamKind // trainable, frozen or buffer
}

// Module is a layer or model: a forward pass and its state_dict entries, in PyTorch's
// registration order.
type Module interface {
	// Forward computes the output for x, recording on tp (nil: inference).
	Forward(tp *Tape, x *Var) *Var
	// Params returns every state_dict entry (parameters and buffers) with full names.
	Params() []Param
}

// Prefix returns name with a dotted prefix: Prefix("blocks.3", "norm1") is
// "blocks.3.norm1"; an empty prefix returns name unchanged.
func Prefix(prefix, name string) string {
	if prefix == "" {
		return name
	}
	if name == "" {
		return prefix
	}
	return prefix + "." + name
}

// PrefixIndex is Prefix with an integer child name (nn.Sequential / ModuleList style):
// PrefixIndex("blocks", 3) is "blocks.3".
func PrefixIndex(prefix string, i int) string { return Prefix(prefix, strconv.Itoa(i)) }

// Prefixed returns ps with prefix added to each name.
func Prefixed(prefix string, ps []Param) []Param {
	out := make([]Param, len(ps))
	for i, p := range ps {
		p.Name = Prefix(prefix, p.Name)
		out[i] = p
	}
	return out
}

// Trainables returns the entries of ps the optimiser updates.
func Trainables(ps []Param) []Param {
	var out []Param
	for _, p := range ps {
		if p.Kind == Trainable && p.requiresGrad {
			out = append(out, p)
		}
	}
	return out
}

// CountParams returns the number of scalar parameters (trainable and frozen, buffers
// excluded), as torchinfo counts them.
func CountParams(ps []Param) int {
	n := 0
	for _, p := range ps {
		if p.Kind != Buffer {
			n += p.Value.Numel()
		}
	}
	return n
}

// StateDict returns the name→tensor map of ps (values, not copies).
func StateDict(ps []Param) map[string]*tensor.Tensor {
	m := make(map[string]*tensor.Tensor, len(ps))
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}

// ZeroGrads drops the gradients of ps and frees their memory ([tensor.Device.Free]: back
// to the CPU buffer cache or the GPU's caching allocator), each buffer once even when
// gradients share one, so a training loop that zeroes its gradients every step does not
// grow. Do not keep references to the old Grad tensors: using one panics.
func ZeroGrads(ps []Param) {
	freed := map[tensor.Buffer]bool{}
	for _, p := range ps {
		if p.Var == nil || p.Grad == nil {
			continue
		}
		if b := p.Grad.Buffer(); !freed[b] {
			freed[b] = true
			b.Device().Free(b)
		}
		p.Grad = nil
	}
}
