package store_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

func TestMoneyMinorUnits(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "usd": 2, "???": 2} {
		require.Equal(t, want, store.MinorUnits(code), code)
	}
}

func TestMoneyParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, cur string
		want    int64
		err     string // a fragment of the message, "" for success
	}{
		{"1234", "USD", 123400, ""},
		{"1234.5", "USD", 123450, ""},
		{"1234.56", "USD", 123456, ""},
		{"1,234.56", "USD", 123456, ""},
		{"1,234,567", "USD", 123456700, ""},
		{"  42.00 ", "USD", 4200, ""},
		{"0", "USD", 0, ""},
		{"0.1", "USD", 10, ""},
		{"0.2", "USD", 20, ""},
		{"0.3", "USD", 30, ""},
		{".5", "USD", 50, ""},
		{"007.07", "USD", 707, ""},
		{"100000000000", "USD", 10_000_000_000_000, ""},
		{"1234", "JPY", 1234, ""},
		{"1,234", "JPY", 1234, ""},
		{"1.5", "JPY", 0, "whole"},
		{"1.234", "BHD", 1234, ""},
		{"1.2", "BHD", 1200, ""},
		{"1.2345", "BHD", 0, "at most 3 decimal places"},
		{"12.345", "USD", 0, "Use at most 2 decimal places."},
		{"12.340", "USD", 0, "at most 2"},
		{"-5", "USD", 0, "zero or more"},
		{"", "USD", 0, "Enter an amount."},
		{"   ", "USD", 0, "Enter an amount."},
		{"abc", "USD", 0, "like 1234.56"},
		{"12a", "USD", 0, "like 1234.56"},
		{"1e3", "USD", 0, "like"},
		{"1E3", "USD", 0, "like"},
		{"1 234", "USD", 0, "like"},
		{"1,23", "USD", 0, "like"},
		{"1,2345", "USD", 0, "like"},
		{",123", "USD", 0, "like"},
		{"1.2.3", "USD", 0, "like"},
		{".", "USD", 0, "like"},
		{"+5", "USD", 0, "like"},
		{"$5", "USD", 0, "like"},
		{"NaN", "USD", 0, "like"},
		{"Inf", "USD", 0, "like"},
		{"0x10", "USD", 0, "like"},
		{"１２", "USD", 0, "like"}, // full-width digits
		{"100000000000.01", "USD", 0, "too large"},
		{"10000000000001", "JPY", 0, "too large"},
		{"99999999999999999999999999", "USD", 0, "too large"},
		{"10000000000000", "JPY", 10_000_000_000_000, ""},
		{"000000000000000000000001", "USD", 100, ""},
	}
	for _, tt := range tests {
		got, err := store.ParseMoney(tt.in, tt.cur)
		if tt.err == "" {
			require.NoError(t, err, "%q %s", tt.in, tt.cur)
			require.Equal(t, tt.want, got, "%q %s", tt.in, tt.cur)
			continue
		}
		require.Error(t, err, "%q %s", tt.in, tt.cur)
		require.Contains(t, err.Error(), tt.err, "%q %s", tt.in, tt.cur)
		var me *store.MoneyError
		require.ErrorAs(t, err, &me)
	}
}

func TestMoneyExactSums(t *testing.T) {
	t.Parallel()
	a, err := store.ParseMoney("0.1", "USD")
	require.NoError(t, err)
	b, err := store.ParseMoney("0.2", "USD")
	require.NoError(t, err)
	c, err := store.ParseMoney("0.3", "USD")
	require.NoError(t, err)
	require.Equal(t, c, a+b)
	require.Equal(t, "0.30", store.FormatMoneyPlain(a+b, "USD"))
}

func TestMoneyFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor      int64
		cur        string
		want       string
		wantPlain  string
		roundTrips bool
	}{
		{123456, "USD", "$1,234.56", "1234.56", true},
		{123456, "EUR", "€1,234.56", "1234.56", true},
		{123456, "GBP", "£1,234.56", "1234.56", true},
		{1234, "JPY", "¥1,234", "1234", true},
		{123456, "CHF", "1,234.56 CHF", "1234.56", true},
		{1234567, "BHD", "1,234.567 BHD", "1234.567", true},
		{5, "USD", "$0.05", "0.05", true},
		{0, "USD", "$0.00", "0.00", true},
		{0, "JPY", "¥0", "0", true},
		{100, "USD", "$1.00", "1.00", true},
		{123456789012, "USD", "$1,234,567,890.12", "1234567890.12", true},
		{-123456, "USD", "-$1,234.56", "-1234.56", false},
		{math.MinInt64, "JPY", "-¥9,223,372,036,854,775,808", "-9223372036854775808", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, store.FormatMoney(tt.minor, tt.cur))
		require.Equal(t, tt.wantPlain, store.FormatMoneyPlain(tt.minor, tt.cur))
		if tt.roundTrips {
			back, err := store.ParseMoney(tt.wantPlain, tt.cur)
			require.NoError(t, err)
			require.Equal(t, tt.minor, back)
		}
	}
}
