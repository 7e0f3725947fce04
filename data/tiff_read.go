package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadTIFF reads a TIFF file into an [Image]: [Y, X, C] for a single page, [Z, Y, X, C]
// for a multi-page stack (pages are z) or an ImageJ hyperstack (channels= map to C,
// slices= and frames= to Z, frames outermost). Supported: classic TIFF and BigTIFF,
// either byte order; uint8/int8/uint16/int16/uint32/int32/float32/float64 samples;
// 1..n samples per pixel, chunky or planar; strips or tiles; no compression, LZW,
// Deflate (8 and 32946) or PackBits, with the horizontal (2) or floating-point (3)
// predictor. Samples are returned as stored, like tifffile: min-is-white images are not
// inverted and palette images give their indices. Reduced-resolution pages
// (NewSubfileType bit 0) are skipped. Every error names path and the problem.
func ReadTIFF(path string) (*Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: ReadTIFF: %w", err)
	}
	m, err := decodeTIFF(b)
	if err != nil {
		return nil, fmt.Errorf("data: ReadTIFF %s: %w", path, err)
	}
	return m, nil
}

// DecodeTIFF decodes a TIFF file held in memory; see [ReadTIFF].
func DecodeTIFF(b []byte) (*Image, error) {
	m, err := decodeTIFF(b)
	if err != nil {
		return nil, fmt.Errorf("data: DecodeTIFF: %w", err)
	}
	return m, nil
}

// tiffPage is the validated layout of one page.
type tiffPage struct {
	width, height, spp int
	bytes              int // bytes per sample
	dtype              DType
	compression        uint64
	predictor          uint64
	planar             bool // PlanarConfiguration 2: one plane of chunks per sample
	tiled              bool
	chunkW, chunkH     int // tile size, or width × RowsPerStrip
	offsets, counts    []uint64
	desc               string
}

// across and down return the number of chunks per row and per column of chunks.
func (p *tiffPage) across() int { return (p.width + p.chunkW - 1) / p.chunkW }
func (p *tiffPage) down() int   { return (p.height + p.chunkH - 1) / p.chunkH }

// chunkSamples is the number of samples per pixel inside one chunk.
func (p *tiffPage) chunkSamples() int {
	if p.planar {
		return 1
	}
	return p.spp
}

// nchunks is the number of strips or tiles the page must have.
func (p *tiffPage) nchunks() int {
	n := p.across() * p.down()
	if p.planar {
		n *= p.spp
	}
	return n
}

// chunkRows returns the number of rows chunk i decodes to (strips at the bottom may
// be shorter; tiles are always full).
func (p *tiffPage) chunkRows(i int) int {
	if p.tiled {
		return p.chunkH
	}
	y0 := (i % p.down()) * p.chunkH
	return min(p.chunkH, p.height-y0)
}

// sameLayout reports whether q's samples can go into the same array as p's.
func (p *tiffPage) sameLayout(q *tiffPage) bool {
	return p.width == q.width && p.height == q.height && p.spp == q.spp && p.dtype == q.dtype
}

func (p *tiffPage) String() string {
	return fmt.Sprintf("%d×%d×%d %v", p.height, p.width, p.spp, p.dtype)
}

var tiffCompressionNames = map[uint64]string{
	2: "CCITT RLE", 3: "CCITT G3", 4: "CCITT G4", 6: "old JPEG", 7: "JPEG", 34712: "JPEG 2000",
	34887: "LERC", 34925: "LZMA", 50000: "Zstandard", 50001: "WebP", 50002: "JPEG XL",
}

