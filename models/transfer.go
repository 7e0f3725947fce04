package models

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/tensor/safetensors"
)

// TransferOptions configure [Transfer]. The zero value is the recommended fine-tuning
// load: every entry whose name and shape match is loaded, except the output head,
// which keeps the destination's own initial values (BiaPy issue #165: a transferred
// reconstruction head ruined segmentation); a shape mismatch outside the head is an
// error, as PyTorch's load_state_dict(strict=False) raises on it.
type TransferOptions struct {
	// Strict makes every mismatch an error: a shape mismatch, a destination entry
	// with no source (missing) or a source key with no destination (unexpected).
	// Head and encoder-only exclusions and keys dropped by NameMap are never errors.
	// Strict and SkipUnmatched together are rejected.
	Strict bool
	// SkipUnmatched skips the entries whose shapes differ instead of failing, BiaPy's
	// MODEL.SKIP_UNMATCHED_LAYERS; they are listed in the report with both shapes.
	SkipUnmatched bool
	// EncoderOnly loads only the encoder side of the destination; the other entries
	// are reported as excluded and keep their values. The encoder is Encoder when set,
	// else [EncoderPrefixes] of the destination's names.
	EncoderOnly bool
	// Encoder overrides the encoder prefixes EncoderOnly uses ("down_path" covers
	// "down_path" and "down_path.*").
	Encoder []string
	// KeepHead loads the output head like any other entry. By default (false) the
	// head is not loaded and keeps the destination's values: build the destination
	// fresh and its constructor's initialisation is the re-initialisation. The head is
	// Head when set, else [HeadPrefixes] of the destination's entries.
	KeepHead bool
	// Head overrides the head prefixes.
	Head []string
	// NameMap renames source keys to destination names (nil: identity). Returning
	// ok=false drops the key on purpose (reported as dropped, never an error). See
	// [MAEToUNETR] and [RenameMap].
	NameMap func(src string) (dst string, ok bool)
	// Freeze sets requires-grad off on every loaded trainable parameter (buffers and
	// already-frozen entries are left alone) and lists them in the report's Frozen;
	// [Unfreeze] turns them back on, e.g. after N epochs. As in PyTorch, the
	// BatchNorm running statistics of frozen layers still update in training mode;
	// put those layers in eval mode to fix them too.
	Freeze bool
}

// TransferEntry is one row of a [TransferReport]: a destination entry and the source
// key it was matched with (either may be empty).
type TransferEntry struct {
	Name        string // destination state_dict name ("" when no destination matched)
	Shape       []int  // destination shape (nil when Name is "")
	Source      string // source key as in the file ("" when the source had none)
	SourceShape []int  // source shape (nil when Source is "")
}

// TransferReport tells what [Transfer] did with every destination entry and every
// source key. Each list is in the destination's state_dict order (source-only rows
// in sorted key order).
type TransferReport struct {
	Loaded        []TransferEntry // copied from the source (same shape)
	Skipped       []TransferEntry // shapes differ, skipped (SkipUnmatched)
	Missing       []TransferEntry // destination entries the source lacks
	Unexpected    []TransferEntry // source keys that name no destination entry
	Dropped       []TransferEntry // source keys NameMap dropped on purpose
	Reinitialised []TransferEntry // head entries left at the destination's initial values
	Excluded      []TransferEntry // non-encoder entries under EncoderOnly
	Frozen        []string        // trainable entries set to requires-grad off (Freeze)
}

