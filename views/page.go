// Package views holds the templ components: the layout, shared components, and one file per
// page with its fragments. Views never touch the database: handlers pass plain view models.
package views

// Page is what the layout needs on every page.
type Page struct {
	// Title is the document title (the app name is appended).
	Title string
	// CSRF is the session's token for forms and htmx requests; empty for share-link viewers.
	CSRF string
	// Nav is the active navigation item ("dashboard", "records", "settings", ...).
	Nav string
	// Flash is a one-time message shown at the top.
	Flash string
	// Viewer is the signed-in person; nil on public pages.
	Viewer *Viewer
	// LiveURL, when set, makes the body an SSE client of that stream.
	LiveURL string
}

// Viewer describes who is looking at the page.
type Viewer struct {
	UserName string
	Email    string
	OrgName  string
	Role     string
	CanAdmin bool
	// Shared is true for a read-only share-link viewer.
	Shared bool
}

// FormErrors maps a form field name to its message; "" holds a message for the whole form.
type FormErrors map[string]string

// Has reports whether field has a message.
func (e FormErrors) Has(field string) bool { _, ok := e[field]; return ok }
