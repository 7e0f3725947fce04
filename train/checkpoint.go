package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/tensor/safetensors"
)

// OptimizerPrefix is the reserved name prefix of the optimizer-state tensors stored in
// a checkpoint's safetensors file beside the model's state_dict:
// "optimizer/<param name>/exp_avg" and so on (see [OptimizerState]). Model entries
// never contain "/", so a PyTorch user gets the state_dict back with
//
//	{k: v for k, v in load_file(path).items() if not k.startswith("optimizer/")}
const OptimizerPrefix = "optimizer/"

// CheckpointPath returns dir/<stem>-checkpoint-<which>.safetensors, which being
// "best" or "last" (SPEC Part A item 7; stem is "<name>_<run_id>").
func CheckpointPath(dir, stem, which string) string {
	return filepath.Join(dir, stem+"-checkpoint-"+which+".safetensors")
}

// SideCarPath returns the JSON side-car of a checkpoint: path with ".safetensors"
// replaced by ".json".
func SideCarPath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".json"
}

// CheckpointInfo is a checkpoint's JSON side-car: everything besides tensors that a
// resumed run needs, plus provenance.
type CheckpointInfo struct {
	Version string    `json:"selfsup_version"` // module version that wrote it
	Which   string    `json:"checkpoint"`      // "best" or "last"
	Time    time.Time `json:"time"`            // when it was written
	SaveID  string    `json:"save_id"`         // also in the safetensors metadata: pairs the two files

	Epoch      int `json:"epoch"`       // epochs completed
	Batch      int `json:"batch"`       // batches of epoch Epoch (0-based) already trained; 0 at an epoch boundary
	GlobalStep int `json:"global_step"` // optimizer steps taken

	Config   string            `json:"config,omitempty"`   // caller's configuration text (the YAML)
	Metadata map[string]string `json:"metadata,omitempty"` // caller's extra metadata

	Optimizer      *OptimizerState `json:"optimizer,omitempty"`       // tensors live in the safetensors file
	Scheduler      string          `json:"scheduler,omitempty"`       // the scheduler's Name ("" without one)
	SchedulerState json.RawMessage `json:"scheduler_state,omitempty"` // the scheduler's State
	EarlyStopping  EarlyStopping   `json:"early_stopping"`            // early-stopping counters
	BestValLoss    Float           `json:"best_val_loss"`             // +Inf before any validation
	BestEpoch      int             `json:"best_epoch"`                // 1-based epoch of BestValLoss (0: none)
	TrainLoss      Float           `json:"train_loss"`                // of the last completed epoch
	ValLoss        Float           `json:"val_loss"`                  // of the last completed epoch (NaN without validation)
	// Partial holds the running sums of an epoch stopped part-way (Batch > 0).
	Partial *PartialEpoch `json:"partial,omitempty"`
	// RNG holds the states of the run's generators ([tensor.RNG.State]), base64 in JSON.
	RNG map[string][]byte `json:"rng,omitempty"`
}

// PartialEpoch holds the running sums of a training epoch, so that a run stopped and
// resumed in the middle of an epoch reports the same epoch statistics.
type PartialEpoch struct {
	LossSum    float64            `json:"loss_sum"`              // sum of the batch losses so far
	MetricSums map[string]float64 `json:"metric_sums,omitempty"` // sums of the batch metric values, by Metric.Name
	Batches    int                `json:"batches"`               // batches trained so far
	Samples    int                `json:"samples"`               // samples trained so far
}

// Checkpoint is a checkpoint read back by [ReadCheckpoint].
type Checkpoint struct {
	Path      string                    // the safetensors file read
	Info      CheckpointInfo            // its JSON side-car
	Model     map[string]*tensor.Tensor // state_dict (parameters and buffers)
	Optimizer map[string]*tensor.Tensor // optimizer-state tensors, without OptimizerPrefix
}

// Version returns the selfsup module version of this build ("(devel)" in a source tree).
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/selfsup/selfsup" && bi.Main.Version != "" {
			return bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/selfsup/selfsup" {
				return d.Version
			}
		}
	}
	return "(devel)"
}

