package pretrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/pretext"
	"github.com/selfsup/selfsup/tensor"
)

// ManifestName is the file in a crappify cache folder (<PATH>_ssl_source/) that
// records how its images were made. It is hidden, so image listings skip it.
const ManifestName = ".selfsup_ssl_source.json"

// cacheVersion changes when the crappify algorithm changes, invalidating old caches.
const cacheVersion = 1

// Manifest is the content of a crappify cache's ManifestName: the settings the cached
// images were made with and, per image, the size and modification time of the
// original it came from. A cached image is reused only when all of these match.
type Manifest struct {
	Version int                  `json:"version"`
	Factor  float64              `json:"resizing_factor"`
	Noise   float64              `json:"noise"`
	Seed    uint64               `json:"seed"`
	Files   map[string]FileStamp `json:"files"`
}

// FileStamp identifies one version of an original image.
type FileStamp struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

// ReadManifest reads the manifest of the crappify cache folder dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("pretrain: crappify cache manifest %s: %w", filepath.Join(dir, ManifestName), err)
	}
	return &m, nil
}

// crappifier makes and caches crappified copies of images.
type crappifier struct {
	factor, noise float64
	seed          uint64
	log           *slog.Logger
	made          int // images crappified (not read from a cache) so far
}

// sameSettings reports whether m was made with c's settings.
func (c *crappifier) sameSettings(m *Manifest) bool {
	return m != nil && m.Version == cacheVersion && m.Factor == c.factor && m.Noise == c.noise && m.Seed == c.seed
}

// source returns the crappified copy of every sample of the folder dir (same order),
// read from the cache folder src when it holds an up-to-date copy and made (and
// written there, in the original's dtype and under its file name, as BiaPy does)
// otherwise. The cache's manifest is rewritten last.
func (c *crappifier) source(ctx context.Context, dir, src string, samples []data.Sample) ([]*data.Image, error) {
	if src == "" {
		return nil, errors.New("pretrain: no crappify cache folder (DATA.*.SSL_SOURCE_DIR)")
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, fmt.Errorf("pretrain: crappify cache: %w", err)
	}
	old, err := ReadManifest(src)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.log.Warn("pretrain: ignoring an unreadable crappify cache manifest", "err", err)
	}
	if old != nil && !c.sameSettings(old) {
		c.log.Info("pretrain: crappify settings changed; regenerating the cache", "dir", src,
			"old_noise", old.Noise, "noise", c.noise, "old_factor", old.Factor, "factor", c.factor)
		old = nil
	}
	m := &Manifest{Version: cacheVersion, Factor: c.factor, Noise: c.noise, Seed: c.seed, Files: map[string]FileStamp{}}
	if old != nil {
		for k, v := range old.Files {
			m.Files[k] = v
		}
	}
	out := make([]*data.Image, len(samples))
	made := 0
	for i, s := range samples {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		st, err := os.Stat(filepath.Join(dir, s.Name))
		if err != nil {
			return nil, fmt.Errorf("pretrain: crappify cache: %w", err)
		}
		stamp := FileStamp{Size: st.Size(), ModTime: st.ModTime().UTC()}
		cached := filepath.Join(src, s.Name)
		if old != nil {
			if prev, ok := old.Files[s.Name]; ok && prev.Size == stamp.Size && prev.ModTime.Equal(stamp.ModTime) {
				if img, err := data.ReadImage(cached); err == nil && slices.Equal(img.Shape, s.Image.Shape) {
					out[i] = img
					continue
				}
			}
		}
		img, err := c.crappify(s.Name, s.Image)
		if err != nil {
			return nil, fmt.Errorf("pretrain: crappify %s: %w", filepath.Join(dir, s.Name), err)
		}
		if err := data.WriteImage(cached, img); err != nil {
			return nil, fmt.Errorf("pretrain: crappify cache: %w", err)
		}
		out[i] = img
		m.Files[s.Name] = stamp
		made++
	}
	c.made += made
	if made > 0 || old == nil {
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := workflows.WriteFileAtomic(filepath.Join(src, ManifestName), append(b, '\n')); err != nil {
			return nil, fmt.Errorf("pretrain: crappify cache: %w", err)
		}
		c.log.Info("pretrain: crappified images cached", "dir", src, "made", made, "reused", len(samples)-made)
	}
	return out, nil
}

// crappify degrades one image (SPEC §3) with noise drawn from a generator seeded by
// the run seed and the file name.
func (c *crappifier) crappify(name string, img *data.Image) (*data.Image, error) {
	dt, err := pretextDType(img.DType)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := tensor.NewRNG(workflows.Mix(c.seed, workflows.SaltCrappify, h.Sum64()))
	out := pretext.Crappify(img.Data, img.Shape, dt, c.factor, c.noise, rng)
	return &data.Image{Data: out, Shape: slices.Clone(img.Shape), DType: img.DType}, nil
}

// pretextDType maps an image's sample type onto the ones crappify handles.
func pretextDType(d data.DType) (pretext.DType, error) {
	switch d {
	case data.Uint8:
		return pretext.Uint8, nil
	case data.Uint16:
		return pretext.Uint16, nil
	case data.Int16:
		return pretext.Int16, nil
	case data.Float32, data.Float64:
		return pretext.Float32, nil
	}
	return 0, fmt.Errorf("sample type %v is not supported by crappify (uint8, uint16, int16, float32, float64)", d)
}
