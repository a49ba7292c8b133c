package jobs

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"golang.org/x/oauth2"
)

// TestRefreshErrorsAreClassified: a refused grant means connecting again (needs_reauth); a token
// endpoint that is down or throttling is retried like any provider outage.
func TestRefreshErrorsAreClassified(t *testing.T) {
	t.Parallel()
	refused := func(status int, code string) error {
		return fmt.Errorf("oauth2: %w", &oauth2.RetrieveError{Response: &http.Response{StatusCode: status}, ErrorCode: code})
	}
	for _, tc := range []struct {
		err  error
		want connector.Class
	}{
		{refused(400, "invalid_grant"), connector.ClassCredentials},
		{refused(401, "invalid_client"), connector.ClassCredentials},
		{refused(503, ""), connector.ClassProviderDown},
		{refused(429, ""), connector.ClassRateLimited},
		{errors.New("dial tcp: connection refused"), connector.ClassProviderDown},
	} {
		require.Equal(t, tc.want, connector.ClassOf(refreshError(tc.err)), "%v", tc.err)
	}
}

// TestTokenSecretsRoundTrip: a token survives sealing as credentials, and a refresh that brings
// no new refresh token keeps the stored one.
func TestTokenSecretsRoundTrip(t *testing.T) {
	t.Parallel()
	exp := time.Date(2027, 1, 2, 3, 4, 5, 6, time.UTC)
	s := TokenSecrets(&oauth2.Token{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer", Expiry: exp})
	tok, ok := tokenFromSecrets(s)
	require.True(t, ok)
	require.Equal(t, "at", tok.AccessToken)
	require.Equal(t, "rt", tok.RefreshToken)
	require.True(t, tok.Expiry.Equal(exp))
	require.NotContains(t, TokenSecrets(&oauth2.Token{AccessToken: "at2"}), SecretRefreshToken)
	_, ok = tokenFromSecrets(map[string]string{"api_token": "typed"})
	require.False(t, ok, "typed credentials are not an OAuth token")
}
