package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Parse decodes a raw message, such as an .eml file, into a Received with
// Data, Subject, Text and HTML set; the envelope fields stay empty.
func Parse(data []byte) (Received, error) {
	r := Received{Data: data}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return r, fmt.Errorf("read message: %w", err)
	}
	if r.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		return r, fmt.Errorf("subject: %w", err)
	}
	return r, parsePart(&r, m.Header, m.Body)
}

// header is what a mail.Header and a textproto.MIMEHeader have in common.
type header interface{ Get(key string) string }

// parsePart keeps the first text/plain and text/html parts it finds in a
// part, descending into multipart ones.
func parsePart(r *Received, h header, body io.Reader) error {
	contentType := h.Get("Content-Type")
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: decodeBody handles every transfer encoding.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			if err := parsePart(r, p.Header, p); err != nil {
				return err
			}
		}
	}
	var dst *string
	switch {
	case mediaType == "text/plain" && r.Text == "":
		dst = &r.Text
	case mediaType == "text/html" && r.HTML == "":
		dst = &r.HTML
	default:
		return nil
	}
	b, err := io.ReadAll(decodeBody(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	*dst = strings.ReplaceAll(string(b), "\r\n", "\n")
	return nil
}

// decodeBody undoes a Content-Transfer-Encoding.
func decodeBody(encoding string, body io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, body)
	default:
		return body
	}
}
