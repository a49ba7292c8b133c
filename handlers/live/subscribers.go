package live

// subscriberSet is an organization's streams in the order they subscribed. A broadcast walks
// them in that order: the connections were accepted, and their kernel and Go objects allocated,
// in about the same order, so a fan-out to thousands of streams reads memory in sequence rather
// than at random (as a map's order would). Removal swaps the last stream into the gap.
type subscriberSet struct {
	list []*Subscriber
	at   map[*Subscriber]int // index in list
}

func newSubscriberSet() subscriberSet { return subscriberSet{at: map[*Subscriber]int{}} }

func (s *subscriberSet) add(sub *Subscriber) {
	if _, ok := s.at[sub]; ok {
		return
	}
	s.at[sub] = len(s.list)
	s.list = append(s.list, sub)
}

// remove reports whether sub was in the set.
func (s *subscriberSet) remove(sub *Subscriber) bool {
	i, ok := s.at[sub]
	if !ok {
		return false
	}
	last := len(s.list) - 1
	if i != last {
		s.list[i] = s.list[last]
		s.at[s.list[i]] = i
	}
	s.list[last] = nil
	s.list = s.list[:last]
	delete(s.at, sub)
	return true
}

func (s *subscriberSet) len() int { return len(s.list) }
