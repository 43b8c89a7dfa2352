package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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

// aksRulesDoc is the document that comments and docs cite as
// "aks-rules N.N", by path from the repository's root.
const aksRulesDoc = "docs/aks-rules.md"

// citeWord is the word a citation of aksRulesDoc starts with.
const citeWord = "aks-rules"

// citeNouns are the words that, after citeWord, name the document instead
// of citing a rule of it ("the project's aks-rules reference").
var citeNouns = []string{"reference", "document"}

var (
	ruleHeading    = regexp.MustCompile(`^### (\d+)\.(\d+) \S`)
	sectionHeading = regexp.MustCompile(`^## (\d+)\. \S`)
	ruleKnown      = regexp.MustCompile(`(?m)^Known: \*\*(documented|source|issue|inferred|unconfirmed)\*\*`)
)

// aksRule is a rule of aksRulesDoc: its section and number within it, and
// the text between its heading and the next heading.
type aksRule struct {
	section, n int
	body       string
}

// number is the rule's number as citations write it, "2.2".
func (r aksRule) number() string { return fmt.Sprintf("%d.%d", r.section, r.n) }

// aksRules reads the rules of aksRulesDoc in the order of their headings,
// each with the section heading it stands under (0 before the first).
func aksRules(t *testing.T) ([]aksRule, []int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", aksRulesDoc))
	if err != nil {
		t.Fatal(err)
	}
	var rules []aksRule
	var under []int
	section := 0
	inRule := false
	outsideFences(string(b), func(l string) {
		if m := sectionHeading.FindStringSubmatch(l); m != nil {
			section, _ = strconv.Atoi(m[1])
		}
		if m := ruleHeading.FindStringSubmatch(l); m != nil {
			var r aksRule
			r.section, _ = strconv.Atoi(m[1])
			r.n, _ = strconv.Atoi(m[2])
			rules = append(rules, r)
			under = append(under, section)
			inRule = true
			return
		}
		if heading.MatchString(l) {
			inRule = false
			return
		}
		if inRule {
			rules[len(rules)-1].body += l + "\n"
		}
	})
	return rules, under
}

// Every rule of docs/aks-rules.md has its own heading under its section's
// heading, numbered in order from 1 within the section as the research it
// comes from numbers it, says how it is known and links at least one source.
func TestAKSRulesHaveSources(t *testing.T) {
	rules, under := aksRules(t)
	if len(rules) == 0 {
		t.Fatalf("%s has no rule headings (### N.N title)", aksRulesDoc)
	}
	prev := aksRule{}
	for i, r := range rules {
		switch {
		case r.section != under[i]:
			t.Errorf("%s: rule %s is under the heading of section %d", aksRulesDoc, r.number(), under[i])
		case r.section == prev.section && r.n != prev.n+1,
			r.section != prev.section && r.n != 1:
			t.Errorf("%s: rule %s follows rule %s; rules are numbered in order from 1 in each section", aksRulesDoc, r.number(), prev.number())
		}
		if !strings.Contains(r.body, "https://") {
			t.Errorf("%s: rule %s links no source (https://...)", aksRulesDoc, r.number())
		}
		if !ruleKnown.MatchString(r.body) {
			t.Errorf("%s: rule %s has no line \"Known: **documented|source|issue|inferred|unconfirmed**\"", aksRulesDoc, r.number())
		}
		prev = r
	}
}

// citation is a rule of aksRulesDoc that a text cites ("2.2"), with the
// line of the text, from 1, that its citation starts on.
type citation struct {
	line int
	rule string
}

// citationError is a citation that cannot be read: its line, the text from
// its start to the end of that line, and why.
type citationError struct {
	line         int
	text, reason string
}

// citations extracts the rules a text cites as citeWord followed by a list
// of rule numbers: "aks-rules 2.2", "aks-rules 1.7, 2.6 and 4.1",
// "aks-rules 1.10/1.11", or a range within a section, "aks-rules 2.6-2.8"
// (an en dash too), which stands for each rule of it. The list may go on
// past a line break, after the comment marker of the next line. The
// document's own name (aks-rules.md, #aks-rules) and "aks-rules reference"
// cite nothing; any other citeWord not followed by a rule number is an
// error, so that a citation of a new form is not passed over.
func citations(text string) ([]citation, []citationError) {
	var cites []citation
	var errs []citationError
	for from := 0; ; {
		i := strings.Index(text[from:], citeWord)
		if i < 0 {
			return cites, errs
		}
		start := from + i
		from = start + len(citeWord)
		if start > 0 && (isWordByte(text[start-1]) || text[start-1] == '-' || text[start-1] == '#') {
			continue // part of a longer name, or an anchor
		}
		line := 1 + strings.Count(text[:start], "\n")
		s := &citeScanner{text: text, pos: from}
		rules, reason := s.citation()
		if reason != "" {
			excerpt, _, _ := strings.Cut(text[start:], "\n")
			errs = append(errs, citationError{line, strings.TrimSpace(excerpt), reason})
			continue
		}
		for _, r := range rules {
			cites = append(cites, citation{line, r})
		}
	}
}

