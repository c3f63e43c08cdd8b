package main

import (
	"strings"
	"testing"
	"time"
)

// serve --pprof serves Go's profiler on its own address, and only there:
// the site itself has no /debug/pprof/.
func TestServePprof(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--pprof", "127.0.0.1:0")
	var url string
	timeout := time.After(30 * time.Second)
	for url == "" {
		select {
		case line := <-p.logs:
			if line["msg"] == "profiler listening" {
				url, _ = line["url"].(string)
			}
		case <-timeout:
			t.Fatal("no log line of the profiler's address")
		}
	}
	if code, body := httpGet(t, url+"cmdline"); code != 200 || !strings.Contains(body, "--pprof") {
		t.Errorf("%scmdline = %d %q", url, code, body)
	}
	if code, _ := httpGet(t, p.url+"/debug/pprof/cmdline"); code != 404 {
		t.Errorf("the site serves the profiler: %d", code)
	}
}
