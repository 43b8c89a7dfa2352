package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	markdownLink = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
	heading      = regexp.MustCompile(`^#{1,6} (.*)$`)
)

// documents are the README and docs/*.md, by path from the repository's
// root.
func documents(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"README.md"}
	for _, d := range docs {
		out = append(out, filepath.Join("docs", filepath.Base(d)))
	}
	return out
}

// outsideFences calls line for each line of a markdown text that is not in
// a fenced code block.
func outsideFences(text string, line func(string)) {
	fenced := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			line(l)
		}
	}
}

// anchors are the anchors GitHub gives a markdown text's headings: lower
// case, punctuation dropped, spaces as hyphens, a repeated one numbered.
func anchors(text string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	outsideFences(text, func(l string) {
		m := heading.FindStringSubmatch(l)
		if m == nil {
			return
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(m[1])) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	})
	return out
}

// Every link of the README and docs/ to a file of the repository leads to
// a file that exists and, with an anchor, to a heading that it has: the
// documents moved out of the README stay reachable from it, and from each
// other.
func TestDocumentLinksResolve(t *testing.T) {
	docs := documents(t)
	texts := map[string]string{}
	for _, d := range docs {
		b, err := os.ReadFile(filepath.Join("..", d))
		if err != nil {
			t.Fatal(err)
		}
		texts[d] = string(b)
	}
	linked := map[string]bool{"README.md": true}
	for _, d := range docs {
		outsideFences(texts[d], func(l string) {
			for _, m := range markdownLink.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				file := d
				if path != "" {
					file = filepath.Clean(filepath.Join(filepath.Dir(d), path))
				}
				if _, err := os.Stat(filepath.Join("..", file)); err != nil {
					t.Errorf("%s links to %s, which does not exist", d, target)
					continue
				}
				if d == "README.md" {
					linked[file] = true
				}
				if anchor == "" || !strings.HasSuffix(file, ".md") {
					continue
				}
				text, ok := texts[file]
				if !ok {
					b, err := os.ReadFile(filepath.Join("..", file))
					if err != nil {
						t.Fatal(err)
					}
					text = string(b)
				}
				if !anchors(text)[anchor] {
					t.Errorf("%s links to %s, whose file has no heading #%s", d, target, anchor)
				}
			}
		})
	}
	for _, d := range docs {
		if !linked[d] {
			t.Errorf("%s is not linked from the README's map", d)
		}
	}
}

// The README is the front door: what and why, the diagrams, the two
// commands and the map of docs/; the rest lives in docs/.
func TestReadmeIsShort(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 200 {
		t.Errorf("README.md has %d lines; keep it under 200 and put the rest in docs/", n)
	}
}
