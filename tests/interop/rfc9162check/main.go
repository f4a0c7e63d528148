// Command rfc9162check checks a transparency log's signed checkpoints and its
// RFC 9162 inclusion and consistency proofs with the Go project's own
// transparency-log code, golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, which shares no code with skillpass.
//
// Usage:
//
//	rfc9162check -vkey NAME+KEYID+KEY -origin ORIGIN < requests > answers
//
// The input is a stream of JSON requests; each gets one line of JSON in
// answer, in order:
//
//	{"checkpoint": "<signed note>"}
//	    -> {"ok": true, "tree_size": N, "root_hash": "<base64>"}
//	{"inclusion": {"log_index": I, "tree_size": N, "leaf_data": "<base64>",
//	               "leaf_hash": "<base64>", "hashes": ["<base64>", ...]}}
//	{"consistency": {"first": M, "second": N, "hashes": ["<base64>", ...]}}
//	    -> {"ok": true}
//
// and {"ok": false, "error": "..."} when the check fails. A proof is checked
// only against the root of a checkpoint of its tree size that was accepted
// earlier in the same stream: roots never come from the caller. The leaf
// hash is computed here from the leaf data; the served leaf_hash must match.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	LogIndex int64    `json:"log_index"`
	TreeSize int64    `json:"tree_size"`
	LeafData string   `json:"leaf_data"`
	LeafHash string   `json:"leaf_hash"`
	Hashes   []string `json:"hashes"`
}

type consistency struct {
	First  int64    `json:"first"`
	Second int64    `json:"second"`
	Hashes []string `json:"hashes"`
}

type request struct {
	Checkpoint  *string      `json:"checkpoint"`
	Inclusion   *inclusion   `json:"inclusion"`
	Consistency *consistency `json:"consistency"`
}

type answer struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	TreeSize *int64 `json:"tree_size,omitempty"`
	RootHash string `json:"root_hash,omitempty"`
}

// checker holds the roots of the checkpoints it has accepted, by tree size.
type checker struct {
	verifiers note.Verifiers
	origin    string
	roots     map[int64]tlog.Hash
}

// C2SP tlog-checkpoint: the size is ASCII decimal without leading zeros.
var treeSize = regexp.MustCompile(`^(0|[1-9][0-9]{0,18})$`)

func decodeHash(what, b64 string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return h, fmt.Errorf("%s: not base64: %q", what, b64)
	}
	if len(raw) != tlog.HashSize {
		return h, fmt.Errorf("%s: %d bytes, not %d", what, len(raw), tlog.HashSize)
	}
	copy(h[:], raw)
	return h, nil
}

func decodeHashes(b64s []string) ([]tlog.Hash, error) {
	hashes := make([]tlog.Hash, len(b64s))
	for i, b64 := range b64s {
		h, err := decodeHash(fmt.Sprintf("hashes[%d]", i), b64)
		if err != nil {
			return nil, err
		}
		hashes[i] = h
	}
	return hashes, nil
}

func (c *checker) root(size int64) (tlog.Hash, error) {
	root, ok := c.roots[size]
	if !ok {
		return root, fmt.Errorf("no accepted checkpoint of tree size %d", size)
	}
	return root, nil
}

// checkpoint opens a signed note with the log's key and parses its body.
func (c *checker) checkpoint(msg string) (int64, tlog.Hash, error) {
	var root tlog.Hash
	n, err := note.Open([]byte(msg), c.verifiers)
	if err != nil {
		return 0, root, fmt.Errorf("signed note: %w", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return 0, root, errors.New("checkpoint: want origin, size and root lines")
	}
	if lines[0] != c.origin {
		return 0, root, fmt.Errorf("checkpoint: origin %q, want %q", lines[0], c.origin)
	}
	if !treeSize.MatchString(lines[1]) {
		return 0, root, fmt.Errorf("checkpoint: tree size %q", lines[1])
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return 0, root, fmt.Errorf("checkpoint: tree size %q: %w", lines[1], err)
	}
	if root, err = decodeHash("checkpoint root", lines[2]); err != nil {
		return 0, root, err
	}
	if known, ok := c.roots[size]; ok && known != root {
		return 0, root, fmt.Errorf("checkpoint: size %d has two roots", size)
	}
	c.roots[size] = root
	return size, root, nil
}

func (c *checker) inclusion(p *inclusion) error {
	root, err := c.root(p.TreeSize)
	if err != nil {
		return err
	}
	data, err := base64.StdEncoding.Strict().DecodeString(p.LeafData)
	if err != nil {
		return errors.New("leaf_data: not base64")
	}
	leaf := tlog.RecordHash(data)
	served, err := decodeHash("leaf_hash", p.LeafHash)
	if err != nil {
		return err
	}
	if served != leaf {
		return fmt.Errorf("leaf_hash: served %v, computed %v", served, leaf)
	}
	proof, err := decodeHashes(p.Hashes)
	if err != nil {
		return err
	}
	return tlog.CheckRecord(proof, p.TreeSize, root, p.LogIndex, leaf)
}

func (c *checker) consistency(p *consistency) error {
	first, err := c.root(p.First)
	if err != nil {
		return err
	}
	second, err := c.root(p.Second)
	if err != nil {
		return err
	}
	proof, err := decodeHashes(p.Hashes)
	if err != nil {
		return err
	}
	return tlog.CheckTree(proof, p.Second, second, p.First, first)
}

func (c *checker) answer(r *request) answer {
	var err error
	switch {
	case r.Checkpoint != nil:
		var size int64
		var root tlog.Hash
		if size, root, err = c.checkpoint(*r.Checkpoint); err == nil {
			return answer{OK: true, TreeSize: &size, RootHash: root.String()}
		}
	case r.Inclusion != nil:
		err = c.inclusion(r.Inclusion)
	case r.Consistency != nil:
		err = c.consistency(r.Consistency)
	default:
		err = errors.New("request: want checkpoint, inclusion or consistency")
	}
	if err != nil {
		return answer{Error: err.Error()}
	}
	return answer{OK: true}
}

func main() {
	vkey := flag.String("vkey", "", "the log's note verifier key")
	origin := flag.String("origin", "", "the log's checkpoint origin")
	flag.Parse()
	verifier, err := note.NewVerifier(*vkey)
	if err != nil || *origin == "" {
		fmt.Fprintf(os.Stderr, "rfc9162check: need -vkey and -origin: %v\n", err)
		os.Exit(2)
	}
	c := &checker{
		verifiers: note.VerifierList(verifier),
		origin:    *origin,
		roots:     map[int64]tlog.Hash{},
	}
	in := json.NewDecoder(bufio.NewReader(os.Stdin))
	stdout := bufio.NewWriter(os.Stdout)
	out := json.NewEncoder(stdout)
	for {
		var r request
		if err := in.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintf(os.Stderr, "rfc9162check: reading requests: %v\n", err)
			os.Exit(2)
		}
		if err := out.Encode(c.answer(&r)); err != nil {
			fmt.Fprintf(os.Stderr, "rfc9162check: writing answers: %v\n", err)
			os.Exit(2)
		}
	}
	if err := stdout.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "rfc9162check: writing answers: %v\n", err)
		os.Exit(2)
	}
}