// Transfer loads the source tensors src (a state_dict: name → tensor, on any device)
// into dst's state_dict entries (parameters and buffers) by name and shape, and reports
// what it did. Source names go through o.NameMap first. A destination entry is, in
// order: excluded (EncoderOnly and not an encoder name), re-initialised (a head name
// and not KeepHead: it keeps dst's values whatever the source holds), missing (no
// source), skipped (shapes differ, SkipUnmatched) or loaded. A shape mismatch
// without SkipUnmatched, or (with Strict) any missing or unexpected entry, is an
// error, and then nothing is modified. Two source keys mapped to the same name are an
// error.
//
// Fine-tuning a U-Net pretrained with crappify on 1 channel for 3-class segmentation:
//
//	sd, _ := models.ReadWeights("ssl/checkpoints/unet-checkpoint-best.safetensors")
//	seg, _ := models.NewUNet(models.UNetOptions{OutChannels: 3}, tensor.NewRNG(1))
//	rep, err := models.Transfer(seg, sd, models.TransferOptions{})
//	slog.Info("weights loaded", "transfer", rep) // counts; fmt.Print(rep) prints a table
func Transfer(dst nn.Module, src map[string]*tensor.Tensor, o TransferOptions) (*TransferReport, error) {
	if o.Strict && o.SkipUnmatched {
		return nil, fmt.Errorf("models: Transfer: Strict and SkipUnmatched exclude each other")
	}
	ps := dst.Params()
	names := make([]string, len(ps))
	index := make(map[string]int, len(ps))
	for i, p := range ps {
		if _, dup := index[p.Name]; dup {
			return nil, fmt.Errorf("models: Transfer: destination has duplicate state_dict key %s", p.Name)
		}
		index[p.Name] = i
		names[i] = p.Name
	}
	rep := &TransferReport{}

	// Map the source keys onto destination names.
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bySrc := make(map[string]string, len(src)) // destination name → source key
	for _, k := range keys {
		name := k
		if o.NameMap != nil {
			var ok bool
			if name, ok = o.NameMap(k); !ok {
				rep.Dropped = append(rep.Dropped, TransferEntry{Source: k, SourceShape: src[k].Shape()})
				continue
			}
		}
		if prev, dup := bySrc[name]; dup {
			return nil, fmt.Errorf("models: Transfer: source keys %s and %s both map to %s", prev, k, name)
		}
		bySrc[name] = k
		if _, ok := index[name]; !ok {
			rep.Unexpected = append(rep.Unexpected, TransferEntry{Source: k, SourceShape: src[k].Shape()})
		}
	}

	head := o.Head
	if head == nil && !o.KeepHead {
		head = HeadPrefixes(ps)
	}
	var encoder []string
	if o.EncoderOnly {
		encoder = o.Encoder
		if encoder == nil {
			encoder = EncoderPrefixes(names)
		}
	}

	var load []int // indices into ps to copy
	var loadFrom []*tensor.Tensor
	var mismatch []TransferEntry
	for i, p := range ps {
		e := TransferEntry{Name: p.Name, Shape: p.Shape()}
		var s *tensor.Tensor
		if k, ok := bySrc[p.Name]; ok {
			s = src[k]
			e.Source, e.SourceShape = k, s.Shape()
		}
		switch {
		case o.EncoderOnly && !underAny(p.Name, encoder):
			rep.Excluded = append(rep.Excluded, e)
		case !o.KeepHead && underAny(p.Name, head):
			rep.Reinitialised = append(rep.Reinitialised, e)
		case s == nil:
			rep.Missing = append(rep.Missing, e)
		case !slices.Equal(s.Shape(), p.Shape()):
			if o.SkipUnmatched {
				rep.Skipped = append(rep.Skipped, e)
			} else {
				mismatch = append(mismatch, e)
			}
		default:
			rep.Loaded = append(rep.Loaded, e)
			load = append(load, i)
			loadFrom = append(loadFrom, s)
		}
	}
	if len(mismatch) > 0 {
		e := mismatch[0]
		return nil, fmt.Errorf("models: Transfer: key %s: source %s shape %v, model shape %v (%d shape mismatches in all; SkipUnmatched skips them)",
			e.Name, e.Source, e.SourceShape, e.Shape, len(mismatch))
	}
	if o.Strict && len(rep.Missing) > 0 {
		e := rep.Missing[0]
		return nil, fmt.Errorf("models: Transfer: strict: missing key %s (model shape %v; %d missing in all)", e.Name, e.Shape, len(rep.Missing))
	}
	if o.Strict && len(rep.Unexpected) > 0 {
		e := rep.Unexpected[0]
		return nil, fmt.Errorf("models: Transfer: strict: unexpected key %s (shape %v; %d unexpected in all)", e.Source, e.SourceShape, len(rep.Unexpected))
	}
	for j, i := range load {
		p := ps[i]
		p.Value.CopyFrom(loadFrom[j].To(p.Value.Device()))
		if o.Freeze && p.Kind == nn.Trainable && p.RequiresGrad() {
			p.SetRequiresGrad(false)
			rep.Frozen = append(rep.Frozen, p.Name)
		}
	}
	return rep, nil
}