// SaveCheckpoint writes params' state_dict (parameters and buffers under their nn
// names) and, when opt is non-nil, its state tensors under [OptimizerPrefix] to path
// (atomically, through safetensors.WriteFile), then info with opt's scalar state to
// the side-car [SideCarPath] (atomically: temporary file, sync, rename). info's
// Version, Time, SaveID and Optimizer are filled in.
func SaveCheckpoint(path string, params []nn.Param, opt *Optimizer, info CheckpointInfo) error {
	tensors := make(map[string]*tensor.Tensor, len(params))
	for _, p := range params {
		if strings.Contains(p.Name, "/") {
			return fmt.Errorf("train: checkpoint %s: parameter name %q contains '/'", path, p.Name)
		}
		if _, dup := tensors[p.Name]; dup {
			return fmt.Errorf("train: checkpoint %s: parameter %q listed twice", path, p.Name)
		}
		tensors[p.Name] = p.Value
	}
	info.Optimizer = nil
	if opt != nil {
		st := opt.State()
		for k, t := range st.Tensors {
			tensors[OptimizerPrefix+k] = t
		}
		st.Tensors = nil
		info.Optimizer = &st
	}
	info.Version = Version()
	info.Time = time.Now()
	info.SaveID = strconv.FormatInt(info.Time.UnixNano(), 36)
	meta := map[string]string{
		"format": "pt", "selfsup_version": info.Version, "save_id": info.SaveID,
		"epoch": strconv.Itoa(info.Epoch), "global_step": strconv.Itoa(info.GlobalStep),
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := safetensors.WriteFile(path, tensors, meta); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return writeFileAtomic(SideCarPath(path), append(b, '\n'))
}

// writeFileAtomic writes b to a temporary file beside path, syncs it and renames it
// over path.
func writeFileAtomic(path string, b []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return fmt.Errorf("train: write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("train: sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("train: close %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// ReadCheckpoint reads the checkpoint at path and its JSON side-car and checks that
// they belong together. It applies nothing: see [Checkpoint.LoadWeights] and
// [Checkpoint.LoadOptimizer].
func ReadCheckpoint(path string) (*Checkpoint, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint: %w", err)
	}
	side := SideCarPath(path)
	b, err := os.ReadFile(side)
	if err != nil {
		return nil, fmt.Errorf("train: checkpoint %s: side-car: %w", path, err)
	}
	c := &Checkpoint{Path: path, Model: map[string]*tensor.Tensor{}, Optimizer: map[string]*tensor.Tensor{}}
	if err := json.Unmarshal(b, &c.Info); err != nil {
		return nil, fmt.Errorf("train: checkpoint side-car %s: %w", side, err)
	}
	if id := f.Metadata["save_id"]; id != c.Info.SaveID {
		return nil, fmt.Errorf("train: checkpoint %s: side-car %s belongs to another save (save_id %q vs %q); the write was interrupted", path, side, c.Info.SaveID, id)
	}
	for name, t := range f.Tensors {
		if k, ok := strings.CutPrefix(name, OptimizerPrefix); ok {
			c.Optimizer[k] = t
		} else {
			c.Model[name] = t
		}
	}
	return c, nil
}

// LoadWeights copies the checkpoint's state_dict into params (parameters and buffers).
// Names and shapes must match exactly; on a mismatch it names every missing,
// unexpected or mis-shaped entry and changes nothing.
func (c *Checkpoint) LoadWeights(params []nn.Param) error {
	var problems []string
	seen := map[string]bool{}
	for _, p := range params {
		seen[p.Name] = true
		t, ok := c.Model[p.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %q", p.Name))
		case !slices.Equal(t.Shape(), p.Value.Shape()):
			problems = append(problems, fmt.Sprintf("%q has shape %v in the file, %v in the model", p.Name, t.Shape(), p.Value.Shape()))
		}
	}
	var extra []string
	for name := range c.Model {
		if !seen[name] {
			extra = append(extra, fmt.Sprintf("unexpected %q", name))
		}
	}
	sort.Strings(extra)
	problems = append(problems, extra...)
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("and %d more", len(problems)-10))
		}
		return fmt.Errorf("train: checkpoint %s does not match the model: %s", c.Path, strings.Join(problems, "; "))
	}
	for _, p := range params {
		p.Value.CopyFrom(c.Model[p.Name].To(p.Value.Device()))
	}
	return nil
}

// LoadOptimizer restores opt's state from the checkpoint.
func (c *Checkpoint) LoadOptimizer(opt *Optimizer) error {
	if c.Info.Optimizer == nil {
		return fmt.Errorf("train: checkpoint %s holds no optimizer state", c.Path)
	}
	st := *c.Info.Optimizer
	st.Tensors = c.Optimizer
	if err := opt.SetState(st); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", c.Path, err)
	}
	return nil
}

// LoadWeights reads the checkpoint at path (safetensors; the side-car is not needed)
// into params, with the checks of [Checkpoint.LoadWeights]. Optimizer entries are
// ignored.
func LoadWeights(path string, params []nn.Param) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	c := &Checkpoint{Path: path, Model: map[string]*tensor.Tensor{}}
	for name, t := range f.Tensors {
		if !strings.HasPrefix(name, OptimizerPrefix) {
			c.Model[name] = t
		}
	}
	return c.LoadWeights(params)
}
