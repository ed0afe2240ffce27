// Oracle for patternmatcher.jsonl: reads {"ignore": text, "paths": [...]} lines on
// stdin and prints, per line, what Docker decides for each path, using the real
// BuildKit dockerignore.ReadAll and moby/patternmatcher. See generate.js.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/dockerignore"
	"github.com/moby/patternmatcher"
)

type request struct {
	Ignore string   `json:"ignore"`
	Paths  []string `json:"paths"`
}

func decide(r request) interface{} {
	lines, err := dockerignore.ReadAll(strings.NewReader(r.Ignore))
	if err != nil {
		return "error"
	}
	pm, err := patternmatcher.New(lines)
	if err != nil {
		return "error"
	}
	out := make([]bool, 0, len(r.Paths))
	for _, p := range r.Paths {
		m, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			return "error"
		}
		out = append(out, m)
	}
	return out
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for in.Scan() {
		var r request
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			panic(err)
		}
		b, _ := json.Marshal(decide(r))
		fmt.Fprintln(w, string(b))
	}
}
