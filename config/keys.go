package config

import (
	"reflect"
	"sort"
	"strings"
)

// field is one BiaPy key that maps onto a Config field.
type field struct {
	key   string       // full dotted key, e.g. "DATA.PATCH_SIZE"
	index []int        // reflect field index path from Config
	typ   reflect.Type // the Go type of the field
	tuple bool         // written as a Python tuple by YAML()
}

// unsupported is a BiaPy key (or, when key ends in ".", every key under a prefix)
// that selfsup does not implement. When def is not empty the key is accepted at
// BiaPy's default value def (a Python literal), which has no effect.
type unsupported struct {
	key, def, why string
}

// obsolete is a key of an older BiaPy release: renamed to to, or dropped when to is
// empty; either way a warning is recorded.
type obsolete struct {
	to, note string
}

var (
	fields     []*field
	fieldByKey = map[string]*field{}
	sections   = map[string]bool{} // every proper prefix of a known key
)

const (
	otherWorkflow = "it belongs to another BiaPy workflow"
	notAug        = "selfsup does not implement this augmentation"
)

// unsupportedKeys lists the BiaPy keys selfsup does not implement (SPEC Part B §1).
// Exact keys come before the prefixes that contain them.
var unsupportedKeys = []unsupported{
	{"DATA.FORCE_RGB", "False", "RGB conversion is not implemented"},
	{"DATA.W_FOREGROUND", "", otherWorkflow + " (semantic segmentation probability maps)"},
	{"DATA.W_BACKGROUND", "", otherWorkflow + " (semantic segmentation probability maps)"},
	{"DATA.TRAIN.INPUT_IMG_AXES_ORDER", "'TZCYX'", "Zarr/H5 input is not supported"},
	{"DATA.TRAIN.INPUT_MASK_AXES_ORDER", "'TZCYX'", "Zarr/H5 input is not supported"},
	{"DATA.VAL.INPUT_IMG_AXES_ORDER", "'TZCYX'", "Zarr/H5 input is not supported"},
	{"DATA.VAL.INPUT_MASK_AXES_ORDER", "'TZCYX'", "Zarr/H5 input is not supported"},
	{"DATA.TEST.INPUT_IMG_AXES_ORDER", "'TZCYX'", "Zarr/H5 input is not supported"},
	{"DATA.TEST.INPUT_MASK_AXES_ORDER", "'TZCYX'", "Zarr/H5 input is not supported"},
	{"DATA.TRAIN.INPUT_ZARR_MULTIPLE_DATA", "False", "Zarr/H5 input is not supported"},
	{"DATA.VAL.INPUT_ZARR_MULTIPLE_DATA", "False", "Zarr/H5 input is not supported"},
	{"DATA.TRAIN.FILTER_SAMPLES.ENABLE", "False", "sample filtering is not implemented"},
	{"DATA.VAL.FILTER_SAMPLES.ENABLE", "False", "sample filtering is not implemented"},
	{"DATA.TEST.FILTER_SAMPLES.ENABLE", "False", "sample filtering is not implemented"},
	{"DATA.TRAIN.FILTER_SAMPLES.", "", "sample filtering is not implemented"},
	{"DATA.VAL.FILTER_SAMPLES.", "", "sample filtering is not implemented"},
	{"DATA.TEST.FILTER_SAMPLES.", "", "sample filtering is not implemented"},
	{"DATA.TRAIN.INPUT_ZARR_MULTIPLE_DATA_", "", "Zarr/H5 input is not supported"},
	{"DATA.VAL.INPUT_ZARR_MULTIPLE_DATA_", "", "Zarr/H5 input is not supported"},
	{"DATA.PREPROCESS.TRAIN", "False", "BiaPy's pre-processing is not implemented"},
	{"DATA.PREPROCESS.VAL", "False", "BiaPy's pre-processing is not implemented"},
	{"DATA.PREPROCESS.TEST", "False", "BiaPy's pre-processing is not implemented"},
	{"DATA.PREPROCESS.", "", "BiaPy's pre-processing is not implemented"},
	{"MODEL.TORCHVISION_MODEL_NAME", "", "MODEL.SOURCE torchvision is not available for self-supervision"},
	{"MODEL.BMZ.EXPORT.ENABLE", "False", "BioImage Model Zoo export is not implemented"},
	{"MODEL.BMZ.EXPORT.REUSE_BMZ_CONFIG", "False", "BioImage Model Zoo export is not implemented"},
	{"MODEL.BMZ.EXPORT.LICENSE", "'CC-BY-4.0'", "BioImage Model Zoo export is not implemented"},
	{"MODEL.BMZ.EXPORT.MODEL_VERSION", "'0.1.0'", "BioImage Model Zoo export is not implemented"},
	{"MODEL.BMZ.", "", "BioImage Model Zoo models are not supported"},
	{"MODEL.ITEMS_TO_LOAD_FROM_CHECKPOINT", "", "not implemented (BiaPy master)"},
	{"LOSS.CLASS_REBALANCE", "", otherWorkflow},
	{"LOSS.IGNORE_INDEX", "", otherWorkflow},
	{"TEST.ANALIZE_2D_IMGS_AS_3D_STACK", "False", "not implemented"},
	{"TEST.REUSE_PREDICTIONS", "False", "not implemented"},
	{"TEST.BY_CHUNKS.ENABLE", "False", "H5/Zarr chunked inference is not supported"},
	{"TEST.BY_CHUNKS.SAVE_OUT_TIF", "False", "H5/Zarr chunked inference is not supported"},
	{"TEST.BY_CHUNKS.FLUSH_EACH", "100", "H5/Zarr chunked inference is not supported"},
	{"TEST.BY_CHUNKS.WORKFLOW_PROCESS.ENABLE", "True", "H5/Zarr chunked inference is not supported"},
	{"TEST.BY_CHUNKS.WORKFLOW_PROCESS.TYPE", "'chunk_by_chunk'", "H5/Zarr chunked inference is not supported"},
	{"TEST.BY_CHUNKS.", "", "H5/Zarr chunked inference is not supported"},
	{"TEST.POST_PROCESSING.", "", otherWorkflow},
	{"TEST.DET_", "", otherWorkflow},
	{"TEST.MATCHING_", "", otherWorkflow},
	{"PROBLEM.SEMANTIC_SEG.", "", otherWorkflow},
	{"PROBLEM.INSTANCE_SEG.", "", otherWorkflow},
	{"PROBLEM.DETECTION.", "", otherWorkflow},
	{"PROBLEM.DENOISING.", "", otherWorkflow},
	{"PROBLEM.CLASSIFICATION.", "", otherWorkflow},
	{"PROBLEM.IMAGE_TO_IMAGE.", "", otherWorkflow},
	{"AUGMENTOR.MOTION_BLUR", "False", notAug},
	{"AUGMENTOR.MOTB_K_RANGE", "(8, 12)", notAug},
	{"AUGMENTOR.DROPOUT", "False", notAug},
	{"AUGMENTOR.DROP_RANGE", "(0, 0.2)", notAug},
	{"AUGMENTOR.CUTBLUR", "False", notAug},
	{"AUGMENTOR.CBLUR_SIZE", "(0.2, 0.4)", notAug},
	{"AUGMENTOR.CBLUR_DOWN_RANGE", "(2, 8)", notAug},
	{"AUGMENTOR.CBLUR_INSIDE", "True", notAug},
	{"AUGMENTOR.CUTMIX", "False", notAug},
	{"AUGMENTOR.CMIX_SIZE", "(0.2, 0.4)", notAug},
	{"AUGMENTOR.CUTNOISE", "False", notAug},
	{"AUGMENTOR.CNOISE_SCALE", "(0.05, 0.1)", notAug},
	{"AUGMENTOR.CNOISE_NB_ITERATIONS", "(1, 3)", notAug},
	{"AUGMENTOR.CNOISE_SIZE", "(0.2, 0.4)", notAug},
	{"AUGMENTOR.GRAYSCALE", "False", notAug},
	{"AUGMENTOR.CHANNEL_SHUFFLE", "False", notAug},
	{"AUGMENTOR.GRIDMASK", "False", notAug},
	{"AUGMENTOR.GRID_RATIO", "0.6", notAug},
	{"AUGMENTOR.GRID_D_RANGE", "(0.4, 1)", notAug},
	{"AUGMENTOR.GRID_ROTATE", "1.0", notAug},
	{"AUGMENTOR.GRID_INVERT", "False", notAug},
	{"AUGMENTOR.SALT", "False", notAug + " (SALT_AND_PEPPER is)"},
	{"AUGMENTOR.SALT_AMOUNT", "0.05", notAug + " (SALT_AND_PEPPER is)"},
	{"AUGMENTOR.PEPPER", "False", notAug + " (SALT_AND_PEPPER is)"},
	{"AUGMENTOR.PEPPER_AMOUNT", "0.05", notAug + " (SALT_AND_PEPPER is)"},
}

