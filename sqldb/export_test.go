package sqldb

// ClickNearQuery exposes the uniqueness query to the tests of sqldb_test.
var ClickNearQuery = clickNearQuery