// parsePage validates the tags of one IFD.
func (f *tiffFile) parsePage(d tiffIFD) (*tiffPage, error) {
	p := &tiffPage{desc: d[tagImageDescription].str}
	var err error
	if p.width, err = d.dim(tagImageWidth, "ImageWidth"); err != nil {
		return nil, err
	}
	if p.height, err = d.dim(tagImageLength, "ImageLength"); err != nil {
		return nil, err
	}
	spp, err := d.uint(tagSamplesPerPixel, 1)
	if err != nil {
		return nil, err
	}
	if spp == 0 || spp > tiffMaxSPP {
		return nil, fmt.Errorf("SamplesPerPixel %d out of range [1, %d]", spp, tiffMaxSPP)
	}
	p.spp = int(spp)
	bits, err := d.uniform(tagBitsPerSample, "BitsPerSample", p.spp, 1)
	if err != nil {
		return nil, err
	}
	format, err := d.uniform(tagSampleFormat, "SampleFormat", p.spp, 1)
	if err != nil {
		return nil, err
	}
	if p.dtype = tiffDType(bits, format); p.dtype == InvalidDType {
		return nil, fmt.Errorf("unsupported sample type: %d bits, SampleFormat %d", bits, format)
	}
	p.bytes = int(bits / 8)
	if p.compression, err = d.uint(tagCompression, 1); err != nil {
		return nil, err
	}
	switch p.compression {
	case 1, 5, 8, 32946, 32773:
	default:
		name := tiffCompressionNames[p.compression]
		if name == "" {
			name = "unknown"
		}
		return nil, fmt.Errorf("unsupported compression %d (%s)", p.compression, name)
	}
	photometric, err := d.uint(tagPhotometric, 1)
	if err != nil {
		return nil, err
	}
	switch photometric {
	case 6:
		return nil, errors.New("unsupported photometric interpretation 6 (YCbCr)")
	case 32844, 32845:
		return nil, fmt.Errorf("unsupported photometric interpretation %d (LogLuv)", photometric)
	}
	if fill, err := d.uint(tagFillOrder, 1); err != nil || fill != 1 {
		return nil, fmt.Errorf("unsupported FillOrder %d (only 1)", fill)
	}
	planar, err := d.uint(tagPlanarConfig, 1)
	if err != nil || (planar != 1 && planar != 2) {
		return nil, fmt.Errorf("invalid PlanarConfiguration %d", planar)
	}
	p.planar = planar == 2 && p.spp > 1
	if p.predictor, err = d.uint(tagPredictor, 1); err != nil {
		return nil, err
	}
	switch {
	case p.predictor == 1:
	case p.predictor == 2 && p.dtype.IsInteger():
	case p.predictor == 3 && !p.dtype.IsInteger():
	default:
		return nil, fmt.Errorf("unsupported Predictor %d for %v samples", p.predictor, p.dtype)
	}
	offTag, countTag := uint16(tagStripOffsets), uint16(tagStripByteCounts)
	if _, ok := d[tagTileWidth]; ok {
		p.tiled = true
		offTag, countTag = tagTileOffsets, tagTileByteCounts
		if p.chunkW, err = d.dim(tagTileWidth, "TileWidth"); err != nil {
			return nil, err
		}
		if p.chunkH, err = d.dim(tagTileLength, "TileLength"); err != nil {
			return nil, err
		}
	} else {
		rps, err := d.uint(tagRowsPerStrip, uint64(p.height))
		if err != nil {
			return nil, err
		}
		if rps == 0 {
			return nil, errors.New("RowsPerStrip is 0")
		}
		p.chunkW, p.chunkH = p.width, int(min(rps, uint64(p.height)))
	}
	n := p.nchunks()
	p.offsets = d[offTag].ints
	if len(p.offsets) < n {
		return nil, fmt.Errorf("%d chunk offsets (tag %d), want %d", len(p.offsets), offTag, n)
	}
	p.offsets = p.offsets[:n]
	p.counts = d[countTag].ints
	if len(p.counts) == 0 && p.compression == 1 && n == 1 {
		// Some writers omit StripByteCounts for a single uncompressed strip.
		p.counts = []uint64{uint64(p.chunkRowBytes()) * uint64(p.chunkH)}
	}
	if len(p.counts) < n {
		return nil, fmt.Errorf("%d chunk byte counts (tag %d), want %d", len(p.counts), countTag, n)
	}
	p.counts = p.counts[:n]
	for i := range n {
		if _, err := f.span(p.offsets[i], p.counts[i], fmt.Sprintf("chunk %d", i)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// chunkRowBytes is the number of decoded bytes in one row of a chunk.
func (p *tiffPage) chunkRowBytes() int { return p.chunkW * p.chunkSamples() * p.bytes }

// tiffDType maps BitsPerSample and SampleFormat to a DType (invalid if unsupported).
func tiffDType(bits, format uint64) DType {
	if format == 4 { // void: treat as unsigned
		format = 1
	}
	type key struct{ bits, format uint64 }
	return map[key]DType{
		{8, 1}: Uint8, {8, 2}: Int8, {16, 1}: Uint16, {16, 2}: Int16,
		{32, 1}: Uint32, {32, 2}: Int32, {32, 3}: Float32, {64, 3}: Float64,
	}[key{bits, format}]
}

// imagejMeta is the part of an ImageJ ImageDescription the reader uses.
type imagejMeta struct {
	images, channels, slices, frames int
	hasZ                             bool // slices= or frames= present
}

// parseImageJ parses "ImageJ=…\nimages=…\nchannels=…\nslices=…\nframes=…".
func parseImageJ(desc string) (imagejMeta, bool) {
	m := imagejMeta{images: 1, channels: 1, slices: 1, frames: 1}
	if !strings.HasPrefix(desc, "ImageJ=") {
		return m, false
	}
	for _, line := range strings.Split(desc, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > tiffMaxPages {
			continue
		}
		switch k {
		case "images":
			m.images = n
		case "channels":
			m.channels = n
		case "slices":
			m.slices, m.hasZ = n, true
		case "frames":
			m.frames, m.hasZ = n, true
		}
	}
	return m, true
}

// shapedDims returns the number of dimensions of a tifffile "shaped" JSON description
// ({"shape": [...]}), or 0.
func shapedDims(desc string) int {
	if !strings.HasPrefix(desc, "{") {
		return 0
	}
	var s struct {
		Shape []int `json:"shape"`
	}
	if json.Unmarshal([]byte(desc), &s) != nil {
		return 0
	}
	return len(s.Shape)
}

// decodeTIFF decodes a whole file; errors are not prefixed with the package name.
func decodeTIFF(b []byte) (*Image, error) {
	f, off, err := parseTIFFHeader(b)
	if err != nil {
		return nil, err
	}
	ifds, err := f.readIFDs(off)
	if err != nil {
		return nil, err
	}
	var pages []*tiffPage
	for i, d := range ifds {
		if i > 0 {
			if sub, _ := d.uint(tagNewSubfileType, 0); sub&1 != 0 {
				continue // reduced-resolution copy
			}
		}
		p, err := f.parsePage(d)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i, err)
		}
		if len(pages) > 0 && !pages[0].sameLayout(p) {
			return nil, fmt.Errorf("page %d is %v, page 0 is %v: pages differ", i, p, pages[0])
		}
		pages = append(pages, p)
	}
	p0 := pages[0]
	ij, isIJ := parseImageJ(p0.desc)
	if isIJ && ij.images > len(pages) && len(pages) == 1 {
		if pages, err = f.imagejContiguous(p0, ij.images); err != nil {
			return nil, err
		}
	}
	// Map pages to (z, channel block); by default page i is z=i.
	nz, nch := len(pages), 1
	if isIJ && ij.channels > 1 && ij.channels*ij.slices*ij.frames == len(pages) {
		nz, nch = len(pages)/ij.channels, ij.channels
	}
	is3D := nz > 1 || (isIJ && ij.hasZ) || shapedDims(p0.desc) >= 3+min(1, p0.spp-1)
	C := nch * p0.spp
	total, ok := mulCheck(uint64(len(pages)), uint64(p0.width)*uint64(p0.height)*uint64(p0.spp), tiffMaxSamples)
	if !ok {
		return nil, fmt.Errorf("image of %d pages of %v exceeds %d samples", len(pages), p0, tiffMaxSamples)
	}
	if err := f.checkWork(pages, total); err != nil {
		return nil, err
	}
	shape := []int{p0.height, p0.width, C}
	if is3D {
		shape = append([]int{nz}, shape...)
	}
	m := &Image{Data: make([]float32, total), Shape: shape, DType: p0.dtype}
	var sc tiffScratch
	for i, p := range pages {
		z, cb := i/nch, (i%nch)*p.spp
		if err = f.decodePage(p, m, z, cb, &sc); err != nil {
			return nil, fmt.Errorf("page %d: %w", i, err)
		}
	}
	return m, nil
}

// imagejContiguous expands the single IFD of an ImageJ stack whose other images follow
// the first one contiguously (ImageJ's layout for stacks without further IFDs).
func (f *tiffFile) imagejContiguous(p *tiffPage, images int) ([]*tiffPage, error) {
	if p.planar {
		return nil, errors.New("planar ImageJ stack with one IFD")
	}
	if p.compression != 1 || p.tiled || p.predictor != 1 {
		return nil, fmt.Errorf("ImageJ stack of %d images has one IFD but compressed or tiled data", images)
	}
	for i := 1; i < len(p.offsets); i++ {
		if p.offsets[i] != p.offsets[i-1]+p.counts[i-1] {
			return nil, fmt.Errorf("ImageJ stack of %d images has one IFD but non-contiguous strips", images)
		}
	}
	pageBytes := uint64(p.width) * uint64(p.height) * uint64(p.spp) * uint64(p.bytes)
	if _, err := f.span(p.offsets[0], uint64(images)*pageBytes, fmt.Sprintf("ImageJ stack of %d images", images)); err != nil {
		return nil, err
	}
	pages := make([]*tiffPage, images)
	for k := range pages {
		q := *p
		q.chunkH = p.height
		q.offsets = []uint64{p.offsets[0] + uint64(k)*pageBytes}
		q.counts = []uint64{pageBytes}
		pages[k] = &q
	}
	return pages, nil
}

// tiffRatio is the largest decoded/encoded size ratio a compression scheme can reach.
func tiffRatio(compression uint64) uint64 {
	switch compression {
	case 1:
		return 1
	case 32773: // PackBits: 2 bytes → 128
		return 64
	case 5: // LZW: a ≥9-bit code expands to at most 4096 bytes
		return 4096
	}
	return 1032 // Deflate
}

// checkWork rejects files whose declared image cannot come from the data they hold,
// before anything is allocated: every chunk must fit in its byte count times the
// scheme's maximal ratio, the whole image in the file size times that ratio, and the
// decoded chunk bytes (tile padding included) in a small multiple of the image.
func (f *tiffFile) checkWork(pages []*tiffPage, total uint64) error {
	p0 := pages[0]
	outBytes := total * uint64(p0.bytes)
	if limit := uint64(len(f.b)) * tiffRatio(p0.compression); outBytes > limit {
		return fmt.Errorf("declared image (%d bytes) is larger than the %d-byte file can hold: truncated or corrupt", outBytes, len(f.b))
	}
	var work uint64
	for pi, p := range pages {
		rb := uint64(p.chunkRowBytes())
		for i := range p.offsets {
			want := rb * uint64(p.chunkRows(i))
			if p.counts[i] != 0 && want > p.counts[i]*tiffRatio(p.compression) {
				return fmt.Errorf("page %d chunk %d: %d bytes cannot decode to %d: truncated or corrupt", pi, i, p.counts[i], want)
			}
			work += want
		}
		if work > 4*outBytes+1<<26 {
			return fmt.Errorf("chunks decode to far more bytes than the image holds (tile %d×%d for %v)", p.chunkW, p.chunkH, p)
		}
	}
	return nil
}
