package icaltest

import "strings"

// Calendar writes a VCALENDAR holding the given content lines and components, as feed servers
// do: CRLF line ends, lines longer than 75 octets folded. Each argument may hold several lines
// separated by "\n".
func Calendar(parts ...string) string {
	lines := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//WedSync//icaltest//EN", "CALSCALE:GREGORIAN"}
	for _, p := range parts {
		for _, l := range strings.Split(strings.TrimSpace(p), "\n") {
			if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
				lines = append(lines, strings.TrimLeft(l, "\t"))
			}
		}
	}
	lines = append(lines, "END:VCALENDAR")
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(Fold(l))
		b.WriteString("\r\n")
	}
	return b.String()
}

// Fold splits a content line into lines of at most 75 octets, each continuation starting with
// a space (RFC 5545 3.1), never inside a UTF-8 character.
func Fold(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		size := len(string(r))
		if n+size > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	return b.String()
}
