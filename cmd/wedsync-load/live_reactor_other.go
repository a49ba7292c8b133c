//go:build !linux

package main

// reactor is not available here: reading streams keep a goroutine each.
type reactor struct{}

func newReactors(int) []*reactor { return nil }

func (r *reactor) add(*sseClient, *frameParser) error { return nil }

func (r *reactor) stop() {}
