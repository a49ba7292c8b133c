package ical

import (
	"fmt"
	"strings"
	"time"
)

// zoneCache resolves TZID values to locations, loading each name once per feed.
type zoneCache map[string]*time.Location

// alias makes a custom TZID (a VTIMEZONE named by its writer) resolve like an IANA name, as
// its X-LIC-LOCATION says.
func (zc zoneCache) alias(tzid, iana string) {
	if loc, err := loadZone(iana); err == nil {
		zc[strings.Trim(strings.TrimSpace(tzid), `"`)] = loc
	}
}

// resolve finds the location a TZID names: an IANA name ("Europe/Paris"), a Windows name
// ("W. Europe Standard Time", as Outlook writes them), or an IANA name behind a vendor prefix
// ("/mozilla.org/20070129_1/Europe/Paris").
func (zc zoneCache) resolve(tzid string) (*time.Location, error) {
	name := strings.Trim(strings.TrimSpace(tzid), `"`)
	if loc, ok := zc[name]; ok {
		return loc, nil
	}
	loc, err := loadZone(name)
	if err != nil {
		return nil, err
	}
	zc[name] = loc
	return loc, nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	if iana, ok := windowsZones[name]; ok {
		name = iana
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, nil
	}
	// Vendor prefixes: try the last two, then the last three path segments.
	parts := strings.Split(name, "/")
	for n := 2; n <= 3 && n < len(parts); n++ {
		if loc, err := time.LoadLocation(strings.Join(parts[len(parts)-n:], "/")); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("unknown time zone %q", name)
}
