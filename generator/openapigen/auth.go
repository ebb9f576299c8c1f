package openapigen

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specstar-go/specstar/generator/model"
)

// The parts of the document of a spec with auth: the bearer security
// scheme, and the routes of runtime/auth under /api/auth (login, refresh,
// logout, me, password, personal access tokens). The security and the
// 401 of the resources' routes come from their operations' rules
// (operationSecurity).

// Names of the auth components.
const (
	securityBearer        = "bearerAuth"
	headerWWWAuthenticate = "WWW-Authenticate"
	headerRetryAfter      = "Retry-After"
	paramTokenID          = "TokenIDParam"

	schemaAuthLoginRequest    = "AuthLoginRequest"
	schemaAuthRefreshRequest  = "AuthRefreshRequest"
	schemaAuthPasswordRequest = "AuthPasswordRequest"
	schemaAuthLogin           = "AuthLogin"
	schemaAuthUser            = "AuthUser"
	schemaAuthNewToken        = "AuthNewToken"
	schemaAuthCreatedToken    = "AuthCreatedToken"
	schemaAuthTokenInfo       = "AuthTokenInfo"
	schemaAuthTokenList       = "AuthTokenList"
)

// authTag groups the routes of /api/auth.
const authTag = "Auth"

const authTagDescription = "Sign in and out, refresh access tokens, change one's password and manage " +
	"personal access tokens. Users themselves are the User resource, under /api/users (admins only)."

// authDescription ends the description of a document with auth.
const authDescription = "Requests authenticate with a bearer token: an access token from POST /api/auth/login " +
	"(short-lived, renewed with POST /api/auth/refresh) or a personal access token. " +
	"The permission rules of each operation are in its description: reads outside them answer 404, " +
	"writes 403, and requests without valid credentials to an operation that needs them 401."

// securitySchemes declares the bearer token of a spec with auth.
func securitySchemes() openapi3.SecuritySchemes {
	return openapi3.SecuritySchemes{
		securityBearer: &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
			Type:         "http",
			Scheme:       "bearer",
			BearerFormat: "JWT",
			Description: "An access token (a JWT from POST /api/auth/login or /api/auth/refresh) or a personal access " +
				"token (POST /api/auth/tokens), as Authorization: Bearer <token>.",
		}},
	}
}

