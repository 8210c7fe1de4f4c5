package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

const prefix = "github.com/orchestratord/orchestratord/"

type pkg struct {
	ImportPath string
	Imports    []string
}

// listPackages runs `go list` in a module directory.
func listPackages(t *testing.T, dir string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list in %s: %v", dir, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLibsImportNoDaemonAndNoOtherLib(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	mods, err := filepath.Glob(filepath.Join(root, "libs", "*", "go.mod"))
	if err != nil || len(mods) == 0 {
		t.Fatalf("no libs found: %v", err)
	}
	for _, mod := range mods {
		dir := filepath.Dir(mod)
		self := prefix + "libs/" + filepath.Base(dir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for _, p := range listPackages(t, dir) {
				for _, imp := range p.Imports {
					is := is.New(t)
					is.True(!strings.HasPrefix(imp, prefix+"orchestratord")) // a lib never imports the daemon
					is.True(!strings.HasPrefix(imp, prefix+"tools"))         // nor the tools
					if strings.HasPrefix(imp, prefix+"libs/") {
						is.True(strings.HasPrefix(imp, self)) // a lib imports no other lib
					}
					if strings.HasPrefix(imp, "github.com/labstack/echo") {
						is.True(strings.Contains(p.ImportPath, "echohttp")) // only echohttp packages import echo
					}
				}
			}
		})
	}
}

func TestContractsImportOnlyTheStandardLibrary(t *testing.T) {
	is := is.New(t)
	for _, p := range listPackages(t, filepath.Join("..", "..", "..", "contracts")) {
		for _, imp := range p.Imports {
			first := strings.SplitN(imp, "/", 2)[0]
			is.True(!strings.Contains(first, ".") || strings.HasPrefix(imp, prefix+"contracts")) // std only: a third-party import has a dot in its first element
		}
	}
}
