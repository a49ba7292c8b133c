package calmap

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	defaults := FromConfig(nil)
	require.Equal(t, KindWedding, defaults.Classify("Smith & Jones WEDDING"))
	require.Equal(t, KindConsultation, defaults.Classify("Consultation: Lee"))
	require.Equal(t, KindOther, defaults.Classify("Dentist"))

	custom := FromConfig(map[string]string{WeddingKey: "/^W: /", ConsultationKey: "coffee, call"})
	require.Equal(t, KindWedding, custom.Classify("w: Ana + Bo"), "patterns are case-insensitive")
	require.Equal(t, KindOther, custom.Classify("Wedding fair"), "a custom rule replaces the default")
	require.Equal(t, KindConsultation, custom.Classify("Coffee with Sam"))

	require.Equal(t, []string{"a@x", "b@x"}, FromConfig(map[string]string{CalendarsKey: " a@x, ,b@x"}).Calendars)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	msgs := Validate(map[string]string{WeddingKey: "/([a/", ConsultationKey: "fine"})
	require.Contains(t, msgs[WeddingKey], "regular expression")
	require.NotContains(t, msgs, ConsultationKey)
}
