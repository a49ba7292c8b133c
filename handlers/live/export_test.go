package live

import "time"

// NextFrame waits up to within for a frame in s's mailbox and takes it; nil when none came
// (tests only: streams take their mailbox with take).
func NextFrame(s *Subscriber, within time.Duration) *Frame {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		if f := s.frame.Swap(nil); f != nil {
			return f
		}
		select {
		case <-s.Ready():
		case <-deadline.C:
			return nil
		}
	}
}