// underAny reports whether name is one of prefixes or lies under one ("a.b" is under
// "a" but "ab" is not).
func underAny(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if name == p || strings.HasPrefix(name, p+".") {
			return true
		}
	}
	return false
}

// HeadPrefixes returns the state_dict prefix of the output head of a model with
// entries ps (in registration order): the module holding the last non-buffer entry,
// cut to its top-level name, plus the next component when that is a Sequential
// index. This gives "last_block" for the U-Net family, UNETR, ResUNet++ and
// MultiResUNet (its conv and BatchNorm together), "last_block.1" for EDSR (the final
// conv, not the upsampler), "conv2" for RCAN, "conv_sigmoid.0" for DFCAN, "body.<n>"
// for WDSR's tail and "decoder_pred" for MAE. It returns nil for no entries.
func HeadPrefixes(ps []nn.Param) []string {
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Kind == nn.Buffer {
			continue
		}
		parts := strings.Split(ps[i].Name, ".")
		if len(parts) == 1 {
			return []string{parts[0]}
		}
		head := parts[0]
		if len(parts) > 2 {
			if _, err := strconv.Atoi(parts[1]); err == nil {
				head += "." + parts[1]
			}
		}
		return []string{head}
	}
	return nil
}

// EncoderPrefixes returns the encoder-side state_dict prefixes of a model with the
// given entry names, by architecture family recognised from the names:
//   - ViT family (a "patch_embed.*" entry: MAE, UNETR): cls_token, pos_embed,
//     patch_embed, blocks, norm — the ViT encoder, not UNETR's convolutional decoder
//     or MAE's decoder_* and mask_token;
//   - U-Net family ("down_path.*" and "bottleneck.*": U-Net, ResUNet, SE-U-Net,
//     Attention U-Net, ResUNet-SE): conv_in, down_path, bottleneck;
//   - ResUNet++ ("aspp_bridge.*"): down_path, sqex_blocks, aspp_bridge;
//   - MultiResUNet ("multiresblock<i>.*"): the first (n+1)/2 of its n MultiRes blocks
//     (1–5 of 9) and every respath;
//   - anything else (EDSR, RCAN, DFCAN, WDSR: no encoder/decoder split): every
//     top-level name, i.e. everything (the head is still left out unless KeepHead).
func EncoderPrefixes(names []string) []string {
	has := func(p string) bool {
		for _, n := range names {
			if underAny(n, []string{p}) {
				return true
			}
		}
		return false
	}
	switch {
	case has("patch_embed"):
		return []string{"cls_token", "pos_embed", "patch_embed", "blocks", "norm"}
	case has("aspp_bridge"):
		return []string{"down_path", "sqex_blocks", "aspp_bridge"}
	case has("down_path") && has("bottleneck"):
		return []string{"conv_in", "down_path", "bottleneck"}
	case has("multiresblock1"):
		n := 0
		for has("multiresblock" + strconv.Itoa(n+1)) {
			n++
		}
		var out []string
		for i := 1; i <= (n+1)/2; i++ {
			out = append(out, "multiresblock"+strconv.Itoa(i))
		}
		for i := 1; has("respath" + strconv.Itoa(i)); i++ {
			out = append(out, "respath"+strconv.Itoa(i))
		}
		return out
	}
	var out []string
	for _, n := range names {
		top, _, _ := strings.Cut(n, ".")
		if !slices.Contains(out, top) {
			out = append(out, top)
		}
	}
	return out
}

