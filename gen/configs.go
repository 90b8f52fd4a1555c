package gen

import (
	"errors"
	"fmt"
	"go/build/constraint"
	"maps"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
)

// Other build configurations.
//
// A run loads the packages in one build configuration (GOOS, GOARCH and
// -tags). The files it leaves out may declare models and triggers too; for
// each such constraint, Generate finds a configuration that satisfies it
// and generates the files of that constraint in a second pass, so that one
// run writes the code of every build: GOOS=windows go build and builds
// with or without a tag compile without running triggergen in each.

// ports are the GOOS/GOARCH pairs of `go tool dist list`.
var ports = strings.Fields(`aix/ppc64 android/386 android/amd64 android/arm android/arm64
darwin/amd64 darwin/arm64 dragonfly/amd64 freebsd/386 freebsd/amd64 freebsd/arm freebsd/arm64
illumos/amd64 ios/amd64 ios/arm64 js/wasm linux/386 linux/amd64 linux/arm linux/arm64
linux/loong64 linux/mips linux/mips64 linux/mips64le linux/mipsle linux/ppc64 linux/ppc64le
linux/riscv64 linux/s390x netbsd/386 netbsd/amd64 netbsd/arm netbsd/arm64 openbsd/386
openbsd/amd64 openbsd/arm openbsd/arm64 openbsd/ppc64 openbsd/riscv64 plan9/386 plan9/amd64
plan9/arm solaris/amd64 wasip1/wasm windows/386 windows/amd64 windows/arm64`)

// unixOS are the GOOS values the "unix" tag matches.
var unixOS = map[string]bool{
	"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "hurd": true,
	"illumos": true, "ios": true, "linux": true, "netbsd": true, "openbsd": true, "solaris": true,
}

// buildConfig is a build configuration: GOOS, GOARCH and tags.
type buildConfig struct {
	goos, goarch string
	tags         []string
}

func (c buildConfig) String() string {
	s := "GOOS=" + c.goos + " GOARCH=" + c.goarch
	if len(c.tags) > 0 {
		s += " -tags=" + strings.Join(c.tags, ",")
	}
	return s
}

// currentConfig returns the configuration cfg loads in.
func currentConfig(cfg Config) buildConfig {
	c := buildConfig{goos: goruntime.GOOS, goarch: goruntime.GOARCH, tags: cfg.Tags}
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOOS="); ok && v != "" {
			c.goos = v
		}
		if v, ok := strings.CutPrefix(kv, "GOARCH="); ok && v != "" {
			c.goarch = v
		}
	}
	return c
}

// goMinor is the minor version of the running Go release (26 for go1.26.1).
func goMinor() int {
	v := strings.TrimPrefix(goruntime.Version(), "go1.")
	v, _, _ = strings.Cut(v, ".")
	n, _ := strconv.Atoi(strings.TrimLeftFunc(v, func(r rune) bool { return r < '0' || r > '9' }))
	return n
}

// fixedTag reports whether a tag is decided by GOOS, GOARCH, the compiler
// or the release, rather than by -tags, and whether c sets it.
func (c buildConfig) fixedTag(tag string) (fixed, set bool) {
	switch {
	case knownOS[tag]:
		return true, tag == c.goos || tag == "linux" && c.goos == "android" ||
			tag == "darwin" && c.goos == "ios" || tag == "solaris" && c.goos == "illumos"
	case knownArch[tag]:
		return true, tag == c.goarch
	case tag == "unix":
		return true, unixOS[c.goos]
	case tag == "gc":
		return true, true
	case tag == "gccgo", tag == "cgo", strings.HasPrefix(tag, "goexperiment."):
		// Not chosen for another configuration (cgo is off on other ports).
		return true, false
	case strings.HasPrefix(tag, "go1."):
		n, err := strconv.Atoi(tag[len("go1."):])
		return true, err == nil && n <= goMinor()
	}
	return false, false
}

// satisfies reports whether x holds in c.
func (c buildConfig) satisfies(x constraint.Expr) bool {
	return x.Eval(func(tag string) bool {
		if fixed, set := c.fixedTag(tag); fixed {
			return set
		}
		return slices.Contains(c.tags, tag)
	})
}

