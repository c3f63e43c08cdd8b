package http

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders what users write in Markdown (agreements, resources). It is goldmark's safe mode (no
// html.WithUnsafe): raw HTML is dropped and javascript:, vbscript:, file:
// and data: links lose their target; safeLinks also unwraps any link whose
// scheme is not a web or mail one.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(safeLinks{}, 1000))),
)

// renderMarkdown turns Markdown into HTML. It is the one place where pages
// make template.HTML out of user text.
func renderMarkdown(src string) (template.HTML, error) {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	return template.HTML(b.String()), nil // goldmark without WithUnsafe, links checked by safeLinks
}

// safeLinks replaces every link, image and autolink whose URL has a scheme
// other than http, https or mailto by its text.
type safeLinks struct{}

func (safeLinks) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var unsafe []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !linkAllowed(n.Destination) {
				unsafe = append(unsafe, n)
			}
		case *ast.Image:
			if !linkAllowed(n.Destination) {
				unsafe = append(unsafe, n)
			}
		case *ast.AutoLink:
			if !linkAllowed(n.URL(source)) {
				unsafe = append(unsafe, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unsafe {
		parent := n.Parent()
		if a, ok := n.(*ast.AutoLink); ok {
			parent.ReplaceChild(parent, n, ast.NewString(a.Label(source)))
			continue
		}
		for c := n.FirstChild(); c != nil; c = n.FirstChild() {
			parent.InsertBefore(parent, n, c)
		}
		parent.RemoveChild(parent, n)
	}
}

// linkAllowed reports whether a link target is relative or uses http,
// https or mailto. The target is looked at as the browser will get it: with
// character references resolved (the AST holds them unresolved), and without
// the tabs, newlines, spaces and control characters that browsers ignore.
func linkAllowed(dest []byte) bool {
	u := strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, html.UnescapeString(string(dest)))
	colon := strings.IndexByte(u, ':')
	if colon < 0 || strings.ContainsAny(u[:colon], "/?#") {
		return true // no scheme: a path, a query or a fragment on this site
	}
	switch strings.ToLower(u[:colon]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}
