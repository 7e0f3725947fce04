package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// templateFiles returns every YAML file under testdata/templates.
func templateFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("testdata/templates", func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) != 6 {
		t.Fatalf("templates: %v, %d files (want 6)", err, len(files))
	}
	return files
}

func TestTemplatesLoad(t *testing.T) {
	for _, path := range templateFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.Problem.Type != "SELF_SUPERVISED" || c.Train.Enable == strings.Contains(path, "unet_self") || c.Data.Train.Path != "/path/to/data" {
				t.Errorf("unexpected values: %+v %+v", c.Problem, c.Data.Train)
			}
			if c.Augmentor.DAProb == 0 || !c.Test.Enable {
				t.Errorf("augmentor/test not read: %+v", c.Augmentor)
			}
			for _, w := range c.Warnings() {
				t.Logf("warning: %s", w)
			}
			// The written YAML reads back to the same configuration.
			back, err := Parse(c.YAML(), "dump.yaml")
			if err != nil {
				t.Fatalf("Parse(YAML()): %v\n%s", err, c.YAML())
			}
			if !sameValues(c, back) {
				t.Errorf("round trip differs:\n%s", back.YAML())
			}
		})
	}
}

// sameValues compares the exported key values of two configurations.
func sameValues(a, b *Config) bool {
	va, vb := reflect.ValueOf(*a), reflect.ValueOf(*b)
	for i := range va.NumField() {
		if va.Type().Field(i).IsExported() && !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return false
		}
	}
	return true
}
