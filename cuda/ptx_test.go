package cuda

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// These tests need no GPU: they check the committed PTX against its sources and against
// the kernels the Go wrappers launch.

var (
	globalRE = regexp.MustCompile(`extern\s+"C"\s+__global__\s+(?:__launch_bounds__\s*\([^)]*\)\s+)?void\s+(?:__launch_bounds__\s*\([^)]*\)\s+)?(\w+)\s*\(`)
	entryRE  = regexp.MustCompile(`\.entry\s+(\w+)\s*\(`)
)

// ptxEntries returns the .entry names of kernels/<mod>.ptx.
func ptxEntries(t *testing.T, mod string) map[string]bool {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("kernels", mod+".ptx"))
	if err != nil {
		t.Fatalf("%v (run go generate ./cuda)", err)
	}
	out := map[string]bool{}
	for _, m := range entryRE.FindAllStringSubmatch(string(src), -1) {
		out[m[1]] = true
	}
	return out
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestPTXInSync checks that every kernels/*.cu has a .ptx and that both, and every
// shared header kernels/*.cuh, match the checksums scripts/build-ptx.sh recorded in
// kernels/ptx.sum when it compiled them.
func TestPTXInSync(t *testing.T) {
	f, err := os.Open(filepath.Join("kernels", "ptx.sum"))
	if err != nil {
		t.Fatalf("%v (run go generate ./cuda)", err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			t.Fatalf("ptx.sum: bad line %q", sc.Text())
		}
		sums[fields[1]] = fields[0]
	}
	cus, _ := filepath.Glob(filepath.Join("kernels", "*.cu"))
	ptxs, _ := filepath.Glob(filepath.Join("kernels", "*.ptx"))
	if len(cus) == 0 {
		t.Fatal("no kernels/*.cu")
	}
	if len(ptxs) != len(cus) {
		t.Errorf("%d .cu files but %d .ptx files", len(cus), len(ptxs))
	}
	for _, cu := range cus {
		ptx := strings.TrimSuffix(cu, ".cu") + ".ptx"
		for _, p := range []string{cu, ptx} {
			name := filepath.Base(p)
			t.Run(name, func(t *testing.T) {
				want, ok := sums[name]
				if !ok {
					t.Fatalf("%s is not in kernels/ptx.sum: run go generate ./cuda", name)
				}
				if got := sha256File(t, p); got != want {
					t.Errorf("%s changed since the PTX was generated: run go generate ./cuda", name)
				}
			})
		}
	}
	// Shared headers: a header changed since the PTX was generated leaves the PTX of
	// the sources including it stale.
	headers, _ := filepath.Glob(filepath.Join("kernels", "*.cuh"))
	for _, h := range headers {
		name := filepath.Base(h)
		if want, ok := sums[name]; !ok {
			t.Errorf("%s is not in kernels/ptx.sum: run go generate ./cuda", name)
		} else if sha256File(t, h) != want {
			t.Errorf("%s changed since the PTX was generated: run go generate ./cuda", name)
		}
	}
	for name := range sums {
		if _, err := os.Stat(filepath.Join("kernels", name)); err != nil {
			t.Errorf("ptx.sum lists %s, which does not exist: run go generate ./cuda", name)
		}
	}
}

// stripMacros removes #define directives (with their continuation lines): kernels
// stamped out by macros are checked through the launches instead.
func stripMacros(src string) string {
	var b strings.Builder
	inMacro := false
	for line := range strings.SplitSeq(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#define") {
			inMacro = true
		}
		if !inMacro {
			b.WriteString(line)
			b.WriteByte('\n')
		}
		if inMacro && !strings.HasSuffix(trimmed, "\\") {
			inMacro = false
		}
	}
	return b.String()
}

// TestPTXEntries checks that every extern "C" __global__ kernel written out in each .cu
// file (not stamped out by a macro) is an .entry of its PTX.
func TestPTXEntries(t *testing.T) {
	cus, _ := filepath.Glob(filepath.Join("kernels", "*.cu"))
	for _, cu := range cus {
		mod := strings.TrimSuffix(filepath.Base(cu), ".cu")
		t.Run(mod, func(t *testing.T) {
			src, err := os.ReadFile(cu)
			if err != nil {
				t.Fatal(err)
			}
			kernels := globalRE.FindAllStringSubmatch(stripMacros(string(src)), -1)
			if len(kernels) == 0 && !strings.Contains(string(src), "__global__") {
				t.Fatalf("%s declares no __global__ kernel", cu)
			}
			entries := ptxEntries(t, mod)
			for _, k := range kernels {
				if !entries[k[1]] {
					t.Errorf("kernel %s of %s.cu is not an .entry of %s.ptx", k[1], mod, mod)
				}
			}
		})
	}
}

// TestLaunchesResolve finds every launch(mod, fn, …) call with literal names in the
// package's Go files and checks that kernels/mod.ptx has the .entry fn, so a typo in a
// kernel name fails here rather than on the GPU.
func TestLaunchesResolve(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	found, dynamic := 0, 0
	entries := map[string]map[string]bool{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "launch" {
				return true
			}
			mod, ok1 := stringLit(call.Args[0])
			fn, ok2 := stringLit(call.Args[1])
			if !ok1 || !ok2 {
				dynamic++
				t.Logf("%s: kernel name computed at run time, not checked", fset.Position(call.Pos()))
				return true
			}
			found++
			if entries[mod] == nil {
				entries[mod] = ptxEntries(t, mod)
			}
			if !entries[mod][fn] {
				t.Errorf("%s: launch(%q, %q): no .entry %s in kernels/%s.ptx", fset.Position(call.Pos()), mod, fn, fn, mod)
			}
			return true
		})
	}
	if found == 0 {
		t.Fatal("found no launch call with literal kernel names")
	}
	t.Logf("%d launches with literal names checked, %d with computed names skipped", found, dynamic)
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