// authSchemas declares the bodies of the auth routes.
func (b *builder) authSchemas() error {
	const who = "the auth routes"
	roles := make([]any, len(b.m.Auth.Roles))
	for i, r := range b.m.Auth.Roles {
		roles[i] = r
	}
	roleList := func(description string) *openapi3.SchemaRef {
		return prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: prop(&openapi3.Schema{Type: types(openapi3.TypeString), Enum: roles}), Description: description})
	}
	secret := func(description string) *openapi3.SchemaRef {
		return prop(&openapi3.Schema{Type: types(openapi3.TypeString), MinLength: 1, Description: description})
	}
	password := func(description string) *openapi3.SchemaRef {
		return prop(&openapi3.Schema{Type: types(openapi3.TypeString), MinLength: 8, MaxLength: ptr(uint64(1024)), Description: description})
	}
	expires := func(description string) *openapi3.SchemaRef {
		return prop(&openapi3.Schema{Type: types(openapi3.TypeString, openapi3.TypeNull), Format: "date-time", Description: description})
	}
	user := b.m.Auth.User
	schemas := []struct {
		name string
		s    *openapi3.Schema
	}{
		{schemaAuthLoginRequest, object("The credentials of a login.", []string{"email", "password"}, openapi3.Schemas{
			"email":    str("The user's email address (compared without regard to the case of ASCII letters).", "email"),
			"password": secret("The user's password."),
		})},
		{schemaAuthRefreshRequest, object("A refresh token, as the last login or refresh returned it.", []string{"refresh_token"}, openapi3.Schemas{
			"refresh_token": secret("The refresh token."),
		})},
		{schemaAuthPasswordRequest, object("A change of the caller's own password.", []string{"old_password", "new_password"}, openapi3.Schemas{
			"old_password": secret("The current password."),
			"new_password": password("The new password, 8 to 1024 characters."),
		})},
		{schemaAuthUser, readOnly(object(fmt.Sprintf("The caller's %s record: who the token acts for.", user.Name), []string{"id", "email", "name", "roles", "disabled"}, openapi3.Schemas{
			"id":       str("The resource_id of the user.", "uuid"),
			"email":    str("The user's email address.", "email"),
			"name":     str("The user's name; empty when unset.", ""),
			"roles":    roleList("The user's roles; admin passes every rule."),
			"disabled": prop(&openapi3.Schema{Type: types(openapi3.TypeBoolean), Description: "Always false here: a disabled user cannot sign in."}),
		}))},
		{schemaAuthLogin, readOnly(object("A login: a short-lived access token and the refresh token that renews it.",
			[]string{"access_token", "token_type", "expires_in", "refresh_token", "user"}, openapi3.Schemas{
				"access_token":  str("The access token (a JWT): send it as Authorization: Bearer <access_token>.", ""),
				"token_type":    prop(&openapi3.Schema{Type: types(openapi3.TypeString), Enum: []any{"Bearer"}}),
				"expires_in":    prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(1.0), Description: fmt.Sprintf("The seconds the access token is valid for (%d).", int64(b.m.Auth.AccessTTL.Seconds()))}),
				"refresh_token": str("The refresh token, for POST /api/auth/refresh; each use returns a new one.", ""),
				"user":          schemaRef(schemaAuthUser),
			}))},
		{schemaAuthNewToken, object("A personal access token to create.", []string{"name"}, openapi3.Schemas{
			"name":       prop(&openapi3.Schema{Type: types(openapi3.TypeString), MinLength: 1, MaxLength: ptr(uint64(200)), Description: "What the token is for."}),
			"expires_at": expires("When the token stops working; with neither expires_at nor expires_in, never."),
			"expires_in": prop(&openapi3.Schema{Type: types(openapi3.TypeInteger, openapi3.TypeNull), Format: "int64", Min: ptr(1.0), Description: "The seconds the token works for, instead of expires_at."}),
			"roles":      roleList("The roles the token acts with, a subset of the caller's; absent or empty for all of them, as they are when it is used."),
		})},
		{schemaAuthTokenInfo, readOnly(object("A personal access token, without its secret.", []string{"id", "name", "roles", "expires_at", "created_at"}, openapi3.Schemas{
			"id":         str("The id of the token, to revoke it.", "uuid"),
			"name":       str("What the token is for.", ""),
			"roles":      roleList("The roles the token acts with."),
			"expires_at": expires("When the token stops working; null for never."),
			"created_at": str("When the token was created.", "date-time"),
		}))},
		{schemaAuthCreatedToken, readOnly(object("A new personal access token: token is shown this once.", []string{"id", "name", "token", "roles", "expires_at", "created_at"}, openapi3.Schemas{
			"id":         str("The id of the token, to revoke it.", "uuid"),
			"name":       str("What the token is for.", ""),
			"token":      str("The secret: send it as Authorization: Bearer <token>. It cannot be read again.", ""),
			"roles":      roleList("The roles the token acts with."),
			"expires_at": expires("When the token stops working; null for never."),
			"created_at": str("When the token was created.", "date-time"),
		}))},
		{schemaAuthTokenList, object("The caller's personal access tokens.", []string{"items"}, openapi3.Schemas{
			"items": prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: schemaRef(schemaAuthTokenInfo)}),
		})},
	}
	for _, s := range schemas {
		if err := b.addSchema(s.name, who, s.s); err != nil {
			return err
		}
	}
	return nil
}

// authRoute is one route of /api/auth.
type authRoute struct {
	method, path, id, summary, description string
	body                                   string // the schema of the JSON body, "" for none
	status                                 int
	success                                *openapi3.Response
	errors                                 []int
	public                                 bool // no token needed (the credentials are in the body)
}