// obsoleteKeys are keys of pre-v3.5 BiaPy files (the legacy templates) that current
// BiaPy no longer has.
var obsoleteKeys = map[string]obsolete{
	"DATA.TRAIN.MASK_PATH":      {"DATA.TRAIN.GT_PATH", "renamed DATA.TRAIN.GT_PATH"},
	"DATA.VAL.MASK_PATH":        {"DATA.VAL.GT_PATH", "renamed DATA.VAL.GT_PATH"},
	"DATA.TEST.MASK_PATH":       {"DATA.TEST.GT_PATH", "renamed DATA.TEST.GT_PATH"},
	"MODEL.N_CLASSES":           {"DATA.N_CLASSES", "BiaPy v3.5 name of DATA.N_CLASSES"},
	"DATA.CHECK_GENERATORS":     {"", "pre-v3 key, ignored"},
	"TEST.STATS.PER_PATCH":      {"", "pre-v3 key, ignored (metrics are computed on merged patches)"},
	"TEST.STATS.MERGE_PATCHES":  {"", "pre-v3 key, ignored (metrics are computed on merged patches)"},
	"TEST.STATS.FULL_IMG":       {"", "pre-v3 key, ignored (self-supervision always tiles)"},
	"MODEL.BATCH_NORMALIZATION": {"", "pre-v3.5.5 key; True means MODEL.NORMALIZATION bn"},
}

