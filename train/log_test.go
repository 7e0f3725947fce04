package train

import (
	"errors"
	"testing"
)

// errLogger fails Epoch and Close with err.
type errLogger struct {
	recLogger
	err error
}

func (l *errLogger) Epoch(e EpochStats) error { l.recLogger.Epoch(e); return l.err }
func (l *errLogger) Close() error             { l.recLogger.Close(); return l.err }

func TestMultiLogger(t *testing.T) {
	a, b := &recLogger{}, &errLogger{err: errors.New("disk full")}
	m := MultiLogger(a, nil, b)
	m.Step(StepStats{Epoch: 1, Step: 1})
	m.Step(StepStats{Epoch: 1, Step: 2})
	err := m.Epoch(EpochStats{Epoch: 1})
	if !errors.Is(err, b.err) {
		t.Errorf("Epoch error %v, want %v", err, b.err)
	}
	if err := m.Close(); !errors.Is(err, b.err) {
		t.Errorf("Close error %v, want %v", err, b.err)
	}
	for _, l := range []*recLogger{a, &b.recLogger} {
		if l.steps != 2 || len(l.epochs) != 1 || !l.closed {
			t.Errorf("logger saw %d steps, %d epochs, closed %v; want 2, 1, true", l.steps, len(l.epochs), l.closed)
		}
	}
	if err := MultiLogger().Epoch(EpochStats{}); err != nil {
		t.Errorf("empty MultiLogger: %v", err)
	}
}
