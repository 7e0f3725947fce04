package cuda

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestBlocks(t *testing.T) {
	cases := []struct{ n, threads, want int }{
		{0, 256, 1},
		{1, 256, 1},
		{256, 256, 1},
		{257, 256, 2},
		{1000, 128, 8},
		{maxGridBlocks * 256, 256, maxGridBlocks},
		{maxGridBlocks*256 + 1, 256, maxGridBlocks},
		{1 << 30, 256, maxGridBlocks},
	}
	for _, c := range cases {
		if got := blocks(c.n, c.threads); got != c.want {
			t.Errorf("blocks(%d, %d) = %d, want %d", c.n, c.threads, got, c.want)
		}
	}
	mustPanic(t, "blocks(1, 0)", func() { blocks(1, 0) })
}

// fakeBuffer stands in for a GPU buffer at a fixed device address.
type fakeBuffer struct {
	base  uint64
	n     int
	freed bool
}

type fakeDevice struct{ tensor.Device }

func (fakeDevice) Name() string              { return "fake" }
func (b *fakeBuffer) Device() tensor.Device  { return fakeDevice{} }
func (b *fakeBuffer) Len() int               { return b.n }
func (b *fakeBuffer) devPtr() (uint64, bool) { return b.base, !b.freed }

func TestPackArgs(t *testing.T) {
	buf := &fakeBuffer{base: 0x7f0000001000, n: 100}
	x := tensor.FromBuffer(buf, 10, 3, 4)
	view := x.Transpose(0, 1).Slice(0, 1, 3) // offset 10 + 1
	var nilT *tensor.Tensor
	got := packArgs("k", []any{x, view, tensor.Buffer(buf), nilT, 7, -2, int32(-1), uint32(5), int64(-3), uint64(1 << 40), float32(1.5), float32(math.Copysign(0, -1)), true, false})
	want := []uint64{
		0x7f0000001000 + 40, 0x7f0000001000 + 44, 0x7f0000001000, 0,
		7, 0xfffffffe, 0xffffffff, 5, math.MaxUint64 - 2, 1 << 40,
		uint64(math.Float32bits(1.5)), 0x80000000, 1, 0,
	}
	if !slices.Equal(got, want) {
		t.Errorf("packArgs:\n got %#x\nwant %#x", got, want)
	}
	mustPanic(t, "int overflow", func() { packArgs("k", []any{1 << 31}) })
	mustPanic(t, "int underflow", func() { packArgs("k", []any{-1<<31 - 1}) })
	mustPanic(t, "float64", func() { packArgs("k", []any{1.5}) })
	mustPanic(t, "CPU tensor", func() { packArgs("k", []any{tensor.Zeros(tensor.CPU{}, 2)}) })
	buf.freed = true
	mustPanic(t, "freed buffer", func() { packArgs("k", []any{x}) })
}

func TestMergeAxes(t *testing.T) {
	cases := []struct {
		name      string
		shape     []int
		in        [][]int
		wantShape []int
		want      [][]int
	}{
		{"contiguous", []int{2, 3, 4}, [][]int{{12, 4, 1}, {12, 4, 1}}, []int{24}, [][]int{{1}, {1}}},
		{"transposed", []int{3, 2}, [][]int{{2, 1}, {1, 3}}, []int{3, 2}, [][]int{{2, 1}, {1, 3}}},
		{"size-1 dropped", []int{1, 5, 1, 2}, [][]int{{99, 2, 7, 1}, {0, 2, 0, 1}}, []int{10}, [][]int{{1}, {1}}},
		{"broadcast inner", []int{4, 3, 5}, [][]int{{15, 5, 1}, {5, 0, 1}}, []int{4, 3, 5}, [][]int{{15, 5, 1}, {5, 0, 1}}},
		{"broadcast pair", []int{4, 3, 5}, [][]int{{15, 5, 1}, {0, 0, 1}}, []int{12, 5}, [][]int{{5, 1}, {0, 1}}},
		{"scalar", []int{}, [][]int{{}, {}}, []int{1}, [][]int{{1}, {1}}},
		{"all ones", []int{1, 1}, [][]int{{1, 1}}, []int{1}, [][]int{{1}}},
		{"empty", []int{2, 0, 3}, [][]int{{0, 3, 1}}, []int{0}, [][]int{{1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			shape, st := mergeAxes(c.shape, c.in...)
			if !slices.Equal(shape, c.wantShape) || !reflect.DeepEqual(st, c.want) {
				t.Errorf("mergeAxes(%v, %v) = %v, %v; want %v, %v", c.shape, c.in, shape, st, c.wantShape, c.want)
			}
		})
	}
}

func TestBucketBytes(t *testing.T) {
	prev := int64(0)
	for n := 0; n < 1<<22; n = n*9/8 + 1 {
		b := bucketBytes(n)
		need := int64(4 * n)
		if b < need || b%256 != 0 || b < prev {
			t.Fatalf("bucketBytes(%d) = %d (previous %d): want ≥ %d, 256-aligned, monotone", n, b, prev, need)
		}
		if need > 1024 && float64(b) > 1.25*float64(need)+1 {
			t.Fatalf("bucketBytes(%d) = %d wastes more than 25%% of %d", n, b, need)
		}
		prev = b
	}
	// The classes of a range of sizes are few: the cache reuses blocks.
	classes := map[int64]bool{}
	for n := 1<<16 + 1; n <= 1<<17; n++ {
		classes[bucketBytes(n)] = true
	}
	if len(classes) != 4 {
		t.Errorf("%d size classes between 2^16 and 2^17 elements, want 4", len(classes))
	}
}

func TestPadAxes(t *testing.T) {
	if got := padAxes([]int{3, 4}, 4); !slices.Equal(got, []int{1, 1, 3, 4}) {
		t.Errorf("padAxes = %v", got)
	}
	mustPanic(t, "too many axes", func() { padAxes(make([]int, 7), 6) })
}

// exportedAPI returns the exported names declared by the package's non-test files whose
// build constraint matches want ("cuda", "!cuda" or "" for untagged): functions,
// types, constants, variables, and methods as "Type.Method".
func exportedAPI(t *testing.T, want string) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	api := map[string]bool{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		tag := ""
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if s, ok := strings.CutPrefix(c.Text, "//go:build "); ok && c.Pos() < f.Package {
					tag = strings.TrimSpace(s)
				}
			}
		}
		if tag != want {
			continue
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				name := d.Name.Name
				if d.Recv != nil {
					typ := d.Recv.List[0].Type
					if st, ok := typ.(*ast.StarExpr); ok {
						typ = st.X
					}
					recv := typ.(*ast.Ident).Name
					if !ast.IsExported(recv) {
						continue
					}
					name = recv + "." + name
				}
				api[name] = true
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							api[s.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								api[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return api
}

// TestStubAPI checks that the !cuda stub declares the same exported API as the cuda
// build (tensor.Device methods come from the embedded interface), so code calling the
// package compiles either way.
func TestStubAPI(t *testing.T) {
	gpu, stub := exportedAPI(t, "cuda"), exportedAPI(t, "!cuda")
	iface := reflect.TypeFor[tensor.Device]()
	for i := range iface.NumMethod() {
		delete(gpu, "Device."+iface.Method(i).Name)
	}
	if len(gpu) == 0 {
		t.Fatal("no exported API found in the cuda-tagged files")
	}
	for name := range gpu {
		if !stub[name] {
			t.Errorf("%s is declared with the cuda tag but missing from stub.go", name)
		}
	}
	for name := range stub {
		if !gpu[name] {
			t.Errorf("%s is declared in stub.go but not with the cuda tag", name)
		}
	}
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}