// configFor finds a configuration in which x holds, as close to cur as
// possible: cur's port first, then ports sharing its GOOS, then its
// GOARCH, then the others; for each, the tags of x that -tags decides, in
// as few changes from cur's tags as possible.
func configFor(x constraint.Expr, cur buildConfig) (buildConfig, bool) {
	var free []string
	var walk func(constraint.Expr)
	walk = func(x constraint.Expr) {
		switch x := x.(type) {
		case *constraint.TagExpr:
			if fixed, _ := cur.fixedTag(x.Tag); !fixed && !slices.Contains(free, x.Tag) {
				free = append(free, x.Tag)
			}
		case *constraint.NotExpr:
			walk(x.X)
		case *constraint.AndExpr:
			walk(x.X)
			walk(x.Y)
		case *constraint.OrExpr:
			walk(x.X)
			walk(x.Y)
		}
	}
	walk(x)
	slices.Sort(free)
	if len(free) > 10 {
		free = free[:10]
	}
	own := cur.goos + "/" + cur.goarch
	rank := func(port string) int {
		goos, goarch, _ := strings.Cut(port, "/")
		switch {
		case port == own:
			return 0
		case goos == cur.goos:
			return 1
		case goarch == cur.goarch:
			return 2
		}
		return 3
	}
	candidates := slices.Clone(ports)
	slices.SortStableFunc(candidates, func(a, b string) int { return rank(a) - rank(b) })
	// Tag sets: cur's tags with the free ones toggled, fewest toggles first.
	var masks []int
	for m := range 1 << len(free) {
		masks = append(masks, m)
	}
	slices.SortStableFunc(masks, func(a, b int) int { return bitCount(a) - bitCount(b) })
	for _, port := range candidates {
		goos, goarch, _ := strings.Cut(port, "/")
		for _, m := range masks {
			c := buildConfig{goos: goos, goarch: goarch}
			for _, t := range cur.tags {
				if !slices.Contains(free, t) {
					c.tags = append(c.tags, t)
				}
			}
			for i, t := range free {
				if slices.Contains(cur.tags, t) != (m&(1<<i) != 0) {
					c.tags = append(c.tags, t)
				}
			}
			slices.Sort(c.tags)
			if c.satisfies(x) {
				return c, true
			}
		}
	}
	return buildConfig{}, false
}

func bitCount(m int) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

// configEnv returns the environment of the go command for c; cgo is off
// on another port than cur's, which needs no C cross-compiler then.
func configEnv(cfg Config, cur, c buildConfig) []string {
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(slices.Clone(env), "GOOS="+c.goos, "GOARCH="+c.goarch)
	if c.goos != cur.goos || c.goarch != cur.goarch {
		env = append(env, "CGO_ENABLED=0")
	}
	return env
}

// generateOtherConfigs generates the files of the groups this build
// configuration leaves out, in configurations that include them; their
// errors join this run's.
func (g *generation) generateOtherConfigs() error {
	if g.cfg.single {
		return nil
	}
	want := map[string]constraint.Expr{}
	pkgsOf := map[string][]string{}
	for _, path := range g.order {
		p := g.pkgs[path]
		if p.readOnly() {
			continue
		}
		for _, gr := range g.layouts[path][1:] {
			if !gr.loaded {
				file := filepath.Join(p.dir, gr.file)
				want[file], pkgsOf[file] = gr.expr, []string{path}
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	files, targets, err := otherConfigs(g.cfg, want, pkgsOf)
	var list ErrorList
	switch {
	case errors.As(err, &list):
		g.d.list = append(g.d.list, list...)
	case err != nil:
		return err
	}
	g.otherFiles, g.otherTargets = files, targets
	return nil
}

// otherConfigs generates the files of the groups that the run's build
// configuration leaves out, each in a configuration that includes it. It
// returns the files, the files those runs write (for Prepare), and the
// errors found there.
func otherConfigs(cfg Config, want map[string]constraint.Expr, pkgsOf map[string][]string) ([]File, []string, error) {
	cur := currentConfig(cfg)
	type job struct {
		c     buildConfig
		files []string
		pkgs  []string
	}
	jobs := map[string]*job{}
	for _, file := range slices.Sorted(maps.Keys(want)) {
		c, ok := configFor(want[file], cur)
		if !ok {
			continue
		}
		j := jobs[c.String()]
		if j == nil {
			j = &job{c: c}
			jobs[c.String()] = j
		}
		j.files = append(j.files, file)
		for _, p := range pkgsOf[file] {
			if !slices.Contains(j.pkgs, p) {
				j.pkgs = append(j.pkgs, p)
			}
		}
	}
	var out []File
	var targets []string
	var errs ErrorList
	for _, key := range slices.Sorted(maps.Keys(jobs)) {
		j := jobs[key]
		sub := cfg
		sub.Env = configEnv(cfg, cur, j.c)
		sub.Tags = j.c.tags
		sub.Patterns = j.pkgs
		sub.single = true
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "generating %s with %s\n", strings.Join(j.pkgs, " "), j.c)
		}
		res, err := Generate(sub)
		if res != nil {
			targets = append(targets, res.targets...)
		}
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) {
				return nil, nil, fmt.Errorf("with %s: %w", j.c, err)
			}
			errs = append(errs, list...)
			continue
		}
		for _, f := range res.Files {
			if slices.Contains(j.files, f.Path) {
				out = append(out, f)
			}
		}
	}
	if len(errs) > 0 {
		return nil, targets, errs
	}
	return out, targets, nil
}