// authRoutes are the routes of runtime/auth, in the order of the document.
func authRoutes(m *model.Model) []authRoute {
	login := func(description string) *openapi3.Response {
		return jsonResponse(description, schemaAuthLogin)
	}
	// ttl writes 15m and 720h rather than 15m0s and 720h0m0s.
	ttl := func(d time.Duration) string {
		s := d.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	}
	return []authRoute{
		{method: http.MethodPost, path: "/api/auth/login", id: "login", summary: "Sign in with an email address and a password",
			description: fmt.Sprintf("Returns an access token valid for %s and a refresh token valid for %s. An unknown email and a wrong "+
				"password get the same 401, in the same time. Attempts are rate limited per client address and per account (429).",
				ttl(m.Auth.AccessTTL), ttl(m.Auth.RefreshTTL)),
			body: schemaAuthLoginRequest, status: http.StatusOK, success: login("Signed in."),
			errors: []int{400, 401, 413, 415, 422, 429}, public: true},
		{method: http.MethodPost, path: "/api/auth/refresh", id: "refreshLogin", summary: "Renew the access token of a login",
			description: "Rotates the refresh token: the one sent stops working and a new one is returned. Sending a refresh token " +
				"that was already rotated revokes the whole login (it was stolen or replayed).",
			body: schemaAuthRefreshRequest, status: http.StatusOK, success: login("The renewed login."),
			errors: []int{400, 401, 413, 415, 422}, public: true},
		{method: http.MethodPost, path: "/api/auth/logout", id: "logout", summary: "End a login",
			description: "Revokes the login of the refresh token (an unknown one is not an error); its access tokens expire on their own.",
			body:        schemaAuthRefreshRequest, status: http.StatusNoContent, success: &openapi3.Response{Description: ptr("Signed out.")},
			errors: []int{400, 413, 415, 422}, public: true},
		{method: http.MethodGet, path: "/api/auth/me", id: "getMe", summary: "The caller's user",
			status: http.StatusOK, success: jsonResponse("The user the credentials act for.", schemaAuthUser),
			errors: []int{400}},
		{method: http.MethodPost, path: "/api/auth/password", id: "changePassword", summary: "Change the caller's own password",
			description: "Needs the current password (403 when it is wrong). Every other login and token of the user stops working; the answer is a new login.",
			body:        schemaAuthPasswordRequest, status: http.StatusOK, success: login("The password is changed: a new login."),
			errors: []int{400, 403, 413, 415, 422, 429}},
		{method: http.MethodPost, path: "/api/auth/tokens", id: "createToken", summary: "Create a personal access token",
			description: "For scripts and services. The token is returned once and stored hashed; it acts as the caller, with the " +
				"roles given (a subset of the caller's), until it expires or is revoked.",
			body: schemaAuthNewToken, status: http.StatusCreated, success: jsonResponse("Created: the token, shown this once.", schemaAuthCreatedToken),
			errors: []int{400, 403, 413, 415, 422}},
		{method: http.MethodGet, path: "/api/auth/tokens", id: "listTokens", summary: "List the caller's personal access tokens",
			status: http.StatusOK, success: jsonResponse("The caller's tokens, without their secrets.", schemaAuthTokenList),
			errors: []int{400}},
		{method: http.MethodDelete, path: "/api/auth/tokens/{id}", id: "revokeToken", summary: "Revoke a personal access token",
			status: http.StatusNoContent, success: &openapi3.Response{Description: ptr("Revoked.")},
			errors: []int{400, 404}},
	}
}

// authPaths adds the routes of /api/auth.
func (b *builder) authPaths(paths *openapi3.Paths) {
	for _, rt := range authRoutes(b.m) {
		o := &openapi3.Operation{
			Tags:        []string{authTag},
			Summary:     rt.summary,
			Description: rt.description,
			OperationID: rt.id,
			Responses:   openapi3.NewResponses(),
			Security:    bearer(),
		}
		if rt.public {
			o.Security = noSecurity()
		}
		if rt.body != "" {
			o.RequestBody = jsonBody("", map[string]string{mediaJSON: rt.body})
		}
		if rt.path == "/api/auth/tokens/{id}" {
			o.Parameters = openapi3.Parameters{paramRef(paramTokenID)}
		}
		o.Responses.Delete("default")
		o.Responses.Set(strconv.Itoa(rt.status), &openapi3.ResponseRef{Value: rt.success})
		errs := append(rt.errors, http.StatusInternalServerError)
		if !rt.public {
			errs = append(errs, http.StatusUnauthorized)
		}
		b.setErrors(o, errs)
		item := paths.Value(rt.path)
		if item == nil {
			item = &openapi3.PathItem{}
			paths.Set(rt.path, item)
		}
		item.SetOperation(rt.method, o)
	}
}
