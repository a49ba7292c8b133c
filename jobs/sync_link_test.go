package jobs

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

func TestMatchWeddingBooking(t *testing.T) {
	t.Parallel()
	anaBo := store.BookingCandidate{ID: 1, Name: "Ana & Bo"}
	full := store.BookingCandidate{ID: 2, Name: "Ana Smith and Bo Jones"}
	single := store.BookingCandidate{ID: 3, Name: "Cara Lee"}
	bobCy := store.BookingCandidate{ID: 4, Name: "Bob + Cy"}
	tests := []struct {
		name  string
		title string
		cands []store.BookingCandidate
		want  int64 // 0: no link
	}{
		{"couple as written", "Wedding: Ana & Bo", []store.BookingCandidate{anaBo}, 1},
		{"any case, and for &", "WEDDING - ANA AND BO", []store.BookingCandidate{anaBo}, 1},
		{"plus for &", "Ana+Bo ceremony", []store.BookingCandidate{anaBo}, 1},
		{"full names in the title", "Ana Smith & Bo Jones wedding", []store.BookingCandidate{full}, 2},
		{"first names of a couple with surnames", "Wedding Ana & Bo", []store.BookingCandidate{full}, 2},
		{"one partner only", "Ana's dress fitting wedding", []store.BookingCandidate{anaBo}, 0},
		{"whole words: Bo is not Bob", "Wedding Bo & Cy", []store.BookingCandidate{bobCy}, 0},
		{"the lone booking of the date, other names", "Wedding: Eve & Finn", []store.BookingCandidate{anaBo}, 0},
		{"the lone booking of the date, no names", "Wedding", []store.BookingCandidate{anaBo}, 0},
		{"the right one of two", "Wedding Cara Lee", []store.BookingCandidate{anaBo, single}, 3},
		{"a single name must be whole", "Cara wedding", []store.BookingCandidate{single}, 0},
		{"two bookings fit: no link", "Wedding Ana & Bo", []store.BookingCandidate{anaBo, {ID: 9, Name: "ana & bo"}}, 0},
		{"a booking without a name", "Wedding", []store.BookingCandidate{{ID: 5, Name: " & "}}, 0},
		{"accents and case", "Boda de José y María — JOSÉ & MARÍA", []store.BookingCandidate{{ID: 6, Name: "José & María"}}, 6},
		{"no bookings that date", "Wedding Ana & Bo", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MatchWeddingBooking(tc.title, tc.cands)
			if tc.want == 0 {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, tc.want, *got)
		})
	}
}
