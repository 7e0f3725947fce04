package models

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// tinyUNet returns a 2-level U-Net ([4, 8] feature maps) with out channels.
func tinyUNet(t testing.TB, out int, seed uint64) *UNet {
	t.Helper()
	m, err := NewUNet(UNetOptions{FeatureMaps: []int{4, 8}, OutChannels: out}, tensor.NewRNG(seed))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// snapshot copies every entry's values by name.
func snapshot(m nn.Module) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range m.Params() {
		out[p.Name] = p.Value.Values()
	}
	return out
}

// cloneDict deep-copies a state_dict.
func cloneDict(sd map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(sd))
	for k, v := range sd {
		out[k] = v.Clone()
	}
	return out
}

func names(es []TransferEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name+e.Source)
	}
	return out
}

func TestTransferCategories(t *testing.T) {
	src := snapshotDict(tinyUNet(t, 1, 1))
	n := len(src)
	withExtra := cloneDict(src)
	withExtra["extra.weight"] = tensor.Zeros(tensor.CPU{}, 3)
	withoutOne := cloneDict(src)
	delete(withoutOne, "bottleneck.block.0.block.0.bias")
	cases := []struct {
		name    string
		out     int
		src     map[string]*tensor.Tensor
		o       TransferOptions
		err     string         // substring of the expected error
		counts  [7]int         // loaded, skipped, missing, unexpected, dropped, reinit, excluded
		changed map[string]int // which entries must keep dst values (1) vs equal src (0) — checked for all
	}{
		{name: "match keep head", out: 1, src: src, o: TransferOptions{KeepHead: true}, counts: [7]int{n, 0, 0, 0, 0, 0, 0}},
		{name: "match strict", out: 1, src: src, o: TransferOptions{Strict: true, KeepHead: true}, counts: [7]int{n, 0, 0, 0, 0, 0, 0}},
		{name: "head re-initialised", out: 1, src: src, counts: [7]int{n - 2, 0, 0, 0, 0, 2, 0}},
		{name: "head shape differs, default", out: 2, src: src, counts: [7]int{n - 2, 0, 0, 0, 0, 2, 0}},
		{name: "mismatch error", out: 2, src: src, o: TransferOptions{KeepHead: true},
			err: "key last_block.weight: source last_block.weight shape [1 4 1 1], model shape [2 4 1 1] (2 shape mismatches"},
		{name: "mismatch strict error", out: 2, src: src, o: TransferOptions{KeepHead: true, Strict: true}, err: "last_block.weight"},
		{name: "mismatch skipped", out: 2, src: src, o: TransferOptions{KeepHead: true, SkipUnmatched: true}, counts: [7]int{n - 2, 2, 0, 0, 0, 0, 0}},
		{name: "missing", out: 1, src: withoutOne, counts: [7]int{n - 3, 0, 1, 0, 0, 2, 0}},
		{name: "missing strict", out: 1, src: withoutOne, o: TransferOptions{Strict: true},
			err: "strict: missing key bottleneck.block.0.block.0.bias (model shape [8]; 1 missing"},
		{name: "unexpected", out: 1, src: withExtra, counts: [7]int{n - 2, 0, 0, 1, 0, 2, 0}},
		{name: "unexpected strict", out: 1, src: withExtra, o: TransferOptions{Strict: true}, err: "strict: unexpected key extra.weight (shape [3]"},
		{name: "dropped by map", out: 1, src: withExtra, o: TransferOptions{Strict: true, NameMap: RenameMap(map[string]string{"extra.weight": ""})},
			counts: [7]int{n - 2, 0, 0, 0, 1, 2, 0}},
		{name: "strict with skip", out: 1, src: src, o: TransferOptions{Strict: true, SkipUnmatched: true}, err: "exclude each other"},
		{name: "two keys onto one", out: 1, src: src, o: TransferOptions{NameMap: func(string) (string, bool) { return "last_block.bias", true }},
			err: "both map to last_block.bias"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := tinyUNet(t, c.out, 2)
			before := snapshot(dst)
			rep, err := Transfer(dst, c.src, c.o)
			after := snapshot(dst)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				if !maps.EqualFunc(before, after, slices.Equal) {
					t.Fatal("a failed transfer modified the model")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := [7]int{len(rep.Loaded), len(rep.Skipped), len(rep.Missing), len(rep.Unexpected), len(rep.Dropped), len(rep.Reinitialised), len(rep.Excluded)}
			if got != c.counts {
				t.Fatalf("counts %v, want %v\n%v", got, c.counts, rep)
			}
			for _, e := range rep.Loaded {
				if !slices.Equal(after[e.Name], c.src[e.Source].Values()) {
					t.Errorf("loaded %s does not equal the source", e.Name)
				}
			}
			for _, group := range [][]TransferEntry{rep.Skipped, rep.Missing, rep.Reinitialised, rep.Excluded} {
				for _, e := range group {
					if !slices.Equal(after[e.Name], before[e.Name]) {
						t.Errorf("%s was not loaded but changed", e.Name)
					}
					// The head of a fresh model differs from the pretrained one.
					if s, ok := c.src[e.Name]; ok && s.Numel() > 1 && slices.Equal(after[e.Name], s.Values()) {
						t.Errorf("%s equals the source", e.Name)
					}
				}
			}
			if c.name == "mismatch skipped" {
				e := rep.Skipped[0]
				if e.Name != "last_block.weight" || !slices.Equal(e.Shape, []int{2, 4, 1, 1}) || !slices.Equal(e.SourceShape, []int{1, 4, 1, 1}) {
					t.Fatalf("skipped %+v", e)
				}
			}
			if c.name == "head re-initialised" && !slices.Equal(names(rep.Reinitialised), []string{"last_block.weightlast_block.weight", "last_block.biaslast_block.bias"}) {
				t.Fatalf("re-initialised %v", names(rep.Reinitialised))
			}
		})
	}
}

