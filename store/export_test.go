package store

// For the tests of package store_test: a booking b's net paid, and the join it needs.
const (
	PaidNet         = paidNet
	JoinPaidPending = joinPaidPending
)
