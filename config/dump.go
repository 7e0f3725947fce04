package config

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// SetJob fills every empty job path as BiaPy's CLI does (SPEC Part B §1.9), for
// `-result_dir resultDir -name name -run_id runID`: job_dir = resultDir/name and
// R = job_dir/results/<name>_<runID>; PATHS.CHECKPOINT and LOG.LOG_DIR live in
// job_dir, the other result paths in R.
func (c *Config) SetJob(resultDir, name string, runID int) {
	job := filepath.Join(resultDir, name)
	id := fmt.Sprintf("%s_%d", name, runID)
	r := filepath.Join(job, "results", id)
	set := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	p := &c.Paths
	set(&p.ResultDir.Path, r)
	set(&p.ResultDir.PerImage, filepath.Join(r, "per_image"))
	set(&p.ResultDir.FullImage, filepath.Join(r, "full_image"))
	set(&p.Charts, filepath.Join(r, "charts"))
	set(&p.DASamples, filepath.Join(r, "aug"))
	set(&p.GenChecks, filepath.Join(r, "gen_check"))
	set(&p.GenMaskChecks, filepath.Join(r, "gen_mask_check"))
	set(&p.MAEOutDir, filepath.Join(r, "MAE_checks"))
	set(&p.BMZExportPath, filepath.Join(r, "BMZ_files"))
	set(&p.Profiler, filepath.Join(r, "profiler"))
	set(&p.FilSamplesDir, filepath.Join(r, "filtering_information"))
	set(&p.Checkpoint, filepath.Join(job, "checkpoints"))
	set(&p.ProbMapDir, filepath.Join(job, "prob_map"))
	set(&c.Log.LogDir, filepath.Join(job, "train_logs"))
	set(&c.Log.TensorboardLogDir, filepath.Join(r, "tensorboard"))
	set(&c.Log.LogFilePrefix, id)
}

// YAML returns the effective configuration as a BiaPy YAML file: nested sections
// indented by 4 spaces, Python tuples and True/False, every key selfsup implements.
// [Parse] reads it back to an equal Config, and BiaPy can read it too (for the
// config_files/ copy of a run).
func (c *Config) YAML() []byte {
	var b bytes.Buffer
	b.WriteString("# Effective configuration written by selfsup (BiaPy keys).\n")
	writeStruct(&b, reflect.ValueOf(c).Elem(), 0)
	return b.Bytes()
}

// Dump writes [Config.YAML] to w.
func (c *Config) Dump(w io.Writer) error {
	_, err := w.Write(c.YAML())
	return err
}

func writeStruct(b *bytes.Buffer, v reflect.Value, depth int) {
	t := v.Type()
	indent := strings.Repeat("    ", depth)
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("key")
		if !ok {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			fmt.Fprintf(b, "%s%s:\n", indent, name)
			writeStruct(b, fv, depth+1)
			continue
		}
		fmt.Fprintf(b, "%s%s: %s\n", indent, name, literal(fv, opt == "tuple" || fv.Kind() == reflect.Array))
	}
}

var plainString = regexp.MustCompile(`^[A-Za-z_/][A-Za-z0-9_./+-]*$`)

// literal formats a field value as a Python/YAML literal.
func literal(v reflect.Value, tuple bool) string {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if x, _ := parseLiteral(s); plainString.MatchString(s) && x.kind != vBool && x.kind != vNone {
			if _, isBool := parseBool(s); !isBool && s != "null" && s != "Null" && s != "NULL" && s != "~" {
				return s
			}
		}
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		s := strconv.FormatFloat(v.Float(), 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnN") {
			s += ".0"
		}
		return s
	case reflect.Bool:
		if v.Bool() {
			return "True"
		}
		return "False"
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = literal(v.Index(i), false)
		}
		if !tuple {
			return "[" + strings.Join(parts, ", ") + "]"
		}
		if len(parts) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	panic(fmt.Sprintf("config: literal: unsupported type %s", v.Type()))
}