// citeScanner reads what follows citeWord in text, from pos.
type citeScanner struct {
	text string
	pos  int
}

// rest is the text not read yet.
func (s *citeScanner) rest() string { return s.text[s.pos:] }

// citation reads the rules cited after citeWord: none for a mention of the
// document itself, or the reason the citation cannot be read.
func (s *citeScanner) citation() ([]string, string) {
	if strings.HasPrefix(s.rest(), ".md") {
		return nil, "" // the document's file name
	}
	if !s.space() {
		return nil, "no rule number after " + citeWord
	}
	for _, noun := range citeNouns {
		if r := s.rest(); strings.HasPrefix(r, noun) && !startsWord(r[len(noun):]) {
			return nil, ""
		}
	}
	var rules []string
	for {
		item, reason := s.item()
		if reason != "" {
			return nil, reason
		}
		rules = append(rules, item...)
		end := s.pos
		if !s.separator() {
			s.pos = end
			return rules, ""
		}
		if r := s.rest(); !strings.HasPrefix(r, "§") && (r == "" || !isDigit(r[0])) {
			s.pos = end // the list is over; the comma or "and" is the prose's
			return rules, ""
		}
	}
}

// item reads a rule number, or a range of them within a section ("2.6-2.8",
// "7.5–7.7"), and returns each rule it stands for.
func (s *citeScanner) item() ([]string, string) {
	section, first, ok := s.number()
	if !ok {
		word, _, _ := strings.Cut(s.rest(), " ")
		return nil, fmt.Sprintf("%q is not a rule number such as 2.2", word)
	}
	last := first
	for _, dash := range []string{"-", "–"} {
		after, isDash := strings.CutPrefix(s.rest(), dash)
		if !isDash || after == "" || !isDigit(after[0]) {
			continue
		}
		s.pos += len(dash)
		to, n, ok := s.number()
		if !ok || to != section || n <= first {
			return nil, "a range runs from a rule to a later one of the same section, as 2.6-2.8"
		}
		last = n
		break
	}
	var rules []string
	for n := first; n <= last; n++ {
		rules = append(rules, fmt.Sprintf("%d.%d", section, n))
	}
	return rules, ""
}

// number reads a rule number, section.n, that no further letter, digit or
// ".digit" follows.
func (s *citeScanner) number() (section, n int, ok bool) {
	r := s.rest()
	i := 0
	digits := func() int {
		v, start := 0, i
		for i < len(r) && isDigit(r[i]) && i-start < 4 {
			v = v*10 + int(r[i]-'0')
			i++
		}
		if i == start {
			ok = false
		}
		return v
	}
	ok = true
	section = digits()
	if !ok || i == len(r) || r[i] != '.' {
		return 0, 0, false
	}
	i++
	n = digits()
	if !ok || startsWord(r[i:]) || (strings.HasPrefix(r[i:], ".") && len(r) > i+1 && isDigit(r[i+1])) {
		return 0, 0, false
	}
	s.pos += i
	return section, n, true
}

// separator skips the separator of a list, ",", "/", "and" or ", and", with
// the space around it, and reports whether there was one.
func (s *citeScanner) separator() bool {
	found := false
	s.space()
	if r := s.rest(); strings.HasPrefix(r, ",") || strings.HasPrefix(r, "/") {
		s.pos++
		found = true
		s.space()
	}
	if r := s.rest(); strings.HasPrefix(r, "and") && !startsWord(r[len("and"):]) {
		s.pos += len("and")
		found = true
		s.space()
	}
	return found
}

// space skips spaces and tabs, and at most one line break with the
// indentation and comment marker ("//", "#", "*", ">") that start the next
// line, and reports whether it skipped anything.
func (s *citeScanner) space() bool {
	start := s.pos
	blanks := func() {
		for s.pos < len(s.text) && (s.text[s.pos] == ' ' || s.text[s.pos] == '\t') {
			s.pos++
		}
	}
	blanks()
	if r := strings.TrimPrefix(s.rest(), "\r"); strings.HasPrefix(r, "\n") {
		s.pos = len(s.text) - len(r) + 1
		blanks()
		for _, marker := range []string{"//", "#", "*", ">"} {
			if strings.HasPrefix(s.rest(), marker) {
				s.pos += len(marker)
				break
			}
		}
		blanks()
	}
	return s.pos > start
}

