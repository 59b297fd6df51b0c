package awskms_test

import (
	"encoding/base64"
	"strconv"
)

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func strconvItoa(i int) string { return strconv.Itoa(i) }
