package enclave_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// testKeyPackages hold test keys in the clear, which sign by themselves by
// design; no backend key reaches them.
var testKeyPackages = map[string]bool{"protocoltest": true}

// TestNoExportedAPISignsACallersDigest: outside enclave/internal, no
// exported function or method of the enclave tree takes a digest
// ([32]byte or common.Hash) and returns bytes (a signature), or returns a
// signer or a private key. With Go's internal rule this leaves the host
// no path to sign a digest of its choosing with an enclave key; the
// conformance suite (enclavetest, KeyHandleCannotSign) checks the key
// handles' dynamic types as well.
func TestNoExportedAPISignsACallersDigest(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "internal" || d.Name() == "testdata" || testKeyPackages[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || !fn.Name.IsExported() || (fn.Recv != nil && !exportedRecv(fn.Recv)) {
				continue
			}
			checked++
			if why := signsDigest(fn.Type); why != "" {
				t.Errorf("%s: %s %s", fset.Position(fn.Pos()), fn.Name.Name, why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d exported functions: the walk missed the tree", checked)
	}
}

func exportedRecv(r *ast.FieldList) bool {
	e := r.List[0].Type
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if ix, ok := e.(*ast.IndexExpr); ok {
		e = ix.X
	}
	id, ok := e.(*ast.Ident)
	return ok && id.IsExported()
}

func typeString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return "*" + typeString(e.X)
	case *ast.SelectorExpr:
		return typeString(e.X) + "." + e.Sel.Name
	case *ast.ArrayType:
		if e.Len == nil {
			return "[]" + typeString(e.Elt)
		}
		if l, ok := e.Len.(*ast.BasicLit); ok {
			return "[" + l.Value + "]" + typeString(e.Elt)
		}
	case *ast.InterfaceType:
		for _, m := range e.Methods.List {
			for _, n := range m.Names {
				if n.Name == "Sign" {
					return "interface{Sign}"
				}
			}
		}
		return "interface"
	}
	return "?"
}

// signsDigest says why a function type looks like digest signing, or "".
func signsDigest(ft *ast.FuncType) string {
	takesDigest := false
	for _, p := range ft.Params.List {
		if s := typeString(p.Type); s == "[32]byte" || s == "common.Hash" {
			takesDigest = true
		}
	}
	if ft.Results == nil {
		return ""
	}
	for _, r := range ft.Results.List {
		switch s := typeString(r.Type); {
		case takesDigest && s == "[]byte":
			return "takes a digest and returns bytes"
		case s == "messages.Signer" || s == "keys.DigestSigner" || s == "interface{Sign}":
			return "returns a signer"
		case s == "*ecdsa.PrivateKey" || s == "ecdsa.PrivateKey":
			return "returns a private key"
		}
	}
	return ""
}
