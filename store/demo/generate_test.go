package demo

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGenerateAcrossDates checks, in memory, the properties that depend on where now falls
// (season, weekday, month boundaries) for a date every few days over six years.
func TestGenerateAcrossDates(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation(Timezone)
	require.NoError(t, err)
	worst, minGrowth, maxGrowth := math.Inf(1), math.Inf(1), math.Inf(-1)
	runs := 0
	for now := time.Date(2025, 1, 1, 15, 0, 0, 0, time.UTC); now.Before(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)); now = now.Add(5*24*time.Hour + 7*time.Hour) {
		d := generate(now, loc)
		today := dateOf(now, loc)
		runs++

		// Complete calendar years: 150-250 inquiries, 30-40% booked.
		inq, booked := map[int]int{}, map[int]int{}
		for _, q := range d.inquiries {
			require.False(t, q.received.After(now))
			require.False(t, q.response != nil && q.response.After(now))
			y := q.received.In(loc).Year()
			inq[y]++
			if q.status == "booked" {
				booked[y]++
			}
		}
		for y := today.Year() - 5; y < today.Year(); y++ {
			if time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Before(today.AddDate(-5, 0, 0)) {
				continue
			}
			require.True(t, inq[y] >= 150 && inq[y] <= 250, "now %s: %d inquiries in %d", now, inq[y], y)
			require.InDelta(t, 0.35, float64(booked[y])/float64(inq[y]), 0.05, "now %s: conversion in %d", now, y)
		}

		// Exactly one wedding today and one on each of the next two wedding days.
		weddings := map[time.Time]int{}
		for _, b := range d.bookings {
			require.False(t, b.booked.After(now))
			if b.status != "cancelled" {
				weddings[b.wedding]++
			}
		}
		require.Equal(t, 1, weddings[today], "now %s", now)
		for _, w := range weekendAfter(today) {
			require.Equal(t, 1, weddings[w], "now %s: wedding on %s", now, w)
		}

		// The forecast the dashboard uses (seasonal-naive scaled by trailing growth) beats plain
		// seasonal-naive over the last 12 complete months, and revenue grows about 10% a year.
		rev := map[time.Time]float64{}
		for _, p := range d.payments {
			require.False(t, p.paid.After(now))
			if p.currency == "USD" && p.status != "pending" && p.status != "failed" {
				rev[monthOf(dateOf(p.paid, loc))] += float64(p.amount - p.refunded)
			}
		}
		month := func(k int) float64 { return rev[monthOf(today).AddDate(0, -k, 0)] }
		sum := func(from, to int) (s float64) {
			for k := from; k <= to; k++ {
				s += month(k)
			}
			return s
		}
		var naive, scaled float64
		for k := 1; k <= 12; k++ {
			actual, last := month(k), month(k+12)
			naive += math.Abs(actual-last) / actual / 12 * 100
			scaled += math.Abs(actual-last*sum(k+1, k+12)/sum(k+13, k+24)) / actual / 12 * 100
		}
		require.Less(t, scaled, naive, "now %s", now)
		worst = min(worst, naive-scaled)
		growth := sum(1, 12)/sum(13, 24)*100 - 100
		minGrowth, maxGrowth = min(minGrowth, growth), max(maxGrowth, growth)
	}
	t.Logf("%d dates: forecast beats seasonal-naive by at least %.1f points of MAPE; growth %.1f%%..%.1f%% a year",
		runs, worst, minGrowth, maxGrowth)
	require.Greater(t, minGrowth, 5.0)
	require.Less(t, maxGrowth, 15.0)
}