// MAEToUNETR maps an MAE state_dict key to the UNETR (ViT encoder) name: both models
// use timm's names, so cls_token, pos_embed ([1, 1+L, D], class token position first
// in both), patch_embed.proj.*, blocks.<i>.* and norm.* keep their names; the MAE
// decoder (mask_token, decoder_*) is dropped. UNETR's pos_embed (zeros in BiaPy) is
// thus replaced by the MAE's fixed sin-cos embedding the encoder was trained with. Use it as [TransferOptions.NameMap];
// keys the UNETR lacks (more MAE blocks than UNETR blocks) or whose shapes differ
// (another image, token or embedding size) are reported as unexpected or mismatched.
func MAEToUNETR(src string) (string, bool) {
	if src == "mask_token" || strings.HasPrefix(src, "decoder_") {
		return "", false
	}
	return src, true
}

// RenameMap returns a NameMap that renames the keys in m (source → destination) and
// keeps every other key; a key mapped to "" is dropped.
func RenameMap(m map[string]string) func(string) (string, bool) {
	return func(src string) (string, bool) {
		dst, ok := m[src]
		if !ok {
			return src, true
		}
		return dst, dst != ""
	}
}

// Unfreeze sets requires-grad back on for the trainable entries of m named in names
// (e.g. [TransferReport.Frozen]) and returns how many it changed. Entries frozen by
// design (nn.Frozen, such as a fixed positional embedding) and buffers are left alone.
// To unfreeze after N epochs, build the optimiser over [LearnableParams] (which keeps
// the frozen entries: an entry with requires-grad off gets no gradient and the
// optimiser skips it) and call Unfreeze at the start of epoch N:
//
//	rep, _ := models.Transfer(net, sd, models.TransferOptions{Freeze: true})
//	opt := train.NewOptimizer(models.LearnableParams(net), train.OptimizerOptions{Kind: train.AdamW})
//	// … at epoch N:
//	models.Unfreeze(net, rep.Frozen)
func Unfreeze(m nn.Module, names []string) int {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	n := 0
	for _, p := range m.Params() {
		if p.Kind == nn.Trainable && want[p.Name] && !p.RequiresGrad() {
			p.SetRequiresGrad(true)
			n++
		}
	}
	return n
}

// LearnableParams returns m's trainable entries, the ones frozen by [Transfer]
// included (nn.Trainables leaves those out); see [Unfreeze].
func LearnableParams(m nn.Module) []nn.Param {
	var out []nn.Param
	for _, p := range m.Params() {
		if p.Kind == nn.Trainable {
			out = append(out, p)
		}
	}
	return out
}

// ReadWeights reads a checkpoint's state_dict: a PyTorch .pth file (zip format, see
// [ReadPTH]) when the file starts with a zip signature, else a safetensors file such
// as [SaveWeights] or train's checkpoints write, without their "optimizer/…" entries.
// Tensors are float32 on the CPU.
func ReadWeights(path string) (map[string]*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: ReadWeights: %w", err)
	}
	magic := make([]byte, 4)
	n, _ := f.Read(magic)
	f.Close()
	if n == 4 && string(magic) == "PK\x03\x04" {
		p, err := ReadPTH(path)
		if err != nil {
			return nil, err
		}
		return p.Tensors, nil
	}
	sf, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("models: ReadWeights: %w", err)
	}
	out := make(map[string]*tensor.Tensor, len(sf.Tensors))
	for k, t := range sf.Tensors {
		if !strings.HasPrefix(k, optimizerPrefix) {
			out[k] = t
		}
	}
	return out, nil
}

// optimizerPrefix is train.OptimizerPrefix: the names of optimiser-state tensors in
// train's checkpoints (models does not import train).
const optimizerPrefix = "optimizer/"

// TransferFile is [Transfer] from the checkpoint at path (see [ReadWeights]); errors
// name the file.
func TransferFile(dst nn.Module, path string, o TransferOptions) (*TransferReport, error) {
	sd, err := ReadWeights(path)
	if err != nil {
		return nil, err
	}
	rep, err := Transfer(dst, sd, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}