// snapshotDict returns a deep copy of m's state_dict.
func snapshotDict(m nn.Module) map[string]*tensor.Tensor { return cloneDict(nn.StateDict(m.Params())) }

func TestTransferEncoderOnly(t *testing.T) {
	src := snapshotDict(tinyUNet(t, 1, 1))
	dst := tinyUNet(t, 3, 2)
	rep, err := Transfer(dst, src, TransferOptions{EncoderOnly: true, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Loaded {
		if !strings.HasPrefix(e.Name, "down_path.") && !strings.HasPrefix(e.Name, "bottleneck.") {
			t.Errorf("loaded %s", e.Name)
		}
	}
	for _, e := range rep.Excluded {
		if !strings.HasPrefix(e.Name, "up_path.") && !strings.HasPrefix(e.Name, "last_block.") {
			t.Errorf("excluded %s", e.Name)
		}
	}
	if len(rep.Loaded) != 28 || len(rep.Loaded)+len(rep.Excluded) != len(dst.Params()) {
		t.Fatalf("%d loaded, %d excluded of %d", len(rep.Loaded), len(rep.Excluded), len(dst.Params()))
	}
}

func TestPrefixRules(t *testing.T) {
	rng := tensor.NewRNG(1)
	build := map[string]func() (nn.Module, error){
		"unet":         func() (nn.Module, error) { return NewUNet(UNetOptions{FeatureMaps: []int{4, 8}}, rng) },
		"resunet":      func() (nn.Module, error) { return NewResUNet(UNetOptions{FeatureMaps: []int{4, 8}}, rng) },
		"resunet++":    func() (nn.Module, error) { return NewResUNetPlusPlus(UNetOptions{FeatureMaps: []int{16, 32}}, rng) },
		"multiresunet": func() (nn.Module, error) { return NewMultiResUNet(MultiResUNetOptions{BaseFilters: 4}, rng) },
		"edsr":         func() (nn.Module, error) { return NewEDSR(EDSROptions{Filters: 4, ResBlocks: 1}, rng) },
		"rcan":         func() (nn.Module, error) { return NewRCAN(RCANOptions{Filters: 16, Groups: 1, RCABs: 1}, rng) },
		"wdsr":         func() (nn.Module, error) { return NewWDSR(WDSROptions{Filters: 4, ResBlocks: 1}, rng) },
		"mae":          func() (nn.Module, error) { return NewMAE(tinyMAEOptions(), rng) },
		"unetr":        func() (nn.Module, error) { return NewUNETR(tinyUNETROptions(), rng) },
	}
	cases := []struct{ model, head, encoder string }{
		{"unet", "last_block", "conv_in down_path bottleneck"},
		{"resunet", "last_block", "conv_in down_path bottleneck"},
		{"resunet++", "last_block", "down_path sqex_blocks aspp_bridge"},
		{"multiresunet", "last_block", "multiresblock1 multiresblock2 multiresblock3 multiresblock4 multiresblock5 respath1 respath2 respath3 respath4"},
		{"edsr", "last_block.1", "first_conv_of_block resblock last_conv_of_block last_block"},
		{"rcan", "conv2", "sf rgs conv1 upscale conv2"},
		{"wdsr", "body.2", "body"},
		{"mae", "decoder_pred", "cls_token pos_embed patch_embed blocks norm"},
		{"unetr", "last_block", "cls_token pos_embed patch_embed blocks norm"},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			m, err := build[c.model]()
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, p := range m.Params() {
				ns = append(ns, p.Name)
			}
			if h := strings.Join(HeadPrefixes(m.Params()), " "); h != c.head {
				t.Errorf("head %q, want %q", h, c.head)
			}
			if e := strings.Join(EncoderPrefixes(ns), " "); e != c.encoder {
				t.Errorf("encoder %q, want %q", e, c.encoder)
			}
		})
	}
}

