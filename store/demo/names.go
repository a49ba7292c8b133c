package demo

import (
	"fmt"
	"strings"
)

var firstNames = []string{
	"Maya", "Jordan", "Olivia", "Ethan", "Sophia", "Liam", "Ava", "Noah", "Isabella", "Lucas",
	"Mia", "Mason", "Amelia", "Elijah", "Harper", "Logan", "Evelyn", "James", "Abigail", "Benjamin",
	"Emily", "Henry", "Ella", "Sebastian", "Grace", "Daniel", "Chloe", "Matthew", "Zoe", "Samuel",
	"Nora", "David", "Lily", "Carter", "Hannah", "Owen", "Aria", "Wyatt", "Layla", "Julian",
	"Riley", "Avery", "Camila", "Gabriel", "Priya", "Marcus", "Leah", "Isaac", "Naomi", "Andre",
	"Sofia", "Diego", "Aisha", "Theo", "Rosa", "Kenji", "Claire", "Malik", "Tessa", "Rafael",
}

var lastNames = []string{
	"Ellis", "Bennett", "Carter", "Hayes", "Morales", "Nguyen", "Patel", "Brooks", "Foster", "Reyes",
	"Sullivan", "Kim", "Ramirez", "Coleman", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross",
	"Powell", "Jenkins", "Perry", "Russell", "Griffin", "Diaz", "Wallace", "West", "Cole", "Hart",
	"Chen", "Okafor", "Larsen", "Romano", "Novak", "Schultz", "Fischer", "Ortega", "Delgado", "Walsh",
	"Murphy", "Quinn", "Harper", "Vaughn", "Whitaker", "Lindqvist", "Moreau", "Tanaka", "Shah", "Abbott",
}

var emailDomains = []string{"example.com", "example.net", "example.org"}

// couple returns a believable couple name ("Maya & Jordan Ellis"), an email and a phone number.
func (g *gen) couple() (name, email, phone string) {
	a := firstNames[g.r.IntN(len(firstNames))]
	b := firstNames[g.r.IntN(len(firstNames))]
	for b == a {
		b = firstNames[g.r.IntN(len(firstNames))]
	}
	last := lastNames[g.r.IntN(len(lastNames))]
	name = a + " & " + b + " " + last
	email = fmt.Sprintf("%s.%s%d@%s", strings.ToLower(a), strings.ToLower(last), 1+g.r.IntN(99),
		emailDomains[g.r.IntN(len(emailDomains))])
	// 555-0100 to 555-0199 are reserved for fiction.
	phone = fmt.Sprintf("(%d) 555-01%02d", []int{212, 347, 518, 607, 646, 718, 845, 914}[g.r.IntN(8)], g.r.IntN(100))
	return name, email, phone
}

// Sources of inquiries, weighted differently for those that book and those that do not.
var (
	sourceNames     = []string{"website", "instagram", "referral", "the_knot", "wedding_wire", "google"}
	bookedSources   = []float64{26, 16, 24, 12, 7, 15}
	unbookedSources = []float64{27, 24, 7, 20, 10, 12}
)

var reviewSources = []string{"google", "the_knot", "wedding_wire", "email"}

var reviewBodies = [6][]string{
	1: {"We waited over four months for our gallery and half of the family photos are missing."},
	2: {"The photos are fine, but communication before the wedding was slow and the album arrived late."},
	3: {"Some lovely shots, though the reception coverage felt rushed.", "Good photos overall; we expected a few more candid moments."},
	4: {"Beautiful photos and very easy to work with. The gallery took a little longer than promised.",
		"Great eye for light. Our portraits at golden hour are stunning.",
		"Professional and calm on a hectic day. We love the results."},
	5: {"Absolutely stunning photos. They captured every moment we didn't even know happened!",
		"Best decision we made for our wedding. Relaxed, fun and the gallery is breathtaking.",
		"Our families keep asking who took our photos. Worth every penny.",
		"From the engagement shoot to the last dance, simply perfect.",
		"They made us feel so comfortable in front of the camera. We cried looking at the gallery."},
}

var cardNotes = []string{"Visa ending 4242", "Mastercard ending 5454", "Amex ending 0005", "Visa ending 1881"}
var manualNotes = []string{"Check", "Bank transfer", "Zelle"}
