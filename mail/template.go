package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	"sync"
	texttemplate "text/template"
)

// LinkData is the data of every email: each carries a link, and uses the
// fields it needs. (The sending job passes the same fields as a map decoded
// from the outbox.)
type LinkData struct {
	RecipientName string // may be empty: then greet with "Hello,"
	Link          string // absolute URL
	ExpiresIn     string // e.g. "15 minutes", "7 days"
	ProductName   string // e.g. "Fjordline Analytics on Tandem"; the templates say "Tandem" when empty
	InviterName   string // user_invite only
	Role          string // user_invite only, e.g. "finance"
	ProgramName   string // application_* and agreement emails
	Reason        string // application_rejected: why; application_more_info: the question
	Version       int    // agreement_updated: the new version's number
	Referral      string // referral_*: the lead's name, company or email
	Status        string // referral_status: the referral's new status
}

// templateFS holds the emails: for each NAME, NAME.subject.txt (one line),
// NAME.txt and NAME.html (the content of layout.html), all taking the same
// data.
//
//go:embed templates
var templateFS embed.FS

// email is one parsed email template.
type email struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template // layout.html with this email's "subject" and "content"
}

// templates parses every template once; a broken one fails TestTemplates.
var templates = sync.OnceValues(parseTemplates)

// Render renders the email template name with data.
func Render(name string, data any) (subject, text, html string, err error) {
	all, err := templates()
	if err != nil {
		return "", "", "", err
	}
	t, ok := all[name]
	if !ok {
		return "", "", "", fmt.Errorf("mail: unknown email template %q", name)
	}
	var b bytes.Buffer
	if err := t.subject.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %w", name, err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ") // one line, whatever the data holds
	b.Reset()
	if err := t.text.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s text: %w", name, err)
	}
	text = b.String()
	b.Reset()
	if err := t.html.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s HTML: %w", name, err)
	}
	return subject, text, b.String(), nil
}

// button is the data of layout.html's "button" template.
type button struct{ URL, Label string }

// htmlFuncs lets an email say {{template "button" (button .Link "Sign in")}}.
var htmlFuncs = htmltemplate.FuncMap{
	"button": func(url, label string) button { return button{url, label} },
}

// parseTemplates parses the files under templates/. Every file other than
// layout.html must belong to a complete set of three.
func parseTemplates() (map[string]*email, error) {
	layout, err := htmltemplate.New("layout.html").Funcs(htmlFuncs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	files, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	all := map[string]*email{}
	for _, f := range files {
		name, ok := strings.CutSuffix(f.Name(), ".subject.txt")
		if !ok {
			if base, _, _ := strings.Cut(f.Name(), "."); f.Name() != "layout.html" && !exists(base+".subject.txt") {
				return nil, fmt.Errorf("mail: template file %s: no %s.subject.txt beside it", f.Name(), base)
			}
			continue
		}
		if all[name], err = parseEmail(layout, name); err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", name, err)
		}
	}
	return all, nil
}

// parseEmail parses the three files of the email template name.
func parseEmail(layout *htmltemplate.Template, name string) (*email, error) {
	var src [3]string
	for i, suffix := range []string{".subject.txt", ".txt", ".html"} {
		b, err := fs.ReadFile(templateFS, "templates/"+name+suffix)
		if err != nil {
			return nil, err
		}
		src[i] = string(b)
	}
	src[0] = strings.TrimSpace(src[0]) // the file's final newline is not part of the subject
	var e email
	var err error
	if e.subject, err = texttemplate.New(name + ".subject.txt").Parse(src[0]); err != nil {
		return nil, err
	}
	if e.text, err = texttemplate.New(name + ".txt").Parse(src[1]); err != nil {
		return nil, err
	}
	if e.html, err = layout.Clone(); err != nil {
		return nil, err
	}
	if _, err = e.html.New("subject").Parse(src[0]); err != nil {
		return nil, err
	}
	if _, err = e.html.New("content").Parse(src[2]); err != nil {
		return nil, err
	}
	return &e, nil
}

// exists reports whether the file name is under templates/.
func exists(name string) bool {
	_, err := fs.Stat(templateFS, "templates/"+name)
	return err == nil
}
