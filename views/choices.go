package views

// TimezoneOptions is the curated timezone list of the signup and settings forms.
func TimezoneOptions() []Option {
	zones := []string{
		"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
		"America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Vancouver", "America/Halifax",
		"America/Mexico_City", "America/Sao_Paulo", "America/Buenos_Aires", "Europe/London", "Europe/Dublin",
		"Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam",
		"Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen", "Europe/Zurich", "Europe/Vienna", "Europe/Prague",
		"Europe/Warsaw", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Africa/Johannesburg",
		"Africa/Cairo", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Hong_Kong", "Asia/Tokyo",
		"Australia/Perth", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney", "Australia/Melbourne",
		"Pacific/Auckland", "UTC",
	}
	out := make([]Option, len(zones))
	for i, z := range zones {
		out[i] = Option{Value: z, Label: z}
	}
	return out
}

// CurrencyOptions is the curated currency list of the signup and settings forms.
func CurrencyOptions() []Option {
	codes := [][2]string{
		{"USD", "USD · US dollar"}, {"EUR", "EUR · Euro"}, {"GBP", "GBP · Pound sterling"},
		{"CAD", "CAD · Canadian dollar"}, {"AUD", "AUD · Australian dollar"}, {"NZD", "NZD · New Zealand dollar"},
		{"CHF", "CHF · Swiss franc"}, {"SEK", "SEK · Swedish krona"}, {"NOK", "NOK · Norwegian krone"},
		{"DKK", "DKK · Danish krone"}, {"PLN", "PLN · Polish złoty"}, {"CZK", "CZK · Czech koruna"},
		{"JPY", "JPY · Japanese yen"}, {"ZAR", "ZAR · South African rand"}, {"MXN", "MXN · Mexican peso"},
		{"BRL", "BRL · Brazilian real"}, {"INR", "INR · Indian rupee"}, {"SGD", "SGD · Singapore dollar"},
		{"HKD", "HKD · Hong Kong dollar"}, {"AED", "AED · UAE dirham"},
	}
	out := make([]Option, len(codes))
	for i, c := range codes {
		out[i] = Option{Value: c[0], Label: c[1]}
	}
	return out
}

// Weekdays are the PostgreSQL day-of-week numbers with their names, Monday first.
var Weekdays = []struct {
	Num  int
	Name string
}{{1, "Monday"}, {2, "Tuesday"}, {3, "Wednesday"}, {4, "Thursday"}, {5, "Friday"}, {6, "Saturday"}, {0, "Sunday"}}
