package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// JSONLogName returns BiaPy's train-log file name for a job prefix (`<name>_<run_id>`)
// and a start time: `<prefix>_log_<YYYY_MM_DD_HH_MM_SS>.txt`.
func JSONLogName(prefix string, t time.Time) string {
	return prefix + "_log_" + t.Format("2006_01_02_15_04_05") + ".txt"
}

// NewJSONLogger returns a Logger that appends one JSON object per epoch to path (created
// with its parent directories; an existing file, e.g. of a resumed run, is appended to),
// as BiaPy's train log does (`json.dumps(log_stats) + "\n"`):
//
//	{"train_loss": 0.5, "train_lr": 0.0001, "train_PSNR": 20.1, "test_loss": 0.6, "test_PSNR": 19.8, "epoch": 0}
//
// Keys: train_loss, train_lr, then train_<metric> for every Metrics key "train/<metric>"
// (sorted), test_loss and test_<metric> for the validation values (Metrics keys
// "val/<metric>"; BiaPy prefixes validation with "test_"), and the 0-based epoch last.
// Other Metrics keys "<group>/<name>" become "<group>_<name>". test_loss is omitted when
// ValLoss is NaN (no validation data); other non-finite values are written as null so
// every line stays valid JSON. Each line is written and synced when Epoch returns.
// Step does nothing.
func NewJSONLogger(path string) (Logger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("train: json log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: json log: %w", err)
	}
	return &jsonLogger{f: f}, nil
}

type jsonLogger struct {
	f   *os.File
	buf []byte
}

func (l *jsonLogger) Step(StepStats) {}

func (l *jsonLogger) Epoch(e EpochStats) error {
	if l.f == nil {
		return fmt.Errorf("train: json log: Epoch after Close")
	}
	l.buf = appendEpochJSON(l.buf[:0], e)
	if _, err := l.f.Write(l.buf); err != nil {
		return fmt.Errorf("train: json log: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("train: json log: %w", err)
	}
	return nil
}

func (l *jsonLogger) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("train: json log: %w", err)
	}
	return nil
}

// appendEpochJSON appends e as one BiaPy-style JSON line (with the trailing newline).
func appendEpochJSON(b []byte, e EpochStats) []byte {
	train, test, other := splitMetrics(e.Metrics)
	b = append(b, '{')
	first := true
	field := func(key string, v float64) {
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = strconv.AppendQuote(b, key)
		b = append(b, ": "...)
		b = appendPyFloat(b, v)
	}
	field("train_loss", e.TrainLoss)
	field("train_lr", e.LR)
	for _, kv := range train {
		field("train_"+kv.name, kv.v)
	}
	if !math.IsNaN(e.ValLoss) {
		field("test_loss", e.ValLoss)
	}
	for _, kv := range test {
		field("test_"+kv.name, kv.v)
	}
	for _, kv := range other {
		field(kv.name, kv.v)
	}
	if !first {
		b = append(b, ", "...)
	}
	b = append(b, `"epoch": `...)
	b = strconv.AppendInt(b, int64(e.Epoch-1), 10)
	return append(b, "}\n"...)
}

type namedValue struct {
	name string
	v    float64
}

// splitMetrics sorts Metrics into train ("train/X" → X), validation ("val/X" → X) and
// other ("g/X" → "g_X", "X" → "X") groups, each sorted by name.
func splitMetrics(m map[string]float64) (train, val, other []namedValue) {
	for k, v := range m {
		group, name, ok := strings.Cut(k, "/")
		switch {
		case ok && group == "train":
			train = append(train, namedValue{name, v})
		case ok && group == "val":
			val = append(val, namedValue{name, v})
		default:
			other = append(other, namedValue{strings.ReplaceAll(k, "/", "_"), v})
		}
	}
	for _, s := range [][]namedValue{train, val, other} {
		sort.Slice(s, func(i, j int) bool { return s[i].name < s[j].name })
	}
	return train, val, other
}

// appendPyFloat formats v as Python's repr(float) does (what json.dumps writes): the
// shortest round-tripping digits, positional for 1e-4 ≤ |v| < 1e16 with at least one
// decimal ("1.0"), scientific otherwise ("1e-05", "1.5e+16"). Non-finite values give
// null.
func appendPyFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	a := math.Abs(v)
	if v == 0 || (a >= 1e-4 && a < 1e16) {
		start := len(b)
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		if !strings.ContainsRune(string(b[start:]), '.') {
			b = append(b, ".0"...)
		}
		return b
	}
	return strconv.AppendFloat(b, v, 'e', -1, 64) // Go's 'e' form matches Python's: 1e-05, 1.5e+16
}

// ReadJSONLog reads a train log written by NewJSONLogger (or BiaPy) back into EpochStats,
// one per line, e.g. to replay a stopped run's history into a chart logger on resume.
// The inverse mapping is applied: "epoch" (0-based) → Epoch (1-based), train_loss →
// TrainLoss, train_lr → LR, test_loss → ValLoss (NaN when absent), train_<m> →
// Metrics["train/<m>"], test_<m> → Metrics["val/<m>"], any other key k → Metrics[k];
// null → NaN. Epochs, Duration, Best and Time are not in the log and stay zero.
func ReadJSONLog(path string) ([]EpochStats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: read json log: %w", err)
	}
	var out []EpochStats
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var m map[string]*float64
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("train: read json log %s:%d: %w", path, line, err)
		}
		e := EpochStats{ValLoss: math.NaN(), Metrics: map[string]float64{}}
		epoch := false
		for k, p := range m {
			v := math.NaN()
			if p != nil {
				v = *p
			}
			switch {
			case k == "epoch":
				e.Epoch, epoch = int(v)+1, p != nil
			case k == "train_loss":
				e.TrainLoss = v
			case k == "train_lr":
				e.LR = v
			case k == "test_loss":
				e.ValLoss = v
			case strings.HasPrefix(k, "train_"):
				e.Metrics["train/"+k[len("train_"):]] = v
			case strings.HasPrefix(k, "test_"):
				e.Metrics["val/"+k[len("test_"):]] = v
			default:
				e.Metrics[k] = v
			}
		}
		if !epoch {
			return nil, fmt.Errorf("train: read json log %s:%d: no epoch", path, line)
		}
		out = append(out, e)
	}
	return out, nil
}
