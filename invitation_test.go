package tandem_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tandem-prm/tandem"
)

func TestInvitationValidate(t *testing.T) {
	t.Parallel()
	inv := tandem.Invitation{Email: " Kari@Example.COM ", Name: " Kari ", Company: " Fjord AS "}
	if err := inv.Validate(); err != nil || inv.Email != "kari@example.com" || inv.Name != "Kari" || inv.Company != "Fjord AS" {
		t.Errorf("Validate = %v, %+v", err, inv)
	}
	for _, tt := range []struct {
		field string
		inv   tandem.Invitation
	}{
		{"email", tandem.Invitation{}},
		{"email", tandem.Invitation{Email: "kari@"}},
		{"name", tandem.Invitation{Email: "k@example.com", Name: strings.Repeat("n", 201)}},
		{"company", tandem.Invitation{Email: "k@example.com", Company: strings.Repeat("c", 201)}},
	} {
		if err := tt.inv.Validate(); tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorField(err) != tt.field {
			t.Errorf("%+v: Validate = %v; want invalid %s", tt.inv, err, tt.field)
		}
	}
}

func TestParseInvitationCSV(t *testing.T) {
	t.Parallel()
	// row is a parsed row as "line|name|email|company|outcome|reason".
	row := func(r *tandem.ImportRow) string {
		return fmt.Sprintf("%d|%s|%s|%s|%s|%s", r.Line, r.Name, r.Email, r.Company, r.Outcome, r.Reason)
	}
	for _, tt := range []struct {
		name string
		file string
		want []string
	}{
		{"commas", "name,email,company\nKari,kari@example.com,Fjord AS\n", []string{"2|Kari|kari@example.com|Fjord AS||"}},
		{"semicolons, CRLF, a byte order mark, columns in another order and an extra one",
			"\ufeffEmail;Phone;Company;Name\r\nKARI@Example.com;123;Fjord, AS;Kari\r\n", []string{"2|Kari|kari@example.com|Fjord, AS||"}},
		{"email only", "email\nola@example.com\n\n,\nper@example.com", []string{"2||ola@example.com|||", "5||per@example.com|||"}},
		{"quoted fields", "name,email,company\n\"Nordmann, Kari\",kari@example.com,\"The \"\"Fjord\"\" Co\"\n",
			[]string{`2|Nordmann, Kari|kari@example.com|The "Fjord" Co||`}},
		{"bad, missing and duplicate emails", "name,email\nA,not-an-email\nB,\nC,c@example.com\nD,C@EXAMPLE.COM\n", []string{
			"2|A|not-an-email||skipped|Invalid email address.",
			"3|B|||skipped|No email address.",
			"4|C|c@example.com|||",
			"5|D|c@example.com||skipped|Duplicate in the file: the same email is on line 4.",
		}},
		{"short rows", "name,email,company\nKari\n", []string{"2|Kari|||skipped|No email address."}},
	} {
		rows, err := tandem.ParseInvitationCSV([]byte(tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []string
		for _, r := range rows {
			got = append(got, row(r))
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s: rows\n%s\nwant\n%s", tt.name, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}

	var big strings.Builder
	big.WriteString("name,email,company\n")
	for i := range tandem.MaxImportRows {
		fmt.Fprintf(&big, "P%d,p%d@example.com,\n", i, i)
	}
	if rows, err := tandem.ParseInvitationCSV([]byte(big.String())); err != nil || len(rows) != tandem.MaxImportRows {
		t.Errorf("%d rows: %d, %v", tandem.MaxImportRows, len(rows), err)
	}
	big.WriteString("Last,last@example.com,\n")
	for _, tt := range []struct {
		name, file, want string
	}{
		{"too many rows", big.String(), "more than 5,000 people"},
		{"no header", "Kari,kari@example.com,Fjord AS\n", "The first row must be a header"},
		{"no email column", "name,company\nKari,Fjord\n", "The first row must be a header"},
		{"empty", " \n", "The file is empty."},
		{"header only", "name,email,company\n", "nobody to invite"},
		{"not UTF-8", "name,email\nK\xe5re,kare@example.com\n", "not UTF-8"},
	} {
		_, err := tandem.ParseInvitationCSV([]byte(tt.file))
		if tandem.ErrorField(err) != "file" || !strings.Contains(tandem.ErrorMessage(err), tt.want) {
			t.Errorf("%s: %v; want an error on file saying %q", tt.name, err, tt.want)
		}
	}
}