func tinyMAEOptions() MAEOptions {
	return MAEOptions{ImgSize: 16, PatchSize: 4, EmbedDim: 8, Depth: 2, Heads: 2, DecoderDim: 8, DecoderDepth: 1, DecoderHeads: 2}
}

func tinyUNETROptions() UNETROptions {
	return UNETROptions{ImageSize: 16, PatchSize: 4, EmbedDim: 8, Depth: 2, NumHeads: 2, HiddMult: 1, NumFilters: 4, OutChannels: 2}
}

func TestTransferMAEToUNETR(t *testing.T) {
	mae, err := NewMAE(tinyMAEOptions(), tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	src := snapshotDict(mae)
	for _, c := range []struct {
		name string
		o    TransferOptions
	}{
		{"all but the decoder", TransferOptions{NameMap: MAEToUNETR}},
		{"encoder only, strict", TransferOptions{NameMap: MAEToUNETR, EncoderOnly: true, Strict: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst, err := NewUNETR(tinyUNETROptions(), tensor.NewRNG(2))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Transfer(dst, src, c.o)
			if err != nil {
				t.Fatal(err)
			}
			// cls_token, pos_embed, patch_embed.proj.{weight,bias}, 2 blocks × 12, norm × 2.
			if len(rep.Loaded) != 2+2+2*12+2 || len(rep.Unexpected) != 0 || len(rep.Skipped) != 0 {
				t.Fatalf("\n%v", rep)
			}
			for _, d := range rep.Dropped {
				if d.Source != "mask_token" && !strings.HasPrefix(d.Source, "decoder_") {
					t.Errorf("dropped %s", d.Source)
				}
			}
			after := snapshot(dst)
			for _, k := range []string{"blocks.1.attn.qkv.weight", "blocks.0.mlp.fc2.bias", "pos_embed", "patch_embed.proj.weight"} {
				if !slices.Equal(after[k], src[k].Values()) {
					t.Errorf("%s not equal to the MAE's", k)
				}
			}
		})
	}
	// Without the map the MAE decoder keys are unexpected (and a strict load fails).
	dst, _ := NewUNETR(tinyUNETROptions(), tensor.NewRNG(2))
	if _, err := Transfer(dst, src, TransferOptions{EncoderOnly: true, Strict: true}); err == nil || !strings.Contains(err.Error(), "unexpected key decoder_") {
		t.Fatalf("error %v", err)
	}
}

func TestTransferFreezeThenUnfreeze(t *testing.T) {
	src := snapshotDict(tinyUNet(t, 1, 1))
	m := tinyUNet(t, 1, 2)
	rep, err := Transfer(m, src, TransferOptions{EncoderOnly: true, Freeze: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Frozen) != 16 { // 2 levels × 2 conv blocks × (conv w, b, BN w, b)
		t.Fatalf("frozen %v", rep.Frozen)
	}
	opt := train.NewOptimizer(LearnableParams(m), train.OptimizerOptions{Kind: train.AdamW, LR: 1e-2, WeightDecay: 0.05})
	x := tensor.RandNormal(tensor.CPU{}, tensor.NewRNG(3), 0, 1, 2, 1, 8, 8)
	step := func() {
		tp := nn.NewTape()
		nn.SetTraining(m, true)
		loss := tp.MSELoss(m.Forward(tp, nn.NewVar(x)), nn.NewVar(tensor.Zeros(tensor.CPU{}, 2, 1, 8, 8)))
		tp.Backward(loss)
		opt.Step()
		opt.ZeroGrad()
		tp.Reset()
	}
	isFrozen := map[string]bool{}
	for _, n := range rep.Frozen {
		isFrozen[n] = true
	}
	before := snapshot(m)
	step()
	after := snapshot(m)
	for _, p := range m.Params() {
		if p.Kind != nn.Trainable {
			continue
		}
		same := slices.Equal(before[p.Name], after[p.Name])
		if isFrozen[p.Name] && !same {
			t.Errorf("frozen %s changed", p.Name)
		}
		if !isFrozen[p.Name] && same {
			t.Errorf("trainable %s did not change", p.Name)
		}
	}
	if n := Unfreeze(m, rep.Frozen); n != 16 {
		t.Fatalf("unfroze %d", n)
	}
	step()
	again := snapshot(m)
	for _, n := range rep.Frozen {
		if slices.Equal(after[n], again[n]) {
			t.Errorf("unfrozen %s did not change", n)
		}
	}
}

func TestTransferFileSafetensors(t *testing.T) {
	src := tinyUNet(t, 1, 1)
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := train.SaveCheckpoint(path, src.Params(), train.NewOptimizer(nn.Trainables(src.Params()), train.OptimizerOptions{Kind: train.AdamW}), train.CheckpointInfo{}); err != nil {
		t.Fatal(err)
	}
	dst := tinyUNet(t, 1, 2)
	rep, err := TransferFile(dst, path, TransferOptions{Strict: true, KeepHead: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Loaded) != len(dst.Params()) || len(rep.Unexpected) != 0 {
		t.Fatal(rep)
	}
	if _, err := TransferFile(dst, filepath.Join(t.TempDir(), "none.safetensors"), TransferOptions{}); err == nil || !strings.Contains(err.Error(), "none.safetensors") {
		t.Fatalf("error %v", err)
	}
}

func TestTransferReportOutput(t *testing.T) {
	src := snapshotDict(tinyUNet(t, 1, 1))
	src["extra"] = tensor.Zeros(tensor.CPU{}, 2)
	rep, err := Transfer(tinyUNet(t, 2, 2), src, TransferOptions{Freeze: true, SkipUnmatched: true, Head: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.String()
	if first := strings.SplitN(s, "\n", 2)[0]; first != "transfer: 49 loaded, 2 skipped, 0 missing, 1 unexpected, 0 dropped, 0 re-initialised, 0 excluded, 28 frozen (loaded* = frozen)" {
		t.Errorf("summary %q", first)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(s, "\n")[1:] {
		rows[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, want := range []string{
		"status name shape source shape",
		"loaded* down_path.0.block.0.block.0.weight [4, 1, 3, 3] [4, 1, 3, 3]",
		"loaded down_path.0.block.0.block.1.running_mean [4] [4]",
		"loaded down_path.0.block.0.block.1.num_batches_tracked [] []",
		"skipped last_block.weight [2, 4, 1, 1] [1, 4, 1, 1]",
		"unexpected extra - [2]",
	} {
		if !rows[want] {
			t.Errorf("report lacks row %q:\n%s", want, s)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("weights", "transfer", rep)
	if !strings.Contains(buf.String(), "transfer.loaded=49 transfer.skipped=2 transfer.missing=0 transfer.unexpected=1") {
		t.Errorf("slog: %s", buf.String())
	}
}

// ExampleTransfer loads a U-Net pretrained for 1-channel restoration into a U-Net for
// 3-class segmentation: everything but the output head is loaded.
func ExampleTransfer() {
	pretrained, _ := NewUNet(UNetOptions{FeatureMaps: []int{4, 8}}, tensor.NewRNG(1))
	seg, _ := NewUNet(UNetOptions{FeatureMaps: []int{4, 8}, OutChannels: 3}, tensor.NewRNG(2))
	rep, err := Transfer(seg, nn.StateDict(pretrained.Params()), TransferOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Summary())
	for _, e := range rep.Reinitialised {
		fmt.Println("re-initialised", e.Name, shapeString(e.Shape), "(pretrained", shapeString(e.SourceShape)+")")
	}
	// Output:
	// transfer: 49 loaded, 0 skipped, 0 missing, 0 unexpected, 0 dropped, 2 re-initialised, 0 excluded, 0 frozen
	// re-initialised last_block.weight [3, 4, 1, 1] (pretrained [1, 4, 1, 1])
	// re-initialised last_block.bias [3] (pretrained [1])
}

// TestTransferMAEFixtureToUNETR loads the encoder of BiaPy's own MAE (fixtures/models
// mae_2d_grid: 32², token 8, width 64, 2 blocks) into a UNETR of the same ViT size.
func TestTransferMAEFixtureToUNETR(t *testing.T) {
	c := fixture.MustLoadCase(t, "models", "mae_2d_grid")
	src := map[string]*tensor.Tensor{}
	for k, v := range c.Tensors {
		if name, ok := strings.CutPrefix(k, "param/"); ok {
			src[name] = v
		}
	}
	dst, err := NewUNETR(UNETROptions{ImageSize: 32, PatchSize: 8, EmbedDim: 64, Depth: 2, NumHeads: 4, HiddMult: 1, NumFilters: 4, OutChannels: 2}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Transfer(dst, src, TransferOptions{NameMap: MAEToUNETR, EncoderOnly: true, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Loaded) != 30 || len(rep.Dropped) != 1+1+2+12+2+2 { // mask_token, decoder_pos_embed, decoder_embed ×2, 1 decoder block, decoder_norm ×2, decoder_pred ×2
		t.Fatalf("\n%v", rep)
	}
	after := snapshot(dst)
	for _, e := range rep.Loaded {
		if !slices.Equal(after[e.Name], src[e.Source].Values()) {
			t.Errorf("%s differs from the MAE's", e.Name)
		}
	}
}
