package train

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// ErrCorruptEvents reports a TensorBoard event file whose TFRecord framing or checksums
// are wrong, or whose records are not valid Event protos.
var ErrCorruptEvents = errors.New("train: corrupt tensorboard event file")

// ScalarEvent is one scalar of a TensorBoard event file: the value logged under Tag at
// Step, and the event's wall time in seconds since the Unix epoch.
type ScalarEvent struct {
	Step     int64   // event step
	Tag      string  // summary value tag
	Value    float32 // simple_value
	WallTime float64 // seconds since the Unix epoch
}

// ReadEvents reads a TensorBoard event file (as NewTensorBoardLogger writes, or any
// TFRecord file of tensorflow.Event protos) and returns its simple_value scalars in file
// order. Both CRCs of every record are checked; a mismatch, a truncated record or a
// malformed proto gives an error wrapping ErrCorruptEvents. Fields other than the ones
// decoded (wall_time, step, summary.value.tag, summary.value.simple_value) are skipped.
func ReadEvents(path string) ([]ScalarEvent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: read events: %w", err)
	}
	defer f.Close()
	var out []ScalarEvent
	err = readTFRecords(bufio.NewReader(f), func(rec []byte) error {
		ev, err := decodeTBEvent(rec)
		if err != nil {
			return err
		}
		out = append(out, ev.scalars...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("train: read events %s: %w", path, err)
	}
	return out, nil
}

// readTFRecords calls fn with the data of every TFRecord of r, checking both CRCs.
func readTFRecords(r io.Reader, fn func(data []byte) error) error {
	var head [12]byte
	var data []byte
	for i := 0; ; i++ {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("%w: record %d: truncated header", ErrCorruptEvents, i)
		}
		if maskedCRC32C(head[:8]) != binary.LittleEndian.Uint32(head[8:]) {
			return fmt.Errorf("%w: record %d: length CRC mismatch", ErrCorruptEvents, i)
		}
		n := binary.LittleEndian.Uint64(head[:8])
		if n > 1<<30 {
			return fmt.Errorf("%w: record %d: length %d", ErrCorruptEvents, i, n)
		}
		if uint64(cap(data)) < n+4 {
			data = make([]byte, n+4)
		}
		data = data[:n+4]
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("%w: record %d: truncated data", ErrCorruptEvents, i)
		}
		if maskedCRC32C(data[:n]) != binary.LittleEndian.Uint32(data[n:]) {
			return fmt.Errorf("%w: record %d: data CRC mismatch", ErrCorruptEvents, i)
		}
		if err := fn(data[:n]); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
	}
}

// tbEvent is the decoded part of an Event proto.
type tbEvent struct {
	wallTime    float64
	step        int64
	fileVersion string
	scalars     []ScalarEvent
}

func decodeTBEvent(b []byte) (tbEvent, error) {
	var ev tbEvent
	var summaries [][]byte
	err := walkPB(b, func(num int, wire int, v uint64, data []byte) error {
		switch {
		case num == 1 && wire == 1:
			ev.wallTime = math.Float64frombits(v)
		case num == 2 && wire == 0:
			ev.step = int64(v)
		case num == 3 && wire == 2:
			ev.fileVersion = string(data)
		case num == 5 && wire == 2:
			summaries = append(summaries, data)
		}
		return nil
	})
	if err != nil {
		return ev, err
	}
	for _, s := range summaries {
		err := walkPB(s, func(num, wire int, _ uint64, data []byte) error {
			if num != 1 || wire != 2 {
				return nil
			}
			sc := ScalarEvent{Step: ev.step, WallTime: ev.wallTime}
			simple := false
			err := walkPB(data, func(num, wire int, v uint64, data []byte) error {
				switch {
				case num == 1 && wire == 2:
					sc.Tag = string(data)
				case num == 2 && wire == 5:
					sc.Value = math.Float32frombits(uint32(v))
					simple = true
				}
				return nil
			})
			if err == nil && simple {
				ev.scalars = append(ev.scalars, sc)
			}
			return err
		})
		if err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// walkPB calls fn for every field of the protobuf message b: v holds varint and fixed
// values, data the bytes of length-delimited fields.
func walkPB(b []byte, fn func(num, wire int, v uint64, data []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("%w: bad field key", ErrCorruptEvents)
		}
		b = b[n:]
		num, wire := int(key>>3), int(key&7)
		var v uint64
		var data []byte
		switch wire {
		case 0:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return fmt.Errorf("%w: field %d: bad varint", ErrCorruptEvents, num)
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return fmt.Errorf("%w: field %d: truncated fixed64", ErrCorruptEvents, num)
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return fmt.Errorf("%w: field %d: bad length", ErrCorruptEvents, num)
			}
			data, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return fmt.Errorf("%w: field %d: truncated fixed32", ErrCorruptEvents, num)
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return fmt.Errorf("%w: field %d: unsupported wire type %d", ErrCorruptEvents, num, wire)
		}
		if err := fn(num, wire, v, data); err != nil {
			return err
		}
	}
	return nil
}
