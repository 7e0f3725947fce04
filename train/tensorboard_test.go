package train

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestMaskedCRC32C(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want uint32 // mask(crc32c(data)); crc32c values are the standard check values
	}{
		{"123456789", []byte("123456789"), 0xc78ab0e5}, // crc32c 0xe3069283
		{"32 zeros", make([]byte, 32), 0x0fd7fffa},     // crc32c 0x8a9136aa
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := maskedCRC32C(c.data); got != c.want {
				t.Errorf("maskedCRC32C = %#x, want %#x", got, c.want)
			}
		})
	}
}

// TestTBEncoding checks the hand-written protobuf bytes against the wire format of
// event.proto/summary.proto worked out by hand.
func TestTBEncoding(t *testing.T) {
	cases := []struct {
		name string
		got  []byte
		want []byte
	}{
		{
			name: "file_version",
			got:  appendTBFileVersion(nil, 1.5),
			want: append([]byte{0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x1a, 13}, "brain.Event:2"...),
		},
		{
			name: "summary",
			got:  appendTBSummaryEvent(nil, 2, 3, appendTBValue(nil, "lr", 0.5)),
			want: []byte{0x09, 0, 0, 0, 0, 0, 0, 0, 0x40, // wall_time 2.0
				0x10, 0x03, // step 3
				0x2a, 11, // summary
				0x0a, 9, // value
				0x0a, 2, 'l', 'r', // tag
				0x15, 0, 0, 0, 0x3f}, // simple_value 0.5
		},
		{
			name: "record",
			got:  appendTFRecord(nil, []byte("123456789")),
			want: func() []byte {
				b := []byte{9, 0, 0, 0, 0, 0, 0, 0}
				c := maskedCRC32C(b)
				b = append(b, byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
				return append(b, '1', '2', '3', '4', '5', '6', '7', '8', '9', 0xe5, 0xb0, 0x8a, 0xc7)
			}(),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !bytes.Equal(c.got, c.want) {
				t.Errorf("\n got % x\nwant % x", c.got, c.want)
			}
		})
	}
}

func writeTBRun(t *testing.T, dir string) []ScalarEvent {
	t.Helper()
	l, err := NewTensorBoardLogger(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1700000000, 500_000_000)
	var want []ScalarEvent
	for ep := 1; ep <= 3; ep++ {
		e := EpochStats{Epoch: ep, Epochs: 3, TrainLoss: 1 / float64(ep), ValLoss: 1.5 / float64(ep),
			LR: 1e-4 * float64(ep), Time: t0.Add(time.Duration(ep) * time.Second),
			Metrics: map[string]float64{"val/PSNR": 20 + float64(ep), "train/PSNR": 19 + float64(ep)}}
		if ep == 2 {
			e.ValLoss = math.NaN()
		}
		l.Step(StepStats{Epoch: ep, Epochs: 3, Step: 1, Steps: 1, Loss: 1})
		if err := l.Epoch(e); err != nil {
			t.Fatal(err)
		}
		wall := tbWallTime(e.Time)
		add := func(tag string, v float64) {
			want = append(want, ScalarEvent{Step: int64(ep), Tag: tag, Value: float32(v), WallTime: wall})
		}
		add("loss/train", e.TrainLoss)
		if ep != 2 {
			add("loss/val", e.ValLoss)
		}
		add("lr", e.LR)
		add("train/PSNR", e.Metrics["train/PSNR"])
		add("val/PSNR", e.Metrics["val/PSNR"])
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	return want
}

func TestTensorBoardRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tensorboard")
	want := writeTBRun(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("files %v, want one", files)
	}
	if !regexp.MustCompile(`^events\.out\.tfevents\.\d{10}\..+$`).MatchString(filepath.Base(files[0])) {
		t.Errorf("file name %q", filepath.Base(files[0]))
	}
	got, err := ReadEvents(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d scalars, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scalar %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// The first record is the file_version event, with a current wall time.
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []tbEvent
	if err := readTFRecords(f, func(b []byte) error {
		ev, err := decodeTBEvent(b)
		evs = append(evs, ev)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || evs[0].fileVersion != "brain.Event:2" || len(evs[0].scalars) != 0 {
		t.Fatalf("events %+v: want file_version then 3 summaries", evs)
	}
	if age := float64(time.Now().Unix()) - evs[0].wallTime; age < -5 || age > 600 {
		t.Errorf("file_version wall_time %v is not now", evs[0].wallTime)
	}
}

func TestTensorBoardTwoFiles(t *testing.T) {
	dir := t.TempDir()
	writeTBRun(t, dir)
	writeTBRun(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	if len(files) != 2 {
		t.Errorf("two loggers in one dir: files %v, want 2", files)
	}
}

func TestReadEventsCorrupt(t *testing.T) {
	dir := t.TempDir()
	writeTBRun(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	first := 12 + len(appendTBFileVersion(nil, 0)) + 4 // size of the first record
	cases := []struct {
		name   string
		modify func(b []byte) []byte
	}{
		{"length byte", func(b []byte) []byte { b[first+1] ^= 1; return b }},
		{"length CRC", func(b []byte) []byte { b[first+9] ^= 0x80; return b }},
		{"data byte", func(b []byte) []byte { b[first+20] ^= 4; return b }},
		{"data CRC", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"truncated data", func(b []byte) []byte { return b[:len(b)-3] }},
		{"truncated header", func(b []byte) []byte { return append(b, 1, 2, 3) }},
		{"bad proto, good CRCs", func(b []byte) []byte {
			return appendTFRecord(b, []byte{0x2a, 0x7f, 0x01}) // summary longer than the record
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ev")
			if err := os.WriteFile(path, c.modify(bytes.Clone(good)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadEvents(path)
			if !errors.Is(err, ErrCorruptEvents) {
				t.Errorf("ReadEvents = %v, want ErrCorruptEvents", err)
			}
		})
	}
	if _, err := ReadEvents(filepath.Join(dir, "missing")); err == nil || errors.Is(err, ErrCorruptEvents) {
		t.Errorf("missing file: %v", err)
	}
}
