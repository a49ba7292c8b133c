package store

import (
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// MaxMoney is the largest amount the store accepts, in minor units (10^13: ten billion dollars).
const MaxMoney int64 = 10_000_000_000_000

// currencySymbols are the prefixes FormatMoney uses; other currencies get their code after the number.
var currencySymbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩",
	"AUD": "A$", "CAD": "CA$", "NZD": "NZ$", "ILS": "₪", "NGN": "₦", "PHP": "₱", "VND": "₫",
}

// MinorUnits is the number of decimal places of an ISO 4217 currency (USD 2, JPY 0, BHD 3).
// An unknown code counts as 2.
func MinorUnits(code string) int {
	if !ValidCurrency(code) {
		return 2
	}
	scale, _ := currency.Standard.Rounding(currency.MustParseISO(code))
	return scale
}

// ParseMoney parses an amount typed by a person ("1234", "1234.5", "1,234.56") exactly into minor
// units of code. It refuses negatives, exponents, spaces, more decimals than the currency has and
// amounts above MaxMoney; the error's message is written for the person who typed it.
func ParseMoney(s, code string) (int64, error) {
	scale := MinorUnits(code)
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, moneyErr("Enter an amount.")
	}
	if strings.HasPrefix(s, "-") {
		return 0, moneyErr("Enter an amount of zero or more.")
	}
	example := "Enter an amount like 1234.56."
	if scale == 0 {
		example = "Enter a whole amount like 1234."
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if (intPart == "" && frac == "") || !validGrouping(intPart) || !allDigits(frac) {
		return 0, moneyErr(example)
	}
	if len(frac) > scale {
		if scale == 0 {
			return 0, moneyErr("Use whole amounts without decimal places.")
		}
		return 0, moneyErr("Use at most " + strconv.Itoa(scale) + " decimal places.")
	}
	digits := strings.ReplaceAll(intPart, ",", "") + frac + strings.Repeat("0", scale-len(frac))
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > 14 { // 10^13 has 14 digits; anything longer is too large and could overflow
		return 0, moneyErr("The amount is too large.")
	}
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	if v > MaxMoney {
		return 0, moneyErr("The amount is too large.")
	}
	return v, nil
}

// MoneyError explains why an amount was refused, in words for the person who typed it.
type MoneyError struct{ Msg string }

// Error is the message for the person.
func (e *MoneyError) Error() string { return e.Msg }

func moneyErr(msg string) error { return &MoneyError{Msg: msg} }

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validGrouping accepts "", plain digits, or digits grouped by commas in threes ("1,234,567").
func validGrouping(s string) bool {
	if !strings.Contains(s, ",") {
		return allDigits(s)
	}
	groups := strings.Split(s, ",")
	for i, g := range groups {
		if !allDigits(g) || g == "" || len(g) > 3 || (i > 0 && len(g) != 3) {
			return false
		}
	}
	return true
}

// FormatMoney renders minor units for display: "$1,234.56", "€1,234.56", "¥1,234", or with the
// code after the number for currencies without a well-known symbol ("1,234.56 CHF").
func FormatMoney(minor int64, code string) string {
	neg, intPart, frac := splitMinor(minor, MinorUnits(code))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	sym, ok := currencySymbols[code]
	if ok {
		b.WriteString(sym)
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	if !ok {
		b.WriteByte(' ')
		b.WriteString(code)
	}
	return b.String()
}

// FormatMoneyPlain renders minor units for a form input, without symbol or grouping ("1234.56").
// ParseMoney reads it back to the same value.
func FormatMoneyPlain(minor int64, code string) string {
	neg, intPart, frac := splitMinor(minor, MinorUnits(code))
	s := intPart
	if frac != "" {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}

// splitMinor splits an amount into sign, whole digits and exactly scale fraction digits.
func splitMinor(minor int64, scale int) (neg bool, intPart, frac string) {
	u := uint64(minor)
	if minor < 0 {
		neg = true
		u = uint64(-(minor + 1)) + 1 // safe for math.MinInt64
	}
	digits := strconv.FormatUint(u, 10)
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return neg, digits[:len(digits)-scale], digits[len(digits)-scale:]
}