func init() {
	walkFields(reflect.TypeOf(Config{}), "", nil)
	add := func(key string) {
		parts := strings.Split(strings.TrimSuffix(key, "."), ".")
		for i := 1; i < len(parts); i++ {
			sections[strings.Join(parts[:i], ".")] = true
		}
		if strings.HasSuffix(key, ".") {
			sections[strings.TrimSuffix(key, ".")] = true
		}
	}
	for _, f := range fields {
		add(f.key)
	}
	for _, u := range unsupportedKeys {
		add(u.key)
	}
	for k := range obsoleteKeys {
		add(k)
	}
}

// walkFields records every leaf field of the struct type t under the key prefix.
func walkFields(t reflect.Type, prefix string, index []int) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("key")
		if !ok {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		idx := append(append([]int(nil), index...), i)
		if sf.Type.Kind() == reflect.Struct {
			walkFields(sf.Type, key, idx)
			continue
		}
		f := &field{key: key, index: idx, typ: sf.Type, tuple: opt == "tuple" || sf.Type.Kind() == reflect.Array}
		fields = append(fields, f)
		fieldByKey[key] = f
	}
}

// findUnsupported returns the unsupported entry for key, if any.
func findUnsupported(key string) (unsupported, bool) {
	for _, u := range unsupportedKeys {
		if u.key == key || (strings.HasSuffix(u.key, "_") || strings.HasSuffix(u.key, ".")) && strings.HasPrefix(key, u.key) {
			return u, true
		}
	}
	return unsupported{}, false
}

// Keys returns every BiaPy key selfsup implements, sorted.
func Keys() []string {
	ks := make([]string, 0, len(fields))
	for _, f := range fields {
		ks = append(ks, f.key)
	}
	sort.Strings(ks)
	return ks
}

// suggest returns the known key closest to key (edit distance on upper-cased keys),
// or "" when none is close enough to be a likely typo.
func suggest(key string) string {
	up := strings.ToUpper(key)
	best, bestD := "", 1<<30
	try := func(k string) {
		if strings.HasSuffix(k, ".") || strings.HasSuffix(k, "_") {
			return
		}
		d := levenshtein(up, k)
		if d < bestD || d == bestD && k < best {
			best, bestD = k, d
		}
	}
	for _, f := range fields {
		try(f.key)
	}
	for _, u := range unsupportedKeys {
		try(u.key)
	}
	for k := range obsoleteKeys {
		try(k)
	}
	for s := range sections {
		try(s)
	}
	limit := max(2, len(key)/5)
	if bestD <= limit {
		return best
	}
	// A misspelled or misplaced last segment: "DATA.TRAIN.PATCH_SIZE".
	last := up[strings.LastIndex(up, ".")+1:]
	for _, f := range fields {
		if f.key[strings.LastIndex(f.key, ".")+1:] == last {
			return f.key
		}
	}
	return ""
}

// levenshtein returns the edit distance between a and b (bytes).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
