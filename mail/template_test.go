package mail

import (
	"slices"
	"strings"
	"testing"
)

// TestTemplates fails when any template under templates/ is broken, and
// renders each one with empty data to catch errors that only execution finds.
func TestTemplates(t *testing.T) {
	t.Parallel()
	all, err := templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"user_invite", "magic_link", "password_reset"} {
		if all[name] == nil {
			t.Errorf("template %s is missing", name)
		}
	}
	for name := range all {
		if _, _, _, err := Render(name, LinkData{}); err != nil {
			t.Errorf("Render(%s, LinkData{}): %v", name, err)
		}
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	const link = "https://fjordline.example/invite?token=abc&next=%2Fhome"
	full := LinkData{
		RecipientName: "Ingrid <script>alert(1)</script>",
		Link:          link,
		ExpiresIn:     "7 days",
		ProductName:   "Fjordline Analytics on Tandem",
		InviterName:   "Marcus Webb",
		Role:          "finance",
	}
	bare := LinkData{Link: link, ExpiresIn: "15 minutes"}
	tests := []struct {
		name        string
		data        LinkData
		wantSubject string
		wantText    []string // in the text part
		wantHTML    []string // in the HTML part
	}{
		{
			name: "user_invite", data: full,
			wantSubject: "Marcus Webb invited you to join Fjordline Analytics on Tandem as finance",
			wantText:    []string{"Hello Ingrid <script>alert(1)</script>,", "Marcus Webb invited you to join Fjordline Analytics on Tandem as finance.", "expires in 7 days"},
			wantHTML:    []string{"Hello Ingrid &lt;script&gt;alert(1)&lt;/script&gt;,", "Accept the invitation", "expires in 7 days"},
		},
		{
			name: "magic_link", data: full,
			wantSubject: "Your sign-in link for Fjordline Analytics on Tandem",
			wantText:    []string{"Hello Ingrid <script>", "expires in 7 days", "If you did not ask to sign in, you can ignore this email."},
			wantHTML:    []string{"Hello Ingrid &lt;script&gt;", "Sign in", "If you did not ask to sign in, you can ignore this email."},
		},
		{
			name: "magic_link", data: bare,
			wantSubject: "Your sign-in link for Tandem",
			wantText:    []string{"Hello,\n", "sign in to Tandem", "expires in 15 minutes"},
			wantHTML:    []string{"Hello,</p>", "<strong>Tandem</strong>"},
		},
		{
			name: "password_reset", data: full,
			wantSubject: "Reset your password for Fjordline Analytics on Tandem",
			wantText:    []string{"Hello Ingrid <script>", "expires in 7 days", "If you did not ask for this, you can ignore this email"},
			wantHTML:    []string{"Hello Ingrid &lt;script&gt;", "Reset your password", "If you did not ask for this, you can ignore this email"},
		},
		{
			name: "password_reset", data: bare,
			wantSubject: "Reset your password for Tandem",
			wantText:    []string{"Hello,\n", "your Tandem account", "expires in 15 minutes"},
			wantHTML:    []string{"Hello,</p>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.data.RecipientName, func(t *testing.T) {
			t.Parallel()
			subject, text, html, err := Render(tt.name, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if subject != tt.wantSubject {
				t.Errorf("subject %q, want %q", subject, tt.wantSubject)
			}
			if !slices.Contains(strings.Split(text, "\n"), link) {
				t.Errorf("the link is not on a line of its own in the text:\n%s", text)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			wantHTML := append(tt.wantHTML,
				`href="https://fjordline.example/invite?token=abc&amp;next=%2Fhome"`,
				"Sent by Tandem", "<title>"+subject+"</title>")
			for _, want := range wantHTML {
				if !strings.Contains(html, want) {
					t.Errorf("HTML lacks %q:\n%s", want, html)
				}
			}
			if strings.Contains(html, "<script>") {
				t.Errorf("HTML has an unescaped <script>:\n%s", html)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    any
		wantErr string
	}{
		{"no_such_email", LinkData{}, `unknown email template "no_such_email"`},
		{"", LinkData{}, "unknown email template"},
		{"layout", LinkData{}, "unknown email template"},
		{"magic_link", struct{}{}, "render magic_link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, _, err := Render(tt.name, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}
