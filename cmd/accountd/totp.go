package main

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/twofactor"
)

// totpCode is `accountd totp SECRET`: what an authenticator app shows for
// a secret_key, so that the README's walk-through (and an operator trying
// the API with curl) can enable TOTP without a phone. It opens no database.
func totpCode(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("totp", stdout, stderr)
	pair := fs.Bool("pair", false, `print the previous and the current code as activate's body, {"code_1": …, "code_2": …}`)
	if err := fs.Parse(flagsFirst(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errUsage("totp", "want one secret_key")
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(fs.Arg(0), "=")))
	if err != nil || len(secret) == 0 {
		return errUsage("totp", "the secret is not base32 (the secret_key of a device_totp method)")
	}
	// One instant for both codes: two clock reads could straddle a step.
	step := twofactor.StepAt(time.Now())
	if !*pair {
		fmt.Fprintln(stdout, twofactor.CodeAt(secret, step))
		return nil
	}
	return json.NewEncoder(stdout).Encode(map[string]string{
		"code_1": twofactor.CodeAt(secret, step-1), "code_2": twofactor.CodeAt(secret, step)})
}
