package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/selfsup/selfsup/tensor"
)

// OptimizerState is an [Optimizer]'s resumable state: the scheduled hyper-parameters,
// step counts and per-parameter tensors named "<param>/exp_avg" and
// "<param>/exp_avg_sq" (Adam, AdamW) or "<param>/momentum_buffer" (SGD), PyTorch's
// state names. Parameters that were never updated have no entries.
type OptimizerState struct {
	Kind       OptimizerKind             `json:"kind"`        // SGD, ADAM or ADAMW
	LR         float64                   `json:"lr"`          // current learning rate
	Momentum   float64                   `json:"momentum"`    // SGD momentum or Adam β1
	Steps      int                       `json:"steps"`       // optimiser steps taken
	ParamSteps map[string]int            `json:"param_steps"` // steps taken per parameter name (updated parameters only)
	Tensors    map[string]*tensor.Tensor `json:"-"`           // "<param>/<state name>" tensors; stored in the safetensors file, not in JSON
}

// State returns the optimizer's state. The tensors are the live state (not copies):
// save them before the next [Optimizer.Step].
func (o *Optimizer) State() OptimizerState {
	s := OptimizerState{
		Kind: o.kind, LR: o.lr, Momentum: o.beta1, Steps: o.stepCount,
		ParamSteps: map[string]int{}, Tensors: map[string]*tensor.Tensor{},
	}
	for i, p := range o.params {
		st := o.state[i]
		if st.step == 0 {
			continue
		}
		s.ParamSteps[p.Name] = st.step
		for _, n := range o.stateNames() {
			if t := st.tensor(n); t != nil {
				s.Tensors[p.Name+"/"+n] = t
			}
		}
	}
	return s
}

// stateNames lists the per-parameter tensor names of this algorithm.
func (o *Optimizer) stateNames() []string {
	if o.kind == SGD {
		return []string{"momentum_buffer"}
	}
	return []string{"exp_avg", "exp_avg_sq"}
}

// tensor returns the state tensor called name.
func (st *paramState) tensor(name string) *tensor.Tensor {
	switch name {
	case "exp_avg", "momentum_buffer":
		return st.m
	case "exp_avg_sq":
		return st.v
	}
	return nil
}

// SetState restores a state returned by [Optimizer.State] (possibly read back from a
// checkpoint), copying its tensors onto the parameters' devices. It checks the
// algorithm, the parameter names and the shapes, and changes nothing on error.
func (o *Optimizer) SetState(s OptimizerState) error {
	if !strings.EqualFold(string(s.Kind), string(o.kind)) {
		return fmt.Errorf("train: optimizer state is for %s, this optimizer is %s", s.Kind, o.kind)
	}
	index := map[string]int{}
	for i, p := range o.params {
		index[p.Name] = i
	}
	state := make([]paramState, len(o.params))
	for name, step := range s.ParamSteps {
		i, ok := index[name]
		if !ok {
			return fmt.Errorf("train: optimizer state has parameter %q, which the model does not train", name)
		}
		if step < 0 {
			return fmt.Errorf("train: optimizer state: parameter %q has step %d", name, step)
		}
		state[i].step = step
	}
	used := 0
	for i, p := range o.params {
		if state[i].step == 0 {
			continue
		}
		for _, n := range o.stateNames() {
			key := p.Name + "/" + n
			t, ok := s.Tensors[key]
			if !ok {
				if n == "momentum_buffer" && o.beta1 == 0 {
					continue
				}
				return fmt.Errorf("train: optimizer state: missing tensor %q", key)
			}
			if !slices.Equal(t.Shape(), p.Value.Shape()) {
				return fmt.Errorf("train: optimizer state: %q has shape %v, parameter has %v", key, t.Shape(), p.Value.Shape())
			}
			used++
		}
	}
	if used != len(s.Tensors) {
		for key := range s.Tensors {
			name, n, _ := strings.Cut(key, "/")
			if i, ok := index[name]; !ok || state[i].step == 0 || !slices.Contains(o.stateNames(), n) {
				return fmt.Errorf("train: optimizer state: unexpected tensor %q", key)
			}
		}
	}
	for i, p := range o.params {
		if state[i].step == 0 {
			continue
		}
		dev := p.Value.Device()
		if t, ok := s.Tensors[p.Name+"/"+o.stateNames()[0]]; ok {
			state[i].m = t.To(dev).Clone()
		}
		if o.kind != SGD {
			state[i].v = s.Tensors[p.Name+"/exp_avg_sq"].To(dev).Clone()
		}
	}
	o.state = state
	o.lr, o.beta1, o.stepCount = s.LR, s.Momentum, s.Steps
	return nil
}