// isDigit reports whether b is an ASCII digit.
func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// isWordByte reports whether b is an ASCII letter, digit or underscore.
func isWordByte(b byte) bool {
	return isDigit(b) || b == '_' || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

// startsWord reports whether text starts with a letter, digit or
// underscore, so that what was read before it is part of a longer word.
func startsWord(text string) bool {
	if text == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text)
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// trackedFiles are the files git tracks in the repository, by path from
// its root, without the ones deleted from the working tree.
func trackedFiles(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", f)); err == nil {
			files = append(files, f)
		}
	}
	return files
}

// Every "aks-rules N.N" of the repository's files, code comments and docs
// alike, names a rule that docs/aks-rules.md has, so that a reader can
// follow it; a citation the parser cannot read fails too. docs/aks-rules.md
// is left out (it shows the form), and so is this file, whose table below
// holds malformed citations on purpose.
func TestAKSRulesCitationsResolve(t *testing.T) {
	rules, _ := aksRules(t)
	known := map[string]bool{}
	for _, r := range rules {
		known[r.number()] = true
	}
	skip := []string{aksRulesDoc, "tests/docs_test.go"}
	total := 0
	for _, f := range trackedFiles(t) {
		if slices.Contains(skip, f) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
			continue // binary
		}
		cites, errs := citations(string(b))
		for _, e := range errs {
			t.Errorf("%s:%d: cannot read the citation %q: %s; write aks-rules N.N, a list (1.7, 2.6 and 4.1) or a range (2.6-2.8)", f, e.line, e.text, e.reason)
		}
		for _, c := range cites {
			if !known[c.rule] {
				t.Errorf("%s:%d: aks-rules %s resolves to no rule in %s", f, c.line, c.rule, aksRulesDoc)
			}
		}
		total += len(cites)
	}
	if total == 0 {
		t.Errorf("no aks-rules citation found in the tracked files; is git ls-files run from the repository's root?")
	}
}

// The citation parser reads every form the repository uses and refuses
// the ones it cannot read.
func TestAKSRulesCitationParser(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []citation
		bad        bool
	}{
		{"one", "// on (aks-rules 1.7). The route", []citation{{1, "1.7"}}, false},
		{"a list", "pod range (aks-rules 1.7, 2.6, 4.1). So", []citation{{1, "1.7"}, {1, "2.6"}, {1, "4.1"}}, false},
		{"and", "engine (aks-rules 8.2 and 8.3; [update", []citation{{1, "8.2"}, {1, "8.3"}}, false},
		{"slash", "(CustomRouteTableWithUnsupportedMSIType, aks-rules 1.10/1.11), and", []citation{{1, "1.10"}, {1, "1.11"}}, false},
		{"a range", "| one /24 per node (aks-rules 2.6-2.8) |", []citation{{1, "2.6"}, {1, "2.7"}, {1, "2.8"}}, false},
		{"a range with an en dash", "rules (aks-rules 7.5–7.6)", []citation{{1, "7.5"}, {1, "7.6"}}, false},
		{"a quote ends the list", `(aks-rules 6.4, "same prefix can't appear twice in a table")`, []citation{{1, "6.4"}}, false},
		{"a URL on the next line ends the list", "// broadcast address (aks-rules 4.1,\n// https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq).", []citation{{1, "4.1"}}, false},
		{"the number on the next line", "first line\nof your own (aks-rules\n  5.10), so", []citation{{2, "5.10"}}, false},
		{"the list on the next line", "// (aks-rules 1.7, 2.6,\n// 4.1)", []citation{{1, "1.7"}, {1, "2.6"}, {1, "4.1"}}, false},
		{"the document itself", "the project's aks-rules reference; [AKS rules](aks-rules.md#aks-rules)", nil, false},
		{"a section sign", "see aks-rules §3", nil, true},
		{"no number", "see (aks-rules).", nil, true},
		{"a range across sections", "aks-rules 2.6-3.1", nil, true},
		{"a range backward", "aks-rules 2.8-2.6", nil, true},
		{"a sub-rule", "aks-rules 2.2.1", nil, true},
		{"a section after a comma", "aks-rules 2.2, §3", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := citations(tc.text)
			if tc.bad {
				if len(errs) == 0 {
					t.Errorf("citations(%q) = %v, want an error", tc.text, got)
				}
				return
			}
			if len(errs) > 0 {
				t.Errorf("citations(%q): unexpected errors %v", tc.text, errs)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("citations(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}
