package live

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSubscriberSetKeepsSubscriptionOrder: a broadcast visits streams in the order they came;
// a removal moves only the last one into the gap, and adding twice or removing a stranger
// changes nothing.
func TestSubscriberSetKeepsSubscriptionOrder(t *testing.T) {
	set := newSubscriberSet()
	subs := make([]*Subscriber, 5)
	for i := range subs {
		subs[i] = newSubscriber(1, Variant{}, 0)
		set.add(subs[i])
	}
	set.add(subs[2])
	require.Equal(t, subs, set.list)
	require.True(t, set.remove(subs[1]))
	require.False(t, set.remove(subs[1]))
	require.False(t, set.remove(newSubscriber(1, Variant{}, 0)))
	require.Equal(t, []*Subscriber{subs[0], subs[4], subs[2], subs[3]}, set.list)
	require.True(t, set.remove(subs[3]))
	require.Equal(t, []*Subscriber{subs[0], subs[4], subs[2]}, set.list)
	for _, s := range []*Subscriber{subs[4], subs[0], subs[2]} {
		require.True(t, set.remove(s))
	}
	require.Zero(t, set.len())
	require.Empty(t, set.at)
}
