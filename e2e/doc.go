// Package e2e drives the real tandem binary in a real browser.
//
// Its one Go test builds cmd/tandem, starts `tandem serve --demo` on a free
// port with a fresh data directory, and runs the browser tests in this folder
// (*.test.mjs, Node's test runner with playwright-core and Debian's
// chromium) against it. Set up once with:
//
//	apt-get install -y chromium
//	npm ci --prefix e2e
//
// then run `go test ./e2e/`. Screenshots of every page land in
// e2e/screenshots/. TANDEM_E2E_DATABASE runs the server on another database
// (e.g. a PostgreSQL URL) instead of a fresh SQLite file.
package e2e
