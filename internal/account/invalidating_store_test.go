package account

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"testing"
)

// harmlessToPrincipals are the Store methods that cannot end a credential
// or change what Introspect reports about one: reads, creations (a new
// token is not in the cache), and writes of other data. Every other method
// must be overridden by invalidatingStore. A new Store method fails this
// test until it is put in one of the two.
var harmlessToPrincipals = []string{
	"InTx", "Ping",
	"CreateUser", "CreateUsersIfAbsent", "UserByID", "UserByEmailKey", "RehashPassword", "SetLastLogin", "SetActivationSent",
	"CreateToken", "TokenByHash", "APIKeys", "APIKey", "SetTokenLabel",
	// TouchToken only moves a token's last use later: it extends, never ends.
	"TouchToken", "LoginTokens", "LoginToken",
	"CreateResetToken", "ResetTokenByHash", "UseResetToken", "VoidResetTokens", "VoidResetToken", "LockUser", "CountResetTokens",
	"CreateEmailChange", "EmailChangeByHash", "UseEmailChange", "VoidEmailChanges",
	"CreateActivation", "ActivationByHash", "UseActivation", "VoidActivations",
	"EnqueueMail", "ClaimMail", "UpdateMail", "MailByID", "CountMail", "MailStats", "Mails", "PurgeMail",
	"SaveDevMail", "DevMails", "DevMailByID",
	"CreateTwoFactorMethod", "TwoFactorMethod", "ActiveTwoFactorMethod", "AdvanceTOTPStep",
	// A wrong code is counted here; the token is ended by RevokeToken.
	"AddTokenTwoFactorFailure",
	"ReplaceRecoveryCodes", "UseRecoveryCode", "CountRecoveryCodes",
	"TwoFactorFailures", "RecordTwoFactorFailure", "ClearTwoFactorFailures",
	"SetEmailCode", "EmailCode", "DeleteEmailCode",
	"SignInDevice", "SaveSignInDevice", "PruneSignInDevices",
	"CreateSocialIdentity", "SocialIdentity", "SocialIdentities", "TouchSocialIdentity",
	"AddEvent", "AddEvents", "Events", "CountEvents", "PurgeEvents",
	"SearchUsers", "Preferences", "SavePreferences",
}

func TestInvalidatingStoreCoversTheStore(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "invalidating_store.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var overridden []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || !fn.Name.IsExported() {
			continue
		}
		if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok && id.Name == "invalidatingStore" {
			overridden = append(overridden, fn.Name.Name)
		}
	}
	store := reflect.TypeFor[Store]()
	for i := range store.NumMethod() {
		name := store.Method(i).Name
		over, harmless := slices.Contains(overridden, name), slices.Contains(harmlessToPrincipals, name)
		switch {
		case name == "InTx" && over:
		case over && harmless:
			t.Errorf("%s is both overridden by invalidatingStore and listed as harmless", name)
		case !over && !harmless:
			t.Errorf("Store.%s is neither overridden by invalidatingStore nor listed in harmlessToPrincipals: "+
				"can it end a credential or change what Introspect reports? (principalcache.go)", name)
		}
	}
	for _, name := range append(overridden, harmlessToPrincipals...) {
		if _, ok := store.MethodByName(name); !ok {
			t.Errorf("%s is not a Store method (renamed?)", name)
		}
	}
}
