package secret

import "encoding/base64"

func encodeKey(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
