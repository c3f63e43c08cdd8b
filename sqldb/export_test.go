package sqldb

// ClickWindowsQuery exposes the read of click windows to the tests of sqldb_test.
var ClickWindowsQuery = clickWindowsQuery
