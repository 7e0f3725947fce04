package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// TensorBoard event files are TFRecord files of serialized tensorflow.Event protos
// (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto). Only the
// fields written here are encoded, by hand in protobuf wire format:
//
//	message Event   { double wall_time = 1; int64 step = 2;
//	                  oneof what { string file_version = 3; Summary summary = 5; } }
//	message Summary { repeated Value value = 1; }
//	message Value   { string tag = 1; float simple_value = 2; }
//
// A TFRecord is: uint64 length, uint32 masked CRC-32C of the 8 length bytes, the data,
// uint32 masked CRC-32C of the data, all little-endian; mask(c) = (c>>15 | c<<17) +
// 0xa282ead8.

// Protobuf field keys: field number << 3 | wire type (0 varint, 1 fixed64, 2 bytes,
// 5 fixed32).
const (
	tbEventWallTime    = 1<<3 | 1
	tbEventStep        = 2<<3 | 0
	tbEventFileVersion = 3<<3 | 2
	tbEventSummary     = 5<<3 | 2
	tbSummaryValue     = 1<<3 | 2
	tbValueTag         = 1<<3 | 2
	tbValueSimpleValue = 2<<3 | 5

	// tbFileVersion is the version string of the first event of every file.
	tbFileVersion = "brain.Event:2"
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC32C is the checksum TFRecord stores: CRC-32C, rotated right by 15 bits, plus
// a constant.
func maskedCRC32C(b []byte) uint32 {
	c := crc32.Checksum(b, crc32c)
	return (c>>15 | c<<17) + 0xa282ead8
}

// TensorBoardFileName returns the event file name TensorBoard recognises:
// `events.out.tfevents.<unix seconds>.<hostname>`.
func TensorBoardFileName(t time.Time, hostname string) string {
	return "events.out.tfevents." + strconv.FormatInt(t.Unix(), 10) + "." + hostname
}

// NewTensorBoardLogger creates dir and a new event file in it (TensorBoardFileName of the
// current time and host; a ".N" suffix is added if that name exists), writes the
// file_version event "brain.Event:2" and returns a Logger that writes one event per
// epoch, at step = e.Epoch (1-based), wall time e.Time (now when zero), with the scalars
// "loss/train", "loss/val" (omitted when ValLoss is NaN), "lr" and every Metrics key as
// its own tag ("train/PSNR", "val/PSNR", ...; sorted). Each event is written to the file
// when Epoch returns. Step does nothing. Read the file back with ReadEvents.
func NewTensorBoardLogger(dir string) (Logger, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("train: tensorboard: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	now := time.Now()
	base := filepath.Join(dir, TensorBoardFileName(now, host))
	var f *os.File
	for i := 0; ; i++ {
		name := base
		if i > 0 {
			name += "." + strconv.Itoa(i)
		}
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || i >= 1000 {
			return nil, fmt.Errorf("train: tensorboard: %w", err)
		}
	}
	l := &tbLogger{f: f}
	ev := appendTBFileVersion(nil, tbWallTime(now))
	if err := l.writeRecord(ev); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

type tbLogger struct {
	f   *os.File
	buf []byte // record being framed
	ev  []byte // event being encoded
	sum []byte // summary being encoded
}

func (l *tbLogger) Step(StepStats) {}

func (l *tbLogger) Epoch(e EpochStats) error {
	if l.f == nil {
		return fmt.Errorf("train: tensorboard: Epoch after Close")
	}
	wall := e.Time
	if wall.IsZero() {
		wall = time.Now()
	}
	l.sum = l.sum[:0]
	l.sum = appendTBValue(l.sum, "loss/train", e.TrainLoss)
	if !math.IsNaN(e.ValLoss) {
		l.sum = appendTBValue(l.sum, "loss/val", e.ValLoss)
	}
	l.sum = appendTBValue(l.sum, "lr", e.LR)
	keys := make([]string, 0, len(e.Metrics))
	for k := range e.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		l.sum = appendTBValue(l.sum, k, e.Metrics[k])
	}
	l.ev = appendTBSummaryEvent(l.ev[:0], tbWallTime(wall), int64(e.Epoch), l.sum)
	return l.writeRecord(l.ev)
}

func (l *tbLogger) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("train: tensorboard: %w", err)
	}
	return nil
}

// writeRecord frames data as one TFRecord and writes it with a single Write.
func (l *tbLogger) writeRecord(data []byte) error {
	l.buf = appendTFRecord(l.buf[:0], data)
	if _, err := l.f.Write(l.buf); err != nil {
		return fmt.Errorf("train: tensorboard: %w", err)
	}
	return nil
}

// appendTFRecord appends the TFRecord framing of data.
func appendTFRecord(b, data []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	b = binary.LittleEndian.AppendUint32(b, maskedCRC32C(b[start:start+8]))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, maskedCRC32C(data))
}

func tbWallTime(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// appendTBFileVersion appends Event{wall_time, file_version: "brain.Event:2"}.
func appendTBFileVersion(b []byte, wall float64) []byte {
	b = append(b, tbEventWallTime)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(wall))
	return appendPBBytes(b, tbEventFileVersion, []byte(tbFileVersion))
}

// appendTBSummaryEvent appends Event{wall_time, step, summary} where summary holds the
// already encoded Summary.value fields.
func appendTBSummaryEvent(b []byte, wall float64, step int64, summary []byte) []byte {
	b = append(b, tbEventWallTime)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(wall))
	if step != 0 { // proto3 omits zero scalars
		b = append(b, tbEventStep)
		b = binary.AppendUvarint(b, uint64(step))
	}
	return appendPBBytes(b, tbEventSummary, summary)
}

// appendTBValue appends one Summary.value field: Value{tag, simple_value: float32(v)}.
func appendTBValue(b []byte, tag string, v float64) []byte {
	var val [64]byte
	vb := appendPBBytes(val[:0], tbValueTag, []byte(tag))
	vb = append(vb, tbValueSimpleValue)
	vb = binary.LittleEndian.AppendUint32(vb, math.Float32bits(float32(v)))
	return appendPBBytes(b, tbSummaryValue, vb)
}

// appendPBBytes appends a length-delimited field (key, varint length, bytes).
func appendPBBytes(b []byte, key byte, data []byte) []byte {
	b = append(b, key)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}
